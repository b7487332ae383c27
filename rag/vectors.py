"""Chroma: the embedded store or a `chroma run` server, holding vectors with their document and groups.

Each vector's metadata is its `doc_id` and one boolean field per access group (`group:hr: True`), so a
reader's dense query filters by its few groups rather than by a list of every document it may read. A
group a document left is set False, not deleted (Chroma merges metadata on update).
"""

import errno
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from rag.config import Settings
from rag.errors import IndexUnwritableError, RagError, StorageFullError, disk_nearly_full

CHROMA_DIR = "chroma"
GROUP_KEY = "group:"
_CLIENTS = threading.Lock()  # Chroma's client cache must not be cleared while another thread opens a client


def other_collection(settings: Settings, live: str) -> str:
    """Where a rebuild puts its vectors: the configured collection, or its twin while that one is live."""
    return settings.collection if live != settings.collection else f"{settings.collection}-b"


def refresh_vector_store(settings: Settings) -> None:
    """Make the next embedded Chroma client read the store from disk.

    Chroma shares one client per path within a process, and its in-memory HNSW index never sees vectors
    that another process (`rag ingest` beside a server) added or deleted since: queries would miss them.
    """
    if not settings.chroma_url:
        with _CLIENTS:
            SharedSystemClient.clear_system_cache()


def storage_failure(error: Exception, where: str | Path) -> RagError | None:
    """What a failed write means when the disk is to blame: full (incl. SQLite's own words), gone or read-only.

    Chroma's engine words a full disk in many ways ("Failed to apply logs to the metadata segment"), so a
    local store whose disk has (almost) no room left is full, whatever the error says.
    """
    text = str(error)
    code = error.errno if isinstance(error, OSError) else None
    if code in (errno.ENOSPC, errno.EDQUOT) or "database or disk is full" in text or disk_nearly_full(where):
        return StorageFullError(where, text)
    if code == errno.EROFS or "readonly database" in text:
        return IndexUnwritableError(where, text)
    return None


def chroma_client(settings: Settings) -> chromadb.ClientAPI:
    telemetry_off = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=telemetry_off,
        )
    with _CLIENTS:
        return chromadb.PersistentClient(path=str(settings.data_dir / CHROMA_DIR), settings=telemetry_off)


def vector_metadata(doc_id: str, groups: Iterable[str], former: Iterable[str] = ()) -> dict[str, str | bool]:
    """`doc_id`, each group True, and each group the document left (`former`) False."""
    return {"doc_id": doc_id} | {GROUP_KEY + g: False for g in former} | {GROUP_KEY + g: True for g in groups}


def readable_where(readable: frozenset[str]) -> dict:
    """Chroma's `where` for a reader: by the groups that grant `readable`, or by id for a bare set of ids."""
    groups = getattr(readable, "groups", None)
    if groups is None:
        return {"doc_id": {"$in": sorted(readable)}}
    clauses = [{GROUP_KEY + g: True} for g in sorted(groups)]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}
