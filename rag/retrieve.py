"""Retrieval: dense (Chroma through llama-index) and jieba BM25, fused by reciprocal rank.

The fusion is ours rather than llama-index's QueryFusionRetriever because that one keys nodes by
content hash and overwrites each retriever's score, and the answer stage needs both scores: the
dense similarity and the BM25 evidence decide whether the documents cover a question at all.
"""

import math
from dataclasses import dataclass

from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import VectorIndexRetriever

from rag.config import RetrievalMode, Settings
from rag.embed import LlamaIndexEmbedding
from rag.errors import EmptyIndexError, IndexCorruptError
from rag.index import ChunkIndex
from rag.models import RetrievedChunk
from rag.query import QueryAnalysis


@dataclass(frozen=True)
class Ranked:
    chunk_id: str
    score: float


def reciprocal_rank_fusion(rankings: list[list[Ranked]], k: int = 60) -> list[tuple[str, float]]:
    """Σ 1/(k + rank) over the rankings a chunk appears in; ties keep first-seen order."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            fused[item.chunk_id] = fused.get(item.chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda pair: pair[1], reverse=True)


class HybridRetriever:
    """Pipeline stage: question → ranked chunks with their dense and BM25 scores."""

    def __init__(self, index: ChunkIndex, embedding: LlamaIndexEmbedding | None, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._dense: VectorIndexRetriever | None = None
        if embedding is not None:
            stored = index.collection.count()
            if stored < len(index.chunks):
                raise IndexCorruptError(
                    settings.chroma_url or settings.data_dir, f"向量库只有 {stored} 个向量，应有 {len(index.chunks)} 个"
                )
            vector_index = VectorStoreIndex.from_vector_store(index.vector_store, embed_model=embedding)
            self._dense = vector_index.as_retriever(similarity_top_k=settings.candidates)

    def dense(self, query: QueryAnalysis) -> list[Ranked]:
        if self._dense is None:
            return []
        hits = self._dense.retrieve(query.question)
        # llama-index's Chroma store reports exp(-distance); give back the cosine similarity.
        return [Ranked(h.node.node_id, 1.0 + math.log(max(h.score or 0.0, 1e-9))) for h in hits]

    def bm25(self, query: QueryAnalysis) -> list[Ranked]:
        if not query.bm25_tokens or self.index.bm25 is None:
            return []
        hits = self.index.bm25.retrieve(" ".join(query.bm25_tokens))
        return [Ranked(h.node.node_id, h.score or 0.0) for h in hits if (h.score or 0.0) > 0]

    def run(
        self, query: QueryAnalysis, top_k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[RetrievedChunk]:
        if not self.index.chunks:
            raise EmptyIndexError()
        mode = mode or self.settings.retrieval_mode
        dense = self.dense(query) if mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE) else []
        lexical = self.bm25(query) if mode in (RetrievalMode.HYBRID, RetrievalMode.BM25) else []
        dense_scores = {r.chunk_id: r.score for r in dense}
        bm25_scores = {r.chunk_id: r.score for r in lexical}
        fused = reciprocal_rank_fusion([r for r in (dense, lexical) if r], self.settings.rrf_k)
        results = []
        for chunk_id, score in fused:
            chunk = self.index.chunks.get(chunk_id)
            if chunk is None:  # a vector left by an interrupted ingest: not committed, not shown
                continue
            results.append(RetrievedChunk(chunk, score, dense_scores.get(chunk_id), bm25_scores.get(chunk_id)))
        return results[: top_k or self.settings.top_k]
