"""The manifest: which documents are indexed, with what, and their chunk ids.

It is written last and atomically, so it is the commit point of an ingest; it is also read
without importing the heavy index stack, which keeps a no-op re-ingest fast.
"""

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.errors import IndexCorruptError
from rag.models import DocumentRecord

MANIFEST_NAME = "manifest.json"
LOCK_NAME = "write.lock"
PENDING_NAME = "ingest.pending"  # present while a write is under way, or after one was killed
FORMAT_VERSION = 3  # 3: chunk text and tokens in the chunk store (`rag.chunkstore`), groups on vectors


@dataclass
class Manifest:
    embedder: str = ""
    normalize: bool = True
    generation: int = 0  # the chunk store rows this manifest commits (see `rag.chunkstore`)
    chunking: str = ""  # how the chunks were made; another value means every document is re-chunked
    collection: str = ""  # the Chroma collection holding this generation's vectors ("": `settings.collection`)
    documents: dict[str, DocumentRecord] = field(default_factory=dict)

    @property
    def chunk_count(self) -> int:
        return sum(len(d.chunk_ids) for d in self.documents.values())


def write_atomic(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never a part; fsync makes it survive a crash."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


_read: dict[Path, tuple[tuple[int, int, int], Manifest]] = {}  # by path: the file's stamp and what it held
_READ_KEPT = 8


def load_manifest(data_dir: Path) -> Manifest:
    """The committed manifest. Parsing is O(documents), and a writer reads it once for its plan and again under
    the lock, so a file read before is not parsed again while its inode, mtime and size are the same (every
    commit is an atomic replace: a new inode)."""
    path = data_dir / MANIFEST_NAME
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Manifest()
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if (seen := _read.get(path)) is not None and seen[0] == stamp:
        return replace(seen[1], documents=dict(seen[1].documents))  # records are frozen; the dict is the caller's
    manifest = _parse(data_dir, path)
    _remember(path, stamp, manifest)  # keeps a copy of its own
    return manifest


def _remember(path: Path, stamp: tuple[int, int, int], manifest: Manifest) -> None:
    if len(_read) >= _READ_KEPT and path not in _read:
        _read.pop(next(iter(_read)))
    _read[path] = (stamp, replace(manifest, documents=dict(manifest.documents)))


def _parse(data_dir: Path, path: Path) -> Manifest:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"manifest version {raw.get('version')!r}, this version reads {FORMAT_VERSION}: an index of an"
                " older layout must be rebuilt once"
            )
        documents = {
            doc_id: DocumentRecord(
                **{**record, "chunk_ids": tuple(record["chunk_ids"]), "groups": tuple(record["groups"])}
            )
            for doc_id, record in raw["documents"].items()
        }
        return Manifest(
            embedder=raw["embedder"],
            normalize=raw["normalize"],
            generation=raw["generation"],
            chunking=raw.get("chunking", ""),
            collection=raw.get("collection", ""),
            documents=documents,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise IndexCorruptError(data_dir, f"{MANIFEST_NAME}: {error}") from error


def save_manifest(data_dir: Path, manifest: Manifest) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": FORMAT_VERSION,
        "embedder": manifest.embedder,
        "normalize": manifest.normalize,
        "generation": manifest.generation,
        "chunking": manifest.chunking,
        "collection": manifest.collection,
        # vars(): the record's own flat fields, where asdict() deep-copies each one
        "documents": {doc_id: vars(manifest.documents[doc_id]) for doc_id in sorted(manifest.documents)},
    }
    # No indent: json's C encoder only writes compact output, and the manifest is rewritten at every commit.
    write_atomic(data_dir / MANIFEST_NAME, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    stat = (data_dir / MANIFEST_NAME).stat()
    _remember(data_dir / MANIFEST_NAME, (stat.st_ino, stat.st_mtime_ns, stat.st_size), manifest)


@contextmanager
def writer_lock(data_dir: Path, wait: bool = True) -> Iterator[bool]:
    """One writer at a time across processes (an advisory lock the OS drops if the holder dies).

    With `wait=False` it yields False at once while another writer holds it, and True once held.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK_NAME).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
