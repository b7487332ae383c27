"""The manifest: with what the index was made, and which generation of the chunk store is committed.

It is written last and atomically, so it is the commit point of an ingest; it is also read
without importing the heavy index stack, which keeps a no-op re-ingest fast. The document records
(which documents, their chunk ids) are rows of that generation in the chunk store, so a commit writes
only the records it changes and a reader that knows an earlier generation reads only what changed;
the manifest keeps their count, to tell a lost row from a removed document.
"""

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.chunkstore import ChunkStore, StaleGenerationError, record_from
from rag.errors import DiskFullReadError, IndexCorruptError, disk_nearly_full
from rag.models import DocumentRecord

MANIFEST_NAME = "manifest.json"
LOCK_NAME = "write.lock"
PENDING_NAME = "ingest.pending"  # present while a write is under way, or after one was killed
FORMAT_VERSION = 4  # 4: document records in the chunk store; 3 (records in the manifest) is read, and migrated
_RECORDS_IN_MANIFEST = 3  # by the next commit


@dataclass
class Manifest:
    embedder: str = ""
    normalize: bool = True
    generation: int = 0  # the chunk store rows this manifest commits (see `rag.chunkstore`)
    chunking: str = ""  # how the chunks were made; another value means every document is re-chunked
    collection: str = ""  # the Chroma collection holding this generation's vectors ("": `settings.collection`)
    documents: dict[str, DocumentRecord] = field(default_factory=dict)
    records_stored: bool = True  # False: read from a format-3 manifest, so the store holds none of the records

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


def load_manifest(data_dir: Path, since: Manifest | None = None) -> Manifest:
    """The committed manifest with its document records. A writer reads it once for its plan and again under the
    lock, so a file read before is not read again while its inode, mtime and size are the same (every commit is
    an atomic replace: a new inode). `since`, a manifest this process read before, is brought up to date with
    only the records written after it."""
    path = data_dir / MANIFEST_NAME
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Manifest()
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if (seen := _read.get(path)) is not None and seen[0] == stamp:
        return replace(seen[1], documents=dict(seen[1].documents))  # records are frozen; the dict is the caller's
    manifest, count = _parse(data_dir, path)
    if manifest.records_stored:
        manifest.documents = _stored_records(data_dir, manifest, since)
        if len(manifest.documents) != count:
            raise IndexCorruptError(data_dir, f"{count} documents committed, {len(manifest.documents)} found")
    _remember(path, stamp, manifest)  # keeps a copy of its own
    return manifest


def _stored_records(data_dir: Path, manifest: Manifest, since: Manifest | None) -> dict[str, DocumentRecord]:
    store = ChunkStore(data_dir)
    try:
        if since is None or not since.records_stored or since.collection != manifest.collection:
            return store.documents(manifest.generation) if manifest.generation else {}
        if since.generation == manifest.generation:
            return dict(since.documents)
        try:
            written, retired = store.document_changes(since.generation, manifest.generation)
        except StaleGenerationError:  # overtaken by two commits: those rows are gone, read them all
            return store.documents(manifest.generation)
    except (sqlite3.Error, StaleGenerationError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, sqlite3.OperationalError) and disk_nearly_full(data_dir):
            raise DiskFullReadError(data_dir, f"{store.path.name}: {error}") from error
        raise IndexCorruptError(data_dir, f"{store.path.name}: {error}") from error
    documents = {d: r for d, r in since.documents.items() if d not in retired}
    documents.update((r.doc_id, r) for r in written)
    return documents


def _remember(path: Path, stamp: tuple[int, int, int], manifest: Manifest) -> None:
    if len(_read) >= _READ_KEPT and path not in _read:
        _read.pop(next(iter(_read)))
    _read[path] = (stamp, replace(manifest, documents=dict(manifest.documents)))


def _parse(data_dir: Path, path: Path) -> tuple[Manifest, int]:
    """The manifest as the file has it, and how many document records it commits."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if (version := raw.get("version")) not in (FORMAT_VERSION, _RECORDS_IN_MANIFEST):
            raise ValueError(
                f"manifest version {version!r}, this version reads {_RECORDS_IN_MANIFEST} and {FORMAT_VERSION}:"
                " an index of an older layout must be rebuilt once"
            )
        manifest = Manifest(
            embedder=raw["embedder"],
            normalize=raw["normalize"],
            generation=raw["generation"],
            chunking=raw.get("chunking", ""),
            collection=raw.get("collection", ""),
        )
        if version == FORMAT_VERSION:
            return manifest, raw["documents"]
        manifest.documents = {doc_id: record_from(record) for doc_id, record in raw["documents"].items()}
        manifest.records_stored = False
        return manifest, len(manifest.documents)
    except (ValueError, KeyError, TypeError) as error:
        raise IndexCorruptError(data_dir, f"{MANIFEST_NAME}: {error}") from error


def save_manifest(data_dir: Path, manifest: Manifest) -> None:
    """Commit `manifest`, whose records the chunk store already holds as rows of its generation."""
    data_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": FORMAT_VERSION,
        "embedder": manifest.embedder,
        "normalize": manifest.normalize,
        "generation": manifest.generation,
        "chunking": manifest.chunking,
        "collection": manifest.collection,
        "documents": len(manifest.documents),
    }
    write_atomic(data_dir / MANIFEST_NAME, json.dumps(payload, ensure_ascii=False, indent=1))
    manifest.records_stored = True
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
