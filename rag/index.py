"""The index: dense vectors in Chroma, chunks and their BM25 tokens in the chunk store, the manifest.

Layout under `data_dir`:
- `chroma/`: the embedded Chroma store (unless `RAG_CHROMA_URL` points at a server). Vectors carry
  the document id and its access groups, no text; they are reused whenever a chunk's id, hence its
  content, is unchanged. Beside each chunk's vector lie the vectors of its lines (`rag.lines`),
  `<chunk id>#<n>`, whose metadata also names their chunk.
- `chunks.sqlite`: each chunk's text, offsets, section path and jieba tokens, and each document's
  record, tagged with the generations that added and retired them (see `rag.chunkstore`); the only
  copy of chunk text.
- `texts/<content hash>.txt`: each document's text as extracted, for display and citation.
- `manifest.json`: names the current generation and the Chroma collection of its vectors; replacing
  it atomically is the commit point.

A write goes: new vectors into Chroma and the new generation's rows into the chunk store (both
invisible, since the committed manifest names neither) → manifest → delete the replaced vectors and
correct the groups of regrouped ones. It touches the rows and vectors of its own documents only.
A reader therefore sees the old state or the new one, never a mix; a loaded index catches up with
a newer manifest by reading only the rows that changed (`refresh`). A rebuild is the same write into
a second, empty collection beside the live one, whose old collection goes at the commit. A process
killed in between leaves `ingest.pending`; the next writer, under the same file lock, deletes what the
committed manifest does not name, and a server does the same before it starts serving. A write that
fails (a full disk) undoes itself.
"""

import copy
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import chromadb
import numpy as np
from chromadb.errors import NotFoundError

from rag.access import Readable, readable_by
from rag.chunkstore import ChunkStore, StaleGenerationError
from rag.config import Settings
from rag.errors import DiskFullReadError, IndexCorruptError, IndexUnwritableError, disk_nearly_full
from rag.lexical import LexicalIndex, Scope
from rag.lines import chunk_of
from rag.manifest import PENDING_NAME, Manifest, load_manifest, save_manifest, write_atomic, writer_lock
from rag.models import Chunk, DocumentRecord
from rag.normalize import normalize
from rag.tokenize import Tokenizer
from rag.vectors import (
    CHROMA_DIR,
    chroma_client,
    other_collection,
    refresh_vector_store,
    storage_failure,
    vector_metadata,
)

TEXTS_DIR = "texts"
OLD_SNAPSHOTS_DIR = "snapshots"  # the layout before the chunk store: removed by the rebuild that replaces it
SCOPE_CACHE = 64  # readers' masks kept per loaded generation
_ID_BATCH = 500  # ids per Chroma call: a rechunked index deletes or looks up tens of thousands

CommitGuard = Callable[[], AbstractContextManager[object]]
_T = TypeVar("_T")


def text_path(data_dir: Path, content_hash: str) -> Path:
    return data_dir / TEXTS_DIR / f"{content_hash}.txt"


def match_text(chunk: Chunk, enabled: bool = True) -> str:
    """What gets embedded: the chunk with its section labels, its context within the document."""
    return normalize("\n".join((*chunk.section, chunk.text)), enabled)


def lexical_text(chunk: Chunk, enabled: bool = True) -> str:
    """What BM25 indexes: the document's title too, since a clause seldom repeats the name of the
    policy or the subject it belongs to. Not embedded: every chunk of a document would then share
    the title's direction, and the dense retriever would tell a document's passages apart less well."""
    context = chunk.section if chunk.title in chunk.section[:1] else (chunk.title, *chunk.section)
    return normalize("\n".join((*context, chunk.text)), enabled)


def bm25_terms(tokens: Sequence[str]) -> list[str]:
    """Terms as bm25s's tokenizer made them from our space-joined jieba tokens (`\\S+`, lower-cased)."""
    return " ".join(tokens).lower().split()


def _regrouped(old: Mapping[str, DocumentRecord], new: Mapping[str, DocumentRecord]) -> dict[str, tuple[str, ...]]:
    """Documents kept whose groups changed, with the groups they left."""
    return {
        d: tuple(set(old[d].groups) - set(r.groups)) for d, r in new.items() if d in old and old[d].groups != r.groups
    }


class ChunkIndex:
    """Reads and writes the three stores as one; `load()` fails with a rebuild hint if any is broken."""

    def __init__(self, settings: Settings, tokenizer: Tokenizer) -> None:
        self.settings = settings
        self.tokenizer = tokenizer
        self.data_dir = settings.data_dir
        self.store = ChunkStore(self.data_dir)
        self.manifest = Manifest(normalize=settings.normalize)
        self.chunks: dict[str, Chunk] = {}
        self.lexical = LexicalIndex()
        self._collection: chromadb.Collection | None = None
        self._replacing: str | None = None  # the collection a rebuild in progress replaces at its commit
        self._new_caches()

    def _new_caches(self) -> None:
        self._scope = lru_cache(maxsize=SCOPE_CACHE)(self._scope_of)
        self._group_mask = lru_cache(maxsize=SCOPE_CACHE)(self._group_mask_of)
        self._readable = lru_cache(maxsize=SCOPE_CACHE)(self._readable_of)

    # -- reading ------------------------------------------------------------------------------

    def read_manifest(self) -> "ChunkIndex":
        """The committed manifest only: what a writer needs (it never loads every chunk)."""
        self.manifest = load_manifest(self.data_dir)
        return self

    def load(self) -> "ChunkIndex":
        try:
            return self._load()
        except StaleGenerationError:  # two writers committed between reading the manifest and the rows
            return self._load()

    def _load(self) -> "ChunkIndex":
        manifest = load_manifest(self.data_dir)
        lexical, chunks = LexicalIndex(), {}
        if manifest.documents:
            self._rows(lambda: self._read_into(manifest.generation, lexical, chunks))
        self.manifest, self.lexical, self.chunks = manifest, lexical, chunks
        self._check()
        return self

    def _read_into(self, generation: int, lexical: LexicalIndex, chunks: dict[str, Chunk]) -> None:
        for page in self.store.visible_pages(generation):
            lexical.apply(page, ())
            chunks.update((row.chunk.chunk_id, row.chunk) for row in page)
        lexical.consolidate()

    def refreshed(self, vectors_changed: bool = True) -> "ChunkIndex":
        """A copy caught up with the committed manifest; this one stays as it is for the readers using it.

        `vectors_changed`: another process wrote to Chroma, so it must be read afresh.
        """
        successor = copy.copy(self)
        successor.chunks, successor.lexical = dict(self.chunks), self.lexical.copy()
        successor._new_caches()
        if vectors_changed:
            refresh_vector_store(self.settings)
            successor._collection = None
        return successor.refresh()

    def refresh(self) -> "ChunkIndex":
        """Catch up with the committed manifest, reading only the records and chunk rows that changed since ours."""
        manifest = load_manifest(self.data_dir, since=self.manifest)
        same_store = manifest.collection == self.manifest.collection and manifest.generation >= self.manifest.generation
        if not (same_store and self.manifest.documents and manifest.documents):
            return self.load()
        try:
            added, retired = self._rows(lambda: self.store.changes(self.manifest.generation, manifest.generation))
        except StaleGenerationError:
            return self.load()
        for row in retired:
            if (slot := self.lexical.slot_of_row.get(row)) is not None:
                self.chunks.pop(self.lexical.chunk_ids[slot], None)
        self.lexical.apply(added, retired)
        for item in added:
            self.chunks[item.chunk.chunk_id] = item.chunk
        former, self.manifest = self.manifest.documents, manifest
        self._check([r for doc_id, r in manifest.documents.items() if _rewritten(former.get(doc_id), r)])
        return self

    def _rows(self, read: Callable[[], _T]) -> _T:
        try:
            return read()
        except (sqlite3.Error, ValueError, KeyError, TypeError) as error:
            if isinstance(error, sqlite3.OperationalError) and disk_nearly_full(self.data_dir):
                raise DiskFullReadError(self.data_dir, f"{self.store.path.name}: {error}") from error
            raise IndexCorruptError(self.data_dir, f"{self.store.path.name}: {error}") from error

    def _check(self, records: Iterable[DocumentRecord] | None = None) -> None:
        """Every chunk the manifest lists is loaded; a refresh checks only the `records` it changed."""
        self._scope.cache_clear()
        self._group_mask.cache_clear()
        self._readable.cache_clear()
        checked = self.manifest.documents.values() if records is None else records
        expected = {cid for record in checked for cid in record.chunk_ids}
        if missing := expected - self.chunks.keys():
            raise IndexCorruptError(self.data_dir, f"{len(missing)} chunks listed in the manifest are missing")

    @property
    def collection_name(self) -> str:
        return self.manifest.collection or self.settings.collection

    @property
    def collection(self) -> chromadb.Collection:
        if self._collection is None or self._collection.name != self.collection_name:
            try:
                breadth = self.settings.dense_search_breadth
                collection = chroma_client(self.settings).get_or_create_collection(
                    self.collection_name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine", "ef_search": breadth}},
                )
                if (collection.configuration_json.get("hnsw") or {}).get("ef_search") != breadth:
                    collection.modify(configuration={"hnsw": {"ef_search": breadth}})  # an index built before
                self._collection = collection
            except Exception as error:  # chromadb raises many types for a broken store or server
                raise IndexCorruptError(
                    self.settings.chroma_url or self.data_dir / CHROMA_DIR, f"Chroma: {error}"
                ) from error
        return self._collection

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        return [self.chunks[c] for c in chunk_ids if c in self.chunks]

    def text_of(self, record: DocumentRecord) -> str:
        try:
            return text_path(self.data_dir, record.content_hash).read_text(encoding="utf-8")
        except OSError as error:
            raise IndexCorruptError(self.data_dir, f"{record.doc_id} 的原文缺失") from error

    def readable_by(self, groups: frozenset[str] | None) -> Readable | None:
        """The documents a caller of `groups` may read (None: everything), one cached set per group set."""
        return None if groups is None else self._readable(groups)

    def _readable_of(self, groups: frozenset[str]) -> Readable:
        return readable_by(groups, self.manifest.documents)

    def scope(self, doc_ids: frozenset[str] | None) -> Scope:
        """The BM25 scope of a reader (None: everything), cached while this generation is loaded."""
        return self._scope(doc_ids)

    def _scope_of(self, doc_ids: frozenset[str] | None) -> Scope:
        if doc_ids is None:
            readable = np.ones(self.lexical.size, dtype=bool)
        elif (groups := getattr(doc_ids, "groups", None)) is not None:
            readable = np.zeros(self.lexical.size, dtype=bool)
            for group in groups:
                readable |= self._group_mask(group)
        else:
            readable = _mask(self.lexical.doc_ids, doc_ids)
        return self.lexical.scope(readable)

    def _group_mask_of(self, group: str) -> np.ndarray:
        members = {d for d, r in self.manifest.documents.items() if group in r.groups}
        return _mask(self.lexical.doc_ids, members)

    def bm25(
        self, terms: Sequence[str], doc_ids: frozenset[str] | None, k: int, within: frozenset[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best chunks for the query `terms`, scored with statistics of the readable chunks only, or of
        the readable ones among the chunk ids `within` (one section: a mask per question, not cached)."""
        scope = self.scope(doc_ids)
        if within is not None:
            scope = self.lexical.scope(scope.mask & _mask(self.lexical.chunk_ids, within))
        return self.lexical.top(terms, scope, k)

    def frequencies_within(self, doc_ids: frozenset[str] | None) -> dict[str, int]:
        """Chunks per BM25 term, counting only chunks of `doc_ids` (None: all), so that the
        vocabulary a reader's questions are judged against holds no word of a document they may not read."""
        return self.lexical.frequencies(self.scope(doc_ids))

    def chunk_count_within(self, doc_ids: frozenset[str] | None) -> int:
        return self.scope(doc_ids).count

    # -- writing ------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator["ChunkIndex"]:
        """One writer at a time across processes; what a killed writer left half done is undone first,
        and so is this write if it fails, so a full disk leaves the committed index as it was.

        The caller then `read_manifest()`s the committed state, or `begin_rebuild()`s beside it.
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
        unfinished rebuild's collection and rows), unless a writer is at work now. A server does this before serving."""
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
        with suppress(sqlite3.Error):  # a broken store: only a rebuild helps, as above
            self.store.discard_after(self.manifest.generation)  # first: on a full disk this frees space
        self._prune()
        if self.settings.chroma_url or (self.data_dir / CHROMA_DIR).is_dir():
            committed = {cid for record in self.manifest.documents.values() for cid in record.chunk_ids}
            stored = self.collection.get(include=[])["ids"]
            if orphans := [vid for vid in stored if chunk_of(vid) not in committed]:
                self.collection.delete(ids=orphans)
            self._set_groups(self._pending_regroup())
            self._drop_collection(other_collection(self.settings, self.collection_name))
        if disk_nearly_full(self.data_dir):  # Chroma may have logged the failed write and apply it later:
            return  # the marker stays, so the next start or writer, with room again, cleans up once more
        (self.data_dir / PENDING_NAME).unlink(missing_ok=True)

    def _mark_pending(self, regroup: Mapping[str, Sequence[str]] | None = None) -> None:
        """`ingest.pending`, naming the documents whose vectors' groups this write changes after its switch."""
        write_atomic(self.data_dir / PENDING_NAME, json.dumps({"regroup": dict(regroup or {})}, ensure_ascii=False))

    def _pending_regroup(self) -> dict[str, list[str]]:
        try:
            return json.loads((self.data_dir / PENDING_NAME).read_text(encoding="utf-8"))["regroup"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def begin_rebuild(self) -> None:
        """Start an empty index beside the committed one: a fresh collection and the next generation's rows.

        Until `commit` switches to it, the committed index stays whole and queryable, so a rebuild
        killed at any point leaves the old index (and a collection and rows the next writer removes).
        """
        try:
            previous = load_manifest(self.data_dir)
        except IndexCorruptError:
            previous = Manifest()  # unreadable: nothing of it can be served anyway
        if not previous.documents or not self._store_readable(previous.generation):
            self.store.path.unlink(missing_ok=True)  # nothing in it can be served: start it afresh
            for suffix in ("-wal", "-shm"):
                self.store.path.with_name(self.store.path.name + suffix).unlink(missing_ok=True)
        live = previous.collection or self.settings.collection
        target = other_collection(self.settings, live)
        self._mark_pending()
        try:
            self._drop_collection(target)  # what a killed rebuild left there
        except Exception:  # chromadb raises many types for an unreadable embedded store: start that afresh
            if self.settings.chroma_url:
                raise
            refresh_vector_store(self.settings)
            shutil.rmtree(self.data_dir / CHROMA_DIR, ignore_errors=True)
        self.manifest = Manifest(normalize=self.settings.normalize, generation=previous.generation, collection=target)
        self.chunks, self.lexical, self._collection, self._replacing = {}, LexicalIndex(), None, live

    def _store_readable(self, generation: int) -> bool:
        try:
            self.store.count(generation)
        except (sqlite3.Error, StaleGenerationError):
            return False
        return True

    def _drop_collection(self, name: str) -> None:
        try:
            chroma_client(self.settings).delete_collection(name)
        except NotFoundError:
            pass

    def embedded(self, vector_ids: Sequence[str]) -> set[str]:
        """Those of `vector_ids` (chunks' or lines') already stored, whose vectors a write reuses."""
        found: set[str] = set()
        for start in range(0, len(vector_ids), _ID_BATCH):
            found.update(self.collection.get(ids=list(vector_ids[start : start + _ID_BATCH]), include=[])["ids"])
        return found

    def stored_chunks(self) -> set[str]:
        """The chunks that have vectors in the collection, committed or not."""
        return {chunk_of(vid) for vid in self.collection.get(include=[])["ids"]}

    def stage_vectors(
        self,
        units: Sequence[tuple[str, Chunk]],
        vectors: Sequence[Sequence[float]],
        groups: Mapping[str, Sequence[str]],
    ) -> None:
        """Store vectors ahead of the commit; until then no committed chunk names them, so no query sees them.

        `units`: each vector's id (a chunk's, or one of its lines') and its chunk. `groups`: the access
        groups of each chunk's document, as the commit will record them.
        """
        if not (self.data_dir / PENDING_NAME).exists():
            self._mark_pending()
        self.collection.upsert(
            ids=[vector_id for vector_id, _ in units],
            embeddings=np.asarray(vectors, dtype=np.float32),
            metadatas=[vector_metadata(c.doc_id, groups[c.doc_id]) | {"chunk": c.chunk_id} for _, c in units],
        )

    def _delete_vectors(self, chunk_ids: Sequence[str]) -> None:
        """The vectors of these chunks and of their lines (an index built before line vectors has only the former)."""
        for start in range(0, len(chunk_ids), _ID_BATCH):
            batch = list(chunk_ids[start : start + _ID_BATCH])
            self.collection.delete(ids=batch)
            self.collection.delete(where={"chunk": {"$in": batch}})

    def commit(
        self,
        manifest: Manifest,
        added: Sequence[Chunk],
        texts: dict[str, str],
        retired_docs: set[str],
        removed_ids: set[str],
        guard: CommitGuard = nullcontext,
    ) -> None:
        """Make `manifest` the visible state: texts and the next generation's rows first, the manifest last.

        `added`: the chunks of documents (re)written; `retired_docs`: the documents whose previous
        rows they replace or that are removed (a rebuild retires every row). `guard` is held around the
        switch and the deletion of replaced vectors, so a server can keep its own queries from running
        on the old state while its vectors go (see `api.state`).
        """
        rebuilt, former = self._replacing is not None, self.manifest
        regroup = {} if rebuilt else _regrouped(self.manifest.documents, manifest.documents)
        self._mark_pending(regroup)
        for content_hash, text in texts.items():
            path = text_path(self.data_dir, content_hash)
            if rebuilt or not path.exists():  # a rebuild trusts no file it finds
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, text)
        manifest.generation = self.manifest.generation + 1
        every_record = rebuilt or not former.records_stored  # a format-3 manifest's records move to the store
        records = _changed_records(former.documents, manifest.documents, every_record)
        if added or retired_docs or records or rebuilt:
            self.store.retire(
                manifest.generation, None if rebuilt else retired_docs, None if every_record else records.keys()
            )
            self.store.stage(
                manifest.generation, [(c, self._terms(c)) for c in added], [r for r in records.values() if r]
            )
        else:
            manifest.generation = self.manifest.generation  # nothing changed: the same rows, a new manifest
        with guard():
            save_manifest(self.data_dir, manifest)
            if removed_ids:
                self._delete_vectors(sorted(removed_ids))
            self._set_groups(regroup, manifest)
            if rebuilt and self._replacing != manifest.collection:
                self._drop_collection(self._replacing)
        self._replacing = None
        self.manifest = manifest
        self.store.prune(manifest.generation)
        self._prune(None if rebuilt else former)
        (self.data_dir / PENDING_NAME).unlink(missing_ok=True)

    def _terms(self, chunk: Chunk) -> list[str]:
        return bm25_terms(self.tokenizer.tokens(lexical_text(chunk, self.settings.normalize)))

    def _set_groups(self, regroup: Mapping[str, Sequence[str]], manifest: Manifest | None = None) -> None:
        """Give the vectors of regrouped documents their committed groups (`regroup`: the groups they left)."""
        records = (manifest or self.manifest).documents
        for doc_id, former in regroup.items():
            if (record := records.get(doc_id)) is not None:
                ids = self.collection.get(where={"doc_id": doc_id}, include=[])["ids"]  # its chunks' and lines'
                metadata = vector_metadata(doc_id, record.groups, former)
                if ids:
                    self.collection.update(ids=ids, metadatas=[metadata] * len(ids))

    def _prune(self, former: Manifest | None = None) -> None:
        """Remove texts the manifest no longer names. After a commit those are texts of `former`, the manifest it
        replaced (no folder scan per write); at recovery and after a rebuild, any file of the folder, a killed
        writer's too, and what the layout before the chunk store left."""
        named = {r.content_hash for r in self.manifest.documents.values()}
        if former is not None:
            for content_hash in {r.content_hash for r in former.documents.values()} - named:
                text_path(self.data_dir, content_hash).unlink(missing_ok=True)
            return
        for path in (self.data_dir / TEXTS_DIR).glob("*"):
            if path.stem not in named:
                path.unlink(missing_ok=True)
        shutil.rmtree(self.data_dir / OLD_SNAPSHOTS_DIR, ignore_errors=True)


def _changed_records(
    former: Mapping[str, DocumentRecord], new: Mapping[str, DocumentRecord], every: bool
) -> dict[str, DocumentRecord | None]:
    """The records a commit writes (None: removed), by document: those that differ from `former`, or `every` one."""
    changed: dict[str, DocumentRecord | None] = {d: r for d, r in new.items() if every or former.get(d) != r}
    changed.update((d, None) for d in former.keys() - new.keys())
    return changed


def _rewritten(former: DocumentRecord | None, record: DocumentRecord) -> bool:
    """Whether a write touched this document's chunks: the same record again keeps its content and time."""
    return former is None or (former.content_hash, former.indexed_at) != (record.content_hash, record.indexed_at)


def _mask(doc_ids: Sequence[str], readable: frozenset[str] | set[str]) -> np.ndarray:
    return np.fromiter((d in readable for d in doc_ids), dtype=bool, count=len(doc_ids))
