"""The index: dense vectors in Chroma, a jieba BM25 index beside it, and the chunk store.

Layout under `data_dir`:
- `chroma/`: the embedded Chroma store (unless `RAG_CHROMA_URL` points at a server). Vectors carry
  the chunk id and document id; they are reused whenever a chunk's id, hence its content, is unchanged.
- `snapshots/<generation>/`: llama-index's document store of chunk nodes (`docstore.json`, the
  canonical chunk text and offsets) and its BM25Retriever over jieba tokens (`bm25/`). A write
  makes a new generation; it never changes one that readers may be using.
- `texts/<content hash>.txt`: each document's text as extracted, for display and citation.
- `manifest.json`: names the current generation and the Chroma collection of its vectors; replacing
  it atomically is the commit point.

A write goes: new vectors into Chroma (invisible, since no committed chunk names them) → new
snapshot → manifest → delete the replaced vectors. A reader therefore sees the old state or the
new one, never a mix. A rebuild is the same write into a second, empty collection beside the live
one, whose old collection goes at the commit. A process killed in between leaves `ingest.pending`;
the next writer, under the same file lock, deletes what the committed manifest does not name, and
a server does the same before it starts serving. A write that fails (a full disk) undoes itself.
"""

import errno
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from rag.config import Settings
from rag.errors import IndexCorruptError, IndexUnwritableError, RagError, StorageFullError
from rag.manifest import PENDING_NAME, Manifest, load_manifest, save_manifest, write_atomic, writer_lock
from rag.models import Chunk, DocumentRecord
from rag.normalize import normalize
from rag.tokenize import Tokenizer

DOCSTORE_NAME = "docstore.json"
BM25_DIR = "bm25"
CHROMA_DIR = "chroma"
SNAPSHOTS_DIR = "snapshots"
TEXTS_DIR = "texts"
BM25_TOKEN_PATTERN = r"(?u)\S+"  # our jieba tokens, already split by spaces

Progress = Callable[[int, int], None]
CommitGuard = Callable[[], AbstractContextManager[object]]
_CLIENTS = threading.Lock()  # Chroma's client cache must not be cleared while another thread opens a client


def snapshot_dir(data_dir: Path, generation: int) -> Path:
    return data_dir / SNAPSHOTS_DIR / f"{generation:08d}"


def text_path(data_dir: Path, content_hash: str) -> Path:
    return data_dir / TEXTS_DIR / f"{content_hash}.txt"


def doc_filter(doc_ids: frozenset[str]) -> MetadataFilters:
    """One metadata filter, applied by Chroma and by the BM25 retriever alike."""
    return MetadataFilters(filters=[MetadataFilter(key="doc_id", value=sorted(doc_ids), operator=FilterOperator.IN)])


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


def storage_failure(error: Exception, where: object) -> RagError | None:
    """What a failed write means when the disk is to blame: full (incl. SQLite's own words), gone or read-only."""
    text = str(error)
    code = error.errno if isinstance(error, OSError) else None
    if code in (errno.ENOSPC, errno.EDQUOT) or "database or disk is full" in text:
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


def chunk_to_node(chunk: Chunk) -> TextNode:
    return TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        metadata={"doc_id": chunk.doc_id, "title": chunk.title, "section": list(chunk.section)},
        relationships=_source(chunk.doc_id),
    )


def _source(doc_id: str) -> dict[NodeRelationship, RelatedNodeInfo]:
    """The node's source document. llama-index writes its id as the `doc_id` metadata of every
    store it adds the node to (Chroma, BM25), overwriting ours, so it must be our document id."""
    return {NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)}


def node_to_chunk(node: TextNode) -> Chunk:
    return Chunk(
        chunk_id=node.node_id,
        doc_id=node.metadata["doc_id"],
        title=node.metadata["title"],
        section=tuple(node.metadata["section"]),
        start=node.start_char_idx or 0,
        end=node.end_char_idx or 0,
        text=node.text,
    )


def match_text(chunk: Chunk, enabled: bool = True) -> str:
    """What gets embedded and BM25-indexed: section labels give a chunk its context."""
    return normalize("\n".join((*chunk.section, chunk.text)), enabled)


class ChunkIndex:
    """Reads and writes the three stores as one; `load()` fails with a rebuild hint if any is broken."""

    def __init__(self, settings: Settings, tokenizer: Tokenizer) -> None:
        self.settings = settings
        self.tokenizer = tokenizer
        self.data_dir = settings.data_dir
        self.manifest = Manifest(normalize=settings.normalize)
        self.chunks: dict[str, Chunk] = {}
        self.bm25: BM25Retriever | None = None
        self._collection: chromadb.Collection | None = None
        self._replacing: str | None = None  # the collection a rebuild in progress replaces at its commit

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> "ChunkIndex":
        try:
            return self._load()
        except FileNotFoundError:  # a writer pruned our generation between two reads: read again
            return self._load()

    def _load(self) -> "ChunkIndex":
        self.manifest = load_manifest(self.data_dir)
        self.chunks, self.bm25 = {}, None
        if not self.manifest.documents:
            return self
        snapshot = snapshot_dir(self.data_dir, self.manifest.generation)
        if not snapshot.is_dir() and load_manifest(self.data_dir).generation != self.manifest.generation:
            raise FileNotFoundError(snapshot)
        try:
            docstore = SimpleDocumentStore.from_persist_path(str(snapshot / DOCSTORE_NAME))
            self.chunks = {node_id: node_to_chunk(node) for node_id, node in docstore.docs.items()}
            self.bm25 = BM25Retriever.from_persist_dir(str(snapshot / BM25_DIR), show_progress=False)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IndexCorruptError(self.data_dir, f"{type(error).__name__}: {error}") from error
        expected = {cid for record in self.manifest.documents.values() for cid in record.chunk_ids}
        if missing := expected - self.chunks.keys():
            raise IndexCorruptError(self.data_dir, f"{len(missing)} chunks listed in the manifest are missing")
        return self

    @property
    def collection_name(self) -> str:
        return self.manifest.collection or self.settings.collection

    @property
    def collection(self) -> chromadb.Collection:
        if self._collection is None or self._collection.name != self.collection_name:
            try:
                self._collection = chroma_client(self.settings).get_or_create_collection(
                    self.collection_name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except Exception as error:  # chromadb raises many types for a broken store or server
                raise IndexCorruptError(
                    self.settings.chroma_url or self.data_dir / CHROMA_DIR, f"Chroma: {error}"
                ) from error
        return self._collection

    @property
    def vector_store(self) -> ChromaVectorStore:
        return ChromaVectorStore(chroma_collection=self.collection)

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        return [self.chunks[c] for c in chunk_ids if c in self.chunks]

    def text_of(self, record: DocumentRecord) -> str:
        try:
            return text_path(self.data_dir, record.content_hash).read_text(encoding="utf-8")
        except OSError as error:
            raise IndexCorruptError(self.data_dir, f"{record.doc_id} 的原文缺失") from error

    def frequencies_within(self, doc_ids: frozenset[str] | None) -> dict[str, int]:
        """Chunks per BM25 term, counting only chunks of `doc_ids` (None: all), so that the
        vocabulary a reader's questions are judged against holds no word of a document they may not read."""
        if self.bm25 is None:
            return {}
        scores = self.bm25.bm25.scores
        indptr, rows = scores["indptr"], scores["indices"]
        if doc_ids is None:
            counts = np.diff(indptr)
        else:
            readable = np.array([entry["doc_id"] in doc_ids for entry in self.bm25.corpus], dtype=np.int64)
            running = np.concatenate(([0], np.cumsum(readable[rows])))
            counts = running[indptr[1:]] - running[indptr[:-1]]
        vocab = self.bm25.bm25.vocab_dict
        return {token: int(counts[i]) for token, i in vocab.items() if i < len(counts) and counts[i]}

    def chunk_count_within(self, doc_ids: frozenset[str] | None) -> int:
        if doc_ids is None:
            return len(self.chunks)
        return sum(len(r.chunk_ids) for d, r in self.manifest.documents.items() if d in doc_ids)

    # -- writing ------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator["ChunkIndex"]:
        """One writer at a time across processes; what a killed writer left half done is undone first,
        and so is this write if it fails, so a full disk leaves the committed index as it was.

        The caller then `load()`s the committed state, or `begin_rebuild()`s beside it.
        """
        try:
            with writer_lock(self.data_dir):
                if (self.data_dir / PENDING_NAME).exists():
                    self._recover()
                try:
                    yield self
                except Exception:
                    if (self.data_dir / PENDING_NAME).exists():
                        with suppress(Exception):  # a full disk may refuse the undo too: the next writer retries it
                            self._recover()
                    raise
        except Exception as error:
            if failure := storage_failure(error, self.settings.chroma_url or self.data_dir):
                if isinstance(failure, IndexUnwritableError):
                    refresh_vector_store(self.settings)  # a deleted directory: the next write starts afresh
                raise failure from error
            raise

    def recover(self) -> None:
        """Undo what a killed writer left (vectors no committed chunk names, which crowd dense results; an
        unfinished rebuild's collection), unless a writer is at work now. A server does this before serving."""
        if not (self.data_dir / PENDING_NAME).exists():  # written before the first vector is staged
            return
        with writer_lock(self.data_dir, wait=False) as locked:
            if locked:
                self._recover()

    def _recover(self) -> None:
        try:
            self.manifest = load_manifest(self.data_dir)
        except IndexCorruptError:
            return  # only a rebuild helps, and it starts beside whatever is there
        self._prune()  # first: on a full disk this frees the space the rest needs
        if self.settings.chroma_url or (self.data_dir / CHROMA_DIR).is_dir():
            committed = {cid for record in self.manifest.documents.values() for cid in record.chunk_ids}
            stored = self.collection.get(include=[])["ids"]
            if orphans := [cid for cid in stored if cid not in committed]:
                self.collection.delete(ids=orphans)
            self._drop_collection(other_collection(self.settings, self.collection_name))
        (self.data_dir / PENDING_NAME).unlink(missing_ok=True)

    def begin_rebuild(self) -> None:
        """Start an empty index beside the committed one: a fresh collection and the next snapshot.

        Until `commit` switches to it, the committed index stays whole and queryable, so a rebuild
        killed at any point leaves the old index (and a collection the next writer removes).
        """
        try:
            previous = load_manifest(self.data_dir)
        except IndexCorruptError:
            previous = Manifest()  # unreadable: nothing of it can be served anyway
        live = previous.collection or self.settings.collection
        target = other_collection(self.settings, live)
        write_atomic(self.data_dir / PENDING_NAME, "")
        try:
            self._drop_collection(target)  # what a killed rebuild left there
        except Exception:  # chromadb raises many types for an unreadable embedded store: start that afresh
            if self.settings.chroma_url:
                raise
            refresh_vector_store(self.settings)
            shutil.rmtree(self.data_dir / CHROMA_DIR, ignore_errors=True)
        self.manifest = Manifest(normalize=self.settings.normalize, generation=previous.generation, collection=target)
        self.chunks, self.bm25, self._collection, self._replacing = {}, None, None, live

    def _drop_collection(self, name: str) -> None:
        try:
            chroma_client(self.settings).delete_collection(name)
        except NotFoundError:
            pass

    def existing_vectors(self, chunk_ids: Sequence[str]) -> dict[str, list[float]]:
        if not chunk_ids:
            return {}
        found = self.collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: list(vec) for cid, vec in zip(found["ids"], found["embeddings"], strict=True)}

    def stage_vectors(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Store vectors ahead of the commit; until then no committed chunk names them, so no query sees them."""
        write_atomic(self.data_dir / PENDING_NAME, "")
        nodes = []
        for chunk, vector in zip(chunks, vectors, strict=True):
            node = chunk_to_node(chunk)
            node.metadata = {"doc_id": chunk.doc_id}
            node.embedding = list(vector)
            nodes.append(node)
        self.vector_store.add(nodes)

    def commit(
        self,
        manifest: Manifest,
        chunks: dict[str, Chunk],
        texts: dict[str, str],
        removed_ids: set[str],
        guard: CommitGuard = nullcontext,
    ) -> None:
        """Make `manifest` the visible state: new snapshot and texts first, the manifest last.

        `guard` is held around the switch and the deletion of replaced vectors, so a server can keep
        its own queries from running on the old state while its vectors go (see `api.state`).
        """
        write_atomic(self.data_dir / PENDING_NAME, "")
        for content_hash, text in texts.items():
            path = text_path(self.data_dir, content_hash)
            if self._replacing is not None or not path.exists():  # a rebuild trusts no file it finds
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, text)
        manifest.generation = self.manifest.generation + 1
        snapshot = snapshot_dir(self.data_dir, manifest.generation)
        shutil.rmtree(snapshot, ignore_errors=True)
        snapshot.mkdir(parents=True)
        docstore = SimpleDocumentStore()
        docstore.add_documents([chunk_to_node(c) for c in chunks.values()])
        docstore.persist(str(snapshot / DOCSTORE_NAME))
        self._write_bm25(list(chunks.values()), snapshot / BM25_DIR)
        with guard():
            save_manifest(self.data_dir, manifest)
            if removed_ids:
                self.collection.delete(ids=sorted(removed_ids))
            if self._replacing is not None and self._replacing != manifest.collection:
                self._drop_collection(self._replacing)
        self._replacing = None
        self.load()
        self._prune()
        (self.data_dir / PENDING_NAME).unlink(missing_ok=True)

    def _prune(self) -> None:
        """Remove snapshots and texts the manifest no longer names (a reader may still be opening the previous one)."""
        keep = {self.manifest.generation, self.manifest.generation - 1}
        for path in (self.data_dir / SNAPSHOTS_DIR).glob("*"):
            if not (path.name.isdigit() and int(path.name) in keep):
                shutil.rmtree(path, ignore_errors=True)
        named = {r.content_hash for r in self.manifest.documents.values()}
        for path in (self.data_dir / TEXTS_DIR).glob("*"):
            if path.stem not in named:
                path.unlink(missing_ok=True)

    def _write_bm25(self, chunks: list[Chunk], target: Path) -> None:
        if not chunks:
            target.mkdir(parents=True)
            return
        nodes = [
            TextNode(
                id_=c.chunk_id,
                text=" ".join(self.tokenizer.tokens(match_text(c, self.settings.normalize))) or "_",
                metadata={"doc_id": c.doc_id},
                relationships=_source(c.doc_id),
                excluded_embed_metadata_keys=["doc_id"],
            )
            for c in chunks
        ]
        retriever = BM25Retriever(
            nodes=nodes,
            skip_stemming=True,
            language=None,
            token_pattern=BM25_TOKEN_PATTERN,
            similarity_top_k=self.settings.candidates,
        )
        retriever.persist(str(target), show_progress=False)
