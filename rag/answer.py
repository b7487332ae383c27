"""Extractive answers: sentences quoted from the retrieved chunks, each one cited.

No model writes anything, so nothing can be invented: an answer is a selection of the documents'
own sentences, ordered for reading, with a note where the documents give different figures, or a
plain statement that the documents do not cover the question.
"""

import re

from rag.evidence import DURATION, ScoredSentence, SentenceScorer
from rag.models import Answer, AnswerSentence, Citation, RetrievedChunk
from rag.normalize import normalize, strip_annotations
from rag.query import QueryAnalysis

_RELATIVE_FLOOR = 0.55  # keep sentences scoring at least this share of the best one
_DUPLICATE_JACCARD = 0.6
_CLOSEST_TOPICS = 3
_EVIDENCE_CHUNKS = 3
_EVIDENCE_MARGIN = 0.0  # top chunks together may carry what no single sentence does
_SUBJECT_WEIGHT = 4.7  # a noun this specific that no top passage mentions means "not covered"


def _bigrams(text: str) -> set[str]:
    compact = re.sub(r"\W+", "", text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)} or {compact}


def jaccard(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def closest_topics(retrieved: list[RetrievedChunk], limit: int = _CLOSEST_TOPICS) -> list[str]:
    topics: list[str] = []
    for hit in retrieved:
        path = hit.chunk.section_path
        if path not in topics:
            topics.append(path)
        if len(topics) == limit:
            break
    return topics


def refusal(question: str, retrieved: list[RetrievedChunk], mode: str = "extractive") -> Answer:
    topics = closest_topics(retrieved)
    message = f"现有文档未涉及“{question.strip()}”，无法给出有依据的回答。"
    if topics:
        message += "相近的主题有：" + "；".join(topics) + "。"
    return Answer(question=question, covered=False, notes=[message], closest_topics=topics, mode=mode)


def duration_note(sentences: list[AnswerSentence], citations: list[Citation]) -> str | None:
    """Point out when cited passages from different places state different time limits."""
    by_id = {c.id: c for c in citations}
    mentions: list[tuple[Citation, list[str]]] = []
    for sentence in sentences:
        for cid in sentence.citation_ids:
            citation = by_id[cid]
            values = list(dict.fromkeys(m.group(0) for m in DURATION.finditer(normalize(citation.quote))))
            if values:
                mentions.append((citation, values))
    distinct = {value for _, values in mentions for value in values}
    places = {(c.doc_id, c.section) for c, _ in mentions}
    if len(distinct) < 2 or len(places) < 2:
        return None
    parts = [f"《{c.title}》{_section_name(c)}：{'、'.join(values)} [{c.id}]" for c, values in mentions]
    return "注意：不同文档或章节给出的时限并不一致——" + "；".join(parts) + "。请按适用的场景确认。"


def _section_name(citation: Citation) -> str:
    inner = citation.section.removeprefix(citation.title).lstrip(" >")
    return f"“{inner}”" if inner else "正文"


class ExtractiveAnswerer:
    """Pipeline stage: (question analysis, retrieved chunks) → cited Answer, or a refusal."""

    def __init__(
        self,
        scorer: SentenceScorer,
        max_sentences: int = 6,
        min_coverage: float = 0.45,
        min_dense_score: float = 0.86,
        normalize_enabled: bool = True,
    ) -> None:
        self.scorer = scorer
        self.tokenizer = scorer.tokenizer
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage
        self.min_dense_score = min_dense_score
        self.normalize_enabled = normalize_enabled

    def is_covered(self, query: QueryAnalysis, retrieved: list[RetrievedChunk], best: ScoredSentence | None) -> bool:
        """Covered when one sentence (with its headings) carries most of what the question asks,
        or the top chunks together carry even more of it."""
        if not retrieved:
            return False
        if not query.terms:
            return max((h.dense_score or 0.0) for h in retrieved) >= self.min_dense_score
        evidence = "\n".join(
            normalize(" ".join((h.chunk.title, *h.chunk.section, h.chunk.text)), self.normalize_enabled)
            for h in retrieved[:_EVIDENCE_CHUNKS]
        )
        tokens = frozenset(self.tokenizer.tokens(evidence))
        if query.missing_subjects(evidence, tokens, _SUBJECT_WEIGHT) or not query.states_asked_count(evidence):
            return False
        if best is not None and best.coverage >= self.min_coverage:
            return True
        return query.coverage(evidence, tokens) >= self.min_coverage + _EVIDENCE_MARGIN

    def select(self, scored: list[ScoredSentence]) -> list[ScoredSentence]:
        if not scored:
            return []
        floor = scored[0].score * _RELATIVE_FLOOR
        chosen: list[ScoredSentence] = []
        for sentence in scored:
            if sentence.score < floor or len(chosen) == self.max_sentences:
                break
            if any(jaccard(sentence.normalized, c.normalized) >= _DUPLICATE_JACCARD for c in chosen):
                continue
            chosen.append(sentence)
        # Reading order: documents in the order they first matter, sentences in document order.
        doc_rank: dict[str, int] = {}
        for sentence in chosen:
            doc_rank.setdefault(sentence.chunk.doc_id, len(doc_rank))
        return sorted(chosen, key=lambda s: (doc_rank[s.chunk.doc_id], s.start))

    def run(self, query: QueryAnalysis, retrieved: list[RetrievedChunk]) -> Answer:
        scored = self.scorer.run(query, retrieved)
        if not self.is_covered(query, retrieved, scored[0] if scored else None):
            return refusal(query.question, retrieved)
        sentences: list[AnswerSentence] = []
        citations: list[Citation] = []
        for number, sentence in enumerate(self.select(scored), 1):
            citations.append(
                Citation.of(number, sentence.chunk, sentence.start, sentence.end, sentence.quote, sentence.score)
            )
            sentences.append(AnswerSentence(strip_annotations(sentence.quote), (number,)))
        answer = Answer(question=query.question, covered=True, sentences=sentences, citations=citations)
        if note := duration_note(sentences, citations):
            answer.notes.append(note)
        return answer
