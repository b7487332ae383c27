"""Sentence evidence: how well each sentence of the retrieved chunks answers the question.

Shared by the reranker (a chunk's best sentence is one of its signals) and the extractive answerer
(which quotes the best sentences).
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.models import Chunk, RetrievedChunk
from rag.normalize import normalize, strip_annotations
from rag.query import QueryAnalysis
from rag.sentences import split_sentences
from rag.tokenize import Tokenizer

DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(分钟|小时|个工作日|工作日|天|日|周|个月|月|年)(?:以内|之内|内)?")
_ENUMERATION = re.compile(r"包括|包含|主要有|分为|涵盖|.+、.+、")
_STEPS = re.compile(r"→|->|步骤|流程|\(\d\)|（\d）|首先|然后|最后")
_BARE_HEADING = re.compile(r"^[^，,。；;！？!?]{1,20}[：:、]?$")
_CONTEXT_WEIGHT = 0.3  # how much a sentence's title and section path count towards its match
_QUANTITY_BONUS = 0.25  # a "how long" question is answered by a sentence stating a duration
_FORM_BONUS = 0.15  # a "which/what steps" question by an enumeration or a sequence
SENTENCE_CACHE_CHUNKS = 4096  # chunks whose sentence analysis is kept (each a few KB)


def is_bare_heading(quote: str) -> bool:
    """A short line without sentence punctuation (五、客户服务, 用户服务流程：): a heading, no statement."""
    return bool(_BARE_HEADING.match(strip_annotations(quote)))


@dataclass(frozen=True)
class ScoredSentence:
    chunk: Chunk
    rank: int
    start: int  # offsets into the document
    end: int
    quote: str
    normalized: str
    coverage: float
    score: float


@dataclass(frozen=True)
class _Sentence:
    start: int  # offsets into the chunk
    end: int
    normalized: str
    tokens: frozenset[str]
    bare_heading: bool


class SentenceScorer:
    def __init__(self, tokenizer: Tokenizer, normalize_enabled: bool = True) -> None:
        self.tokenizer = tokenizer
        self.normalize_enabled = normalize_enabled
        # Chunks are immutable (their id is their content), so a chunk's analysis is kept for the next question
        # that retrieves it; bounded, least recently used first out, so 100k chunks do not all end up in memory.
        self._analyse = lru_cache(maxsize=SENTENCE_CACHE_CHUNKS)(self._analyse_chunk)

    def _analyse_chunk(self, chunk: Chunk) -> tuple[list[_Sentence], str, frozenset[str]]:
        context = normalize(" ".join((chunk.title, *chunk.section)), self.normalize_enabled)
        sentences = []
        for start, end in split_sentences(chunk.text):
            normalized = normalize(chunk.text[start:end], self.normalize_enabled)
            tokens = self.tokenizer.match_tokens(normalized)
            sentences.append(_Sentence(start, end, normalized, tokens, is_bare_heading(chunk.text[start:end])))
        return sentences, context, self.tokenizer.match_tokens(context)

    def _form_bonus(self, query: QueryAnalysis, normalized: str) -> float:
        bonus = 0.0
        if query.wants_quantity and DURATION.search(normalized):
            bonus += _QUANTITY_BONUS
        if query.wants_list and _ENUMERATION.search(normalized):
            bonus += _FORM_BONUS
        if query.wants_process and _STEPS.search(normalized):
            bonus += _FORM_BONUS
        return bonus

    def run(self, query: QueryAnalysis, retrieved: list[RetrievedChunk]) -> list[ScoredSentence]:
        """Every sentence that matches at least one question term, best first."""
        scored: list[ScoredSentence] = []
        for rank, hit in enumerate(retrieved):
            chunk = hit.chunk
            sentences, context, context_tokens = self._analyse(chunk)
            rank_factor = 1.0 / (1.0 + 0.15 * rank)
            for s in sentences:
                own = query.coverage(s.normalized, s.tokens)
                if own == 0 or s.bare_heading:
                    continue
                with_context = query.coverage(s.normalized + "\n" + context, s.tokens | context_tokens)
                coverage = (1 - _CONTEXT_WEIGHT) * own + _CONTEXT_WEIGHT * with_context
                score = coverage * (0.6 + 0.4 * rank_factor) + self._form_bonus(query, s.normalized)
                scored.append(
                    ScoredSentence(
                        chunk,
                        rank,
                        chunk.start + s.start,
                        chunk.start + s.end,
                        chunk.text[s.start : s.end],
                        s.normalized,
                        coverage,
                        score,
                    )
                )
        return sorted(scored, key=lambda s: s.score, reverse=True)
