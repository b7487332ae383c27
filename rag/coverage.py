"""The "covered" decision: do the retrieved passages answer this question, or must we decline?

Its own stage, between retrieval and the answerer. It turns what the other stages know into a few
generic signals (dense similarity and margin, BM25 strength, how much of the question's weighted
terms the best sentence and the top passages hold, specific nouns none of them mentions, a place
or organisation no document mentions, a count the question asks for) and combines them with a
logistic model fitted on dev questions only (`eval/fit_coverage.py`), shipped as
`rag/resources/coverage_model.json`. A company can refit it on its own labelled questions and point
`RAG_COVERAGE_MODEL` at the result.
"""

import math
from dataclasses import dataclass
from pathlib import Path

from rag.evidence import ScoredSentence
from rag.fitted import read_fitted
from rag.models import RetrievedChunk
from rag.normalize import normalize
from rag.query import QueryAnalysis
from rag.tokenize import Tokenizer

EVIDENCE_CHUNKS = 3
# Each signal and the way it points: +1 where more of it means the passages more likely answer the
# question, -1 where it means they less likely do. The fit keeps every weight on its side of zero, so
# that signals which move together cannot trade places on a small dev set (a missing name counting
# *for* an answer because coverage already counted against it) and the model stays sensible on
# questions unlike the dev ones.
DIRECTIONS = {
    "dense_top": 1,
    "dense_margin": 1,
    "bm25_top": 1,
    "best_coverage": 1,
    "evidence_coverage": 1,
    "missing_subject": -1,
    "missing_name": -1,
    "missing_term": -1,
    "missing_place": -1,
    "noun_coverage": 1,
    "asked_count_missing": -1,
    "no_terms": -1,
}
FEATURES = tuple(DIRECTIONS)


@dataclass(frozen=True)
class CoverageDecision:
    covered: bool
    probability: float
    features: dict[str, float | None]


@dataclass(frozen=True)
class CoverageModel:
    """Standardised logistic regression: p = σ(b + Σ wᵢ (xᵢ − μᵢ) / σᵢ); covered when p ≥ threshold."""

    weights: dict[str, float]
    means: dict[str, float]
    scales: dict[str, float]
    intercept: float
    threshold: float
    embedder: str = ""  # dense similarities are on this embedder's scale; with another, they are left out

    @classmethod
    def load(cls, path: Path | None = None) -> "CoverageModel":
        raw = read_fitted(path, "coverage_model.json")
        return cls(
            raw["weights"], raw["means"], raw["scales"], raw["intercept"], raw["threshold"], raw.get("embedder", "")
        )

    def probability(self, features: dict[str, float | None]) -> float:
        """A signal that is absent (no dense retriever in BM25-only mode) counts as its mean: neutral."""
        z = self.intercept + sum(
            w
            * ((value if (value := features[name]) is not None else self.means[name]) - self.means[name])
            / (self.scales[name] or 1.0)
            for name, w in self.weights.items()
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def coverage_features(
    query: QueryAnalysis,
    retrieved: list[RetrievedChunk],
    best: ScoredSentence | None,
    tokenizer: Tokenizer,
    normalize_enabled: bool = True,
) -> dict[str, float | None]:
    """The signals, each in a scale that means the same on any corpus; None where a retriever did not run."""
    dense = sorted((h.dense_score for h in retrieved if h.dense_score is not None), reverse=True)
    bm25 = max((h.bm25_score or 0.0 for h in retrieved), default=0.0)
    passages = [
        normalize(" ".join((h.chunk.title, *h.chunk.section, h.chunk.text)), normalize_enabled)
        for h in retrieved[:EVIDENCE_CHUNKS]
    ]
    evidence = "\n".join(passages)
    # jieba segments each line on its own, so the union per passage is the joined text's tokens, and each
    # passage's are remembered by the tokenizer for the next question that retrieves it.
    tokens = frozenset().union(*map(tokenizer.match_tokens, passages))
    missing = query.missing_subjects(evidence, tokens)
    query_weight = sum(t.weight for t in query.terms) or 1.0
    unmatched = [t.weight for t in query.terms if not t.loose and not t.occurs(evidence, tokens)]
    nouns = [t for t in query.terms if t.noun and not t.loose]
    noun_weight = sum(t.weight for t in nouns)
    noun_found = sum(t.weight for t in nouns if t.occurs(evidence, tokens))
    return {
        "dense_top": dense[0] if dense else None,
        "dense_margin": dense[0] - dense[min(4, len(dense) - 1)] if len(dense) > 1 else None,
        # BM25 per unit of the question's weight: a score that does not grow with question length.
        "bm25_top": bm25 / query_weight,
        "best_coverage": best.coverage if best is not None else 0.0,
        "evidence_coverage": query.coverage(evidence, tokens),
        "missing_subject": max((t.weight for t in missing), default=0.0),
        "missing_name": max((t.weight for t in missing if t.named), default=0.0),
        # The heaviest question word the top passages lack, and how much of the named things they hold.
        "missing_term": max(unmatched, default=0.0),
        "noun_coverage": noun_found / noun_weight if noun_weight else 1.0,
        # A place or organisation the question is about that no document mentions (深圳的公积金比例
        # over national rules): the documents cannot state its particular facts.
        "missing_place": float(any(t.place and t.absent for t in query.terms)),
        "asked_count_missing": float(not query.states_asked_count(evidence)),
        "no_terms": float(not query.terms),
    }


class CoverageJudge:
    """Pipeline stage: (question analysis, retrieved chunks, best sentence) → covered or not."""

    def __init__(
        self, tokenizer: Tokenizer, model: CoverageModel, embedder: str, normalize_enabled: bool = True
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.same_embedder = embedder == model.embedder
        self.normalize_enabled = normalize_enabled

    def run(
        self, query: QueryAnalysis, retrieved: list[RetrievedChunk], best: ScoredSentence | None
    ) -> CoverageDecision:
        if not retrieved:
            return CoverageDecision(False, 0.0, {})
        features = coverage_features(query, retrieved, best, self.tokenizer, self.normalize_enabled)
        if not self.same_embedder:  # another model's cosine scale would mislead the fitted weights
            features |= {"dense_top": None, "dense_margin": None}
        probability = self.model.probability(features)
        # A question asking for a count (多少天) that no top passage states in that unit cannot be
        # answered by quoting them, however related they are: that is logic, not a fitted weight.
        answerable = not features["asked_count_missing"]
        return CoverageDecision(answerable and probability >= self.model.threshold, probability, features)
