"""The manifest: which documents are indexed, with what, and their chunk ids.

It is written last and atomically, so it is the commit point of an ingest; it is also read
without importing the heavy index stack, which keeps a no-op re-ingest fast.
"""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.errors import IndexCorruptError
from rag.models import DocumentRecord

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1


@dataclass
class Manifest:
    embedder: str = ""
    normalize: bool = True
    documents: dict[str, DocumentRecord] = field(default_factory=dict)

    @property
    def chunk_count(self) -> int:
        return sum(len(d.chunk_ids) for d in self.documents.values())


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_manifest(data_dir: Path) -> Manifest:
    path = data_dir / MANIFEST_NAME
    if not path.exists():
        return Manifest()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown manifest version {raw.get('version')!r}")
        documents = {
            doc_id: DocumentRecord(**{**record, "chunk_ids": tuple(record["chunk_ids"])})
            for doc_id, record in raw["documents"].items()
        }
        return Manifest(embedder=raw["embedder"], normalize=raw["normalize"], documents=documents)
    except (ValueError, KeyError, TypeError) as error:
        raise IndexCorruptError(data_dir, f"{MANIFEST_NAME}: {error}") from error


def save_manifest(data_dir: Path, manifest: Manifest) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": FORMAT_VERSION,
        "embedder": manifest.embedder,
        "normalize": manifest.normalize,
        "documents": {doc_id: asdict(record) for doc_id, record in sorted(manifest.documents.items())},
    }
    write_atomic(data_dir / MANIFEST_NAME, json.dumps(payload, ensure_ascii=False, indent=1))
