"""Extractive answers: sentences quoted from the retrieved chunks, each one cited.

No model writes anything, so nothing can be invented: an answer is a selection of the documents'
own sentences, ordered for reading, with a note where the documents give different figures, or a
plain statement that the documents do not cover the question.
"""

import re
from dataclasses import replace

from rag.clean import is_table_row
from rag.evidence import DURATION, ScoredSentence
from rag.models import Answer, AnswerSentence, Citation, RetrievedChunk, section_within
from rag.normalize import normalize, strip_annotations
from rag.query import QueryAnalysis
from rag.sentences import LEAD_IN, LIST_ITEM, split_sentences

_DUPLICATE_JACCARD = 0.6
_CLOSEST_TOPICS = 3


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
    inner = section_within(citation.title, citation.section)
    return f"“{inner}”" if inner else "正文"


class ExtractiveAnswerer:
    """Pipeline stage: (question analysis, scored sentences of a covered question) → cited Answer.

    Whether to answer at all is decided before, by `rag.coverage.CoverageJudge`. The answer leads
    with the best sentence of the top-ranked passage and keeps that passage's sentences scoring near
    it. A sentence of another passage is kept only when it holds at least `min_sentence_coverage` of
    the question's weighted terms (an absolute bar: a padding sentence about another topic fails it)
    and scores almost as well as the best sentence overall. A lead-in that introduces a list
    ("…包括：") brings its items, in order. When the best sentence is a table row, the question asks
    about that row: the table's other rows (which repeat its column names, so they match nearly as
    well) stay only if they score almost as well.
    """

    def __init__(
        self,
        max_sentences: int = 6,
        min_sentence_coverage: float = 0.3,
        relative_floor: float = 0.55,
        other_passage_floor: float = 0.85,
    ) -> None:
        self.max_sentences = max_sentences
        self.min_sentence_coverage = min_sentence_coverage
        self.relative_floor = relative_floor
        self.other_passage_floor = other_passage_floor

    def select(self, scored: list[ScoredSentence]) -> list[ScoredSentence]:
        """The best sentence of the top-ranked passage, then its passage's sentences near it, then other
        passages' sentences only when they score almost as well as the best overall and cover the question.

        An answer usually lives in one passage, and the ranker (which sees title, section and both
        retrievers) knows better than the sentence score which passage that is: leading with the most
        lexical sentence from any passage let a padding sentence that repeats the question's words win.
        """
        if not scored:
            return []
        best = min(scored, key=lambda sentence: sentence.rank)  # the first, so the best, of the top passage
        row_asked = is_table_row(best.quote)
        chosen: list[ScoredSentence] = [best]
        for sentence in scored:
            if len(chosen) == self.max_sentences:
                break
            if sentence is best:
                continue
            close = sentence.chunk.chunk_id == best.chunk.chunk_id and not (row_asked and is_table_row(sentence.quote))
            if close:
                admitted = sentence.score >= best.score * self.relative_floor
            else:
                admitted = (
                    sentence.score >= scored[0].score * self.other_passage_floor
                    and sentence.coverage >= self.min_sentence_coverage
                )
            if not admitted:
                continue
            if any(jaccard(sentence.normalized, c.normalized) >= _DUPLICATE_JACCARD for c in chosen):
                continue
            chosen.append(sentence)
        chosen = _with_list_items(chosen, self.max_sentences)
        # Reading order: documents in the order they first matter, sentences in document order.
        doc_rank: dict[str, int] = {}
        for sentence in chosen:
            doc_rank.setdefault(sentence.chunk.doc_id, len(doc_rank))
        return sorted(chosen, key=lambda s: (doc_rank[s.chunk.doc_id], s.start))

    def run(self, query: QueryAnalysis, scored: list[ScoredSentence]) -> Answer:
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


_LIST_ITEMS = 12


def _with_list_items(chosen: list[ScoredSentence], limit: int) -> list[ScoredSentence]:
    """A chosen lead-in ending in "：" is followed by the sentences after it in its chunk, its items."""
    result = list(chosen)
    for lead in chosen:
        if not LEAD_IN.search(lead.quote):
            continue
        for start, end in split_sentences(lead.chunk.text, lead.end - lead.chunk.start)[:_LIST_ITEMS]:
            begin, finish = lead.chunk.start + start, lead.chunk.start + end
            if any(s.chunk.chunk_id == lead.chunk.chunk_id and s.start == begin for s in result):
                continue
            quote = lead.chunk.text[start:end]
            if not LIST_ITEM.match(quote):
                break
            result.append(replace(lead, start=begin, end=finish, quote=quote, normalized=normalize(quote)))
        if len(result) >= limit + _LIST_ITEMS:
            break
    return result
