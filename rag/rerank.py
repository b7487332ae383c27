"""Reranking: reorder the fused candidates by a linear model over what each signal says of them.

The fused list knows which chunks are about the question's topic; the best sentence of a chunk
knows whether it answers what was asked (the enumeration for "包括哪些", the duration for "多久").
How much each counts is not set by hand: `eval/fit_ranker.py` fits the weights on dev questions
only, pairwise (a chunk labelled relevant should outscore each unlabelled one of the same
question), and ships them as `rag/resources/ranker_model.json`. A company can refit on its own
labelled questions and point `RAG_RANKER_MODEL` at the result.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rag.evidence import ScoredSentence
from rag.fitted import read_fitted
from rag.models import RetrievedChunk
from rag.retrieve import share

FEATURES = ("dense_share", "bm25_share", "fused_reciprocal_rank", "evidence_score", "evidence_coverage")


def _share_of(scores: list[float | None]) -> Callable[[float | None], float]:
    """Where a score lies between the weakest and strongest of one retriever's candidates (0 when it did
    not return the chunk): a scale that means the same for any question and corpus."""
    given = [s for s in scores if s is not None]
    low, high = (min(given), max(given)) if given else (0.0, 0.0)
    return lambda score: 0.0 if score is None else share(score, low, high)


def rank_features(retrieved: list[RetrievedChunk], sentences: list[ScoredSentence]) -> list[dict[str, float]]:
    """Each candidate's signals, in fused order. Training and serving both compute them here."""
    best: dict[str, ScoredSentence] = {}
    for sentence in sentences:  # best first
        best.setdefault(sentence.chunk.chunk_id, sentence)
    dense = _share_of([h.dense_score for h in retrieved])
    bm25 = _share_of([h.bm25_score for h in retrieved])
    rows = []
    for rank, hit in enumerate(retrieved):
        evidence = best.get(hit.chunk.chunk_id)
        rows.append(
            {
                "dense_share": dense(hit.dense_score),
                "bm25_share": bm25(hit.bm25_score),
                "fused_reciprocal_rank": 1.0 / (1.0 + rank),
                "evidence_score": evidence.score if evidence is not None else 0.0,
                "evidence_coverage": evidence.coverage if evidence is not None else 0.0,
            }
        )
    return rows


@dataclass(frozen=True)
class RankerModel:
    """score = Σ wᵢ xᵢ; only the order it gives matters, so it has no intercept."""

    weights: dict[str, float]

    @classmethod
    def load(cls, path: Path | None = None) -> "RankerModel":
        raw = read_fitted(path, "ranker_model.json")
        if missing := set(FEATURES) - set(raw["weights"]):
            raise ValueError(f"ranker model lacks weights for {sorted(missing)}; valid features: {list(FEATURES)}")
        return cls({name: float(raw["weights"][name]) for name in FEATURES})

    def score(self, features: dict[str, float]) -> float:
        return sum(weight * features[name] for name, weight in self.weights.items())


class Reranker:
    """Pipeline stage: (fused candidates, their scored sentences) → the same candidates, best first."""

    def __init__(self, model: RankerModel) -> None:
        self.model = model

    def run(self, retrieved: list[RetrievedChunk], sentences: list[ScoredSentence]) -> list[RetrievedChunk]:
        rescored = [
            replace(hit, score=round(self.model.score(features), 6))
            for hit, features in zip(retrieved, rank_features(retrieved, sentences), strict=True)
        ]
        return sorted(rescored, key=lambda hit: hit.score, reverse=True)
