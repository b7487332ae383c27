"""Retrieval: dense (Chroma through llama-index) and jieba BM25, fused by their relative scores.

Both retrievers take the caller's readable documents as one metadata filter (Chroma's `where` and
BM25's weight mask), so what a caller may not read is never a candidate, not merely hidden later.

The fusion is ours rather than llama-index's QueryFusionRetriever because that one keys nodes by
content hash and overwrites each retriever's score, and the answer stage needs both scores: the
dense similarity and the BM25 evidence decide whether the documents cover a question at all.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import BaseRetriever
from llama_index.retrievers.bm25 import BM25Retriever

from rag.config import RetrievalMode, Settings
from rag.embed import LlamaIndexEmbedding
from rag.errors import EmptyIndexError, IndexCorruptError
from rag.index import BM25_TOKEN_PATTERN, ChunkIndex, doc_filter
from rag.models import RetrievedChunk
from rag.query import QueryAnalysis


@dataclass(frozen=True)
class Ranked:
    chunk_id: str
    score: float


def relative_score_fusion(rankings: list[list[Ranked]], weights: list[float]) -> list[tuple[str, float]]:
    """Σ w · (score − min) / (max − min) over the rankings a chunk appears in; ties keep first-seen order.

    Scores rather than ranks: how far the second hit trails the first says how sure each retriever is,
    which reciprocal-rank fusion throws away, so a weak BM25 list (a question in lay words that shares
    few terms with the text) could push dense's clear winner down. The weights are calibrated on dev
    questions (`eval/fit_fusion.py`).
    """
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        high, low = max(r.score for r in ranking), min(r.score for r in ranking)
        for item in ranking:
            share = (item.score - low) / (high - low) if high > low else 1.0
            fused[item.chunk_id] = fused.get(item.chunk_id, 0.0) + weight * share
    return sorted(fused.items(), key=lambda pair: pair[1], reverse=True)


class HybridRetriever:
    """Pipeline stage: question → ranked chunks with their dense and BM25 scores."""

    def __init__(self, index: ChunkIndex, embedding: LlamaIndexEmbedding | None, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._vectors: VectorStoreIndex | None = None
        if embedding is not None:
            stored = index.collection.count()
            if stored < len(index.chunks):
                raise IndexCorruptError(
                    settings.chroma_url or settings.data_dir, f"向量库只有 {stored} 个向量，应有 {len(index.chunks)} 个"
                )
            self._vectors = VectorStoreIndex.from_vector_store(index.vector_store, embed_model=embedding)
        self._dense_within = lru_cache(maxsize=64)(self._filtered_dense)
        self._bm25_within = lru_cache(maxsize=64)(self._filtered_bm25)

    def _filtered_dense(self, readable: frozenset[str] | None) -> BaseRetriever:
        assert self._vectors is not None
        filters = None if readable is None else doc_filter(readable)
        return self._vectors.as_retriever(similarity_top_k=self.settings.candidates, filters=filters)

    def dense(self, query: QueryAnalysis, readable: frozenset[str] | None = None) -> list[Ranked]:
        if self._vectors is None:
            return []
        hits = self._dense_within(readable).retrieve(query.question)
        # llama-index's Chroma store reports exp(-distance); give back the cosine similarity.
        return [Ranked(h.node.node_id, 1.0 + math.log(max(h.score or 0.0, 1e-9))) for h in hits]

    def _filtered_bm25(self, readable: frozenset[str]) -> BM25Retriever:
        assert self.index.bm25 is not None
        return BM25Retriever(
            existing_bm25=self.index.bm25.bm25,
            similarity_top_k=self.settings.candidates,
            skip_stemming=True,
            token_pattern=BM25_TOKEN_PATTERN,
            filters=doc_filter(readable),
        )

    def bm25(self, query: QueryAnalysis, readable: frozenset[str] | None = None) -> list[Ranked]:
        if not query.bm25_tokens or self.index.bm25 is None:
            return []
        retriever = self.index.bm25 if readable is None else self._bm25_within(readable)
        hits = retriever.retrieve(" ".join(query.bm25_tokens))
        return [Ranked(h.node.node_id, h.score or 0.0) for h in hits if (h.score or 0.0) > 0]

    def run(
        self,
        query: QueryAnalysis,
        top_k: int | None = None,
        mode: RetrievalMode | None = None,
        readable: frozenset[str] | None = None,
    ) -> list[RetrievedChunk]:
        """`readable`: the document ids the caller may read (None: all); must not be empty."""
        if not self.index.chunks:
            raise EmptyIndexError()
        mode = mode or self.settings.retrieval_mode
        dense = self.dense(query, readable) if mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE) else []
        lexical = self.bm25(query, readable) if mode in (RetrievalMode.HYBRID, RetrievalMode.BM25) else []
        dense_scores = {r.chunk_id: r.score for r in dense}
        bm25_scores = {r.chunk_id: r.score for r in lexical}
        fused = relative_score_fusion([dense, lexical], [1.0, self.settings.bm25_weight])
        results = []
        for chunk_id, score in fused:
            chunk = self.index.chunks.get(chunk_id)
            if chunk is None:  # a vector staged by an ingest not yet committed: not shown
                continue
            if readable is not None and chunk.doc_id not in readable:  # defence in depth behind the filter
                continue
            results.append(RetrievedChunk(chunk, score, dense_scores.get(chunk_id), bm25_scores.get(chunk_id)))
        return results[: top_k or self.settings.top_k]
