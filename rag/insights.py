"""Knowledge gaps from the question log: what was declined (by topic), rated badly, asked most, and
which documents and sections answer questions or never do.

Declined questions are grouped by a key word: each question's content word (jieba, the tokenizer's
stopwords removed) that the most declined questions share, so questions about one missing topic
land together whatever else they say. It is deterministic and needs no fitting; the group's most
frequent words name the topic a writer drafts.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.models import DocumentRecord
from rag.normalize import normalize
from rag.questionlog import LoggedQuestion
from rag.tokenize import Tokenizer

_PUNCTUATION = re.compile(r"[\s？?！!。.，,、；;：:“”\"'（）()]+")
TOPIC_WORDS = 3  # words that name a gap cluster
SAMPLE_QUESTIONS = 5  # distinct questions shown per cluster


@dataclass(frozen=True)
class GapCluster:
    words: tuple[str, ...]  # most frequent first; the first is the key all its questions share
    questions: tuple[str, ...]  # distinct, most asked first
    count: int  # times asked, repeats included

    @property
    def topic(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class HotQuestion:
    question: str  # as first asked
    count: int
    declined: int


@dataclass(frozen=True)
class RatedAnswer:
    id: int
    question: str
    covered: bool
    comment: str | None
    asked_at: str
    doc_ids: tuple[str, ...]


@dataclass(frozen=True)
class DocumentHits:
    doc_id: str
    title: str
    hits: int  # questions citing it
    sections: tuple[tuple[str, int], ...]  # section path, questions citing it; most cited first


@dataclass(frozen=True)
class Insights:
    asked: int
    declined: int
    rated_up: int
    rated_down: int
    gaps: list[GapCluster]
    worst_rated: list[RatedAnswer]
    hot: list[HotQuestion]
    documents: list[DocumentHits]
    never_cited: list[DocumentHits]


def question_key(question: str) -> str:
    """Same question, same key: script, width, case and punctuation do not count."""
    return _PUNCTUATION.sub("", normalize(question))


def _words(tokenizer: Tokenizer, question: str) -> list[str]:
    words = (w for w, _ in tokenizer.content_words(normalize(question)) if len(w) >= 2)
    return list(dict.fromkeys(words))


def cluster_declined(entries: Sequence[LoggedQuestion], tokenizer: Tokenizer) -> list[GapCluster]:
    """Declined questions grouped by their most widely shared word, largest group first."""
    asked = Counter(question_key(e.question) for e in entries if not e.covered)
    first_text = {question_key(e.question): e.question for e in reversed(entries) if not e.covered}
    words = {key: _words(tokenizer, first_text[key]) for key in asked}
    spread = Counter(w for key, ws in words.items() for w in ws for _ in range(asked[key]))
    groups: dict[str, list[str]] = {}
    for key in sorted(asked, key=lambda k: (-asked[k], k)):
        anchor = min(words[key], key=lambda w: (-spread[w], -len(w), w)) if words[key] else first_text[key]
        groups.setdefault(anchor, []).append(key)
    clusters = []
    for anchor, keys in groups.items():
        inside = Counter(w for k in keys for w in words[k] for _ in range(asked[k]))
        # Words beside the key name the topic only if several questions use them (or there is one question).
        others = [
            w
            for w, n in sorted(inside.items(), key=lambda item: (-item[1], item[0]))
            if w != anchor and (n > 1 or len(keys) == 1)
        ]
        clusters.append(
            GapCluster(
                words=(anchor, *others[: TOPIC_WORDS - 1]),
                questions=tuple(first_text[k] for k in keys[:SAMPLE_QUESTIONS]),
                count=sum(asked[k] for k in keys),
            )
        )
    return sorted(clusters, key=lambda c: (-c.count, c.words))


def hot_questions(entries: Sequence[LoggedQuestion], limit: int) -> list[HotQuestion]:
    counts: Counter[str] = Counter()
    declined: Counter[str] = Counter()
    first_text: dict[str, str] = {}
    for entry in entries:
        key = question_key(entry.question)
        counts[key] += 1
        declined[key] += not entry.covered
        first_text.setdefault(key, entry.question)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))[:limit]
    return [HotQuestion(first_text[k], counts[k], declined[k]) for k in ranked]


def worst_rated(entries: Sequence[LoggedQuestion], limit: int) -> list[RatedAnswer]:
    """Answers rated 👎, newest first, those with a comment before those without."""
    down = [e for e in entries if e.rating is not None and e.rating < 0]
    down.sort(key=lambda e: (e.comment is None, -(e.id or 0)))
    return [
        RatedAnswer(e.id or 0, e.question, e.covered, e.comment, e.asked_at.isoformat(timespec="seconds"), e.doc_ids)
        for e in down[:limit]
    ]


def document_hits(
    entries: Sequence[LoggedQuestion], documents: Mapping[str, DocumentRecord]
) -> tuple[list[DocumentHits], list[DocumentHits]]:
    """(documents cited, most first; indexed documents no logged answer cites)."""
    hits = Counter(d for e in entries for d in e.doc_ids)
    sections: dict[str, Counter[str]] = {}
    for entry in entries:
        titled = [(d, documents[d].title) for d in entry.doc_ids if d in documents]
        for section in entry.sections:  # a section path starts with its document's title
            owner = next((d for d, t in titled if section == t or section.startswith(f"{t} > ")), None)
            if owner is not None:
                sections.setdefault(owner, Counter())[section] += 1
    cited = [
        DocumentHits(
            doc_id,
            documents[doc_id].title,
            count,
            tuple(sorted(sections.get(doc_id, Counter()).items(), key=lambda item: (-item[1], item[0]))),
        )
        for doc_id, count in sorted(hits.items(), key=lambda item: (-item[1], item[0]))
        if doc_id in documents  # a document removed since is no longer of interest
    ]
    never = [DocumentHits(d, r.title, 0, ()) for d, r in sorted(documents.items()) if d not in hits]
    return cited, never


def summarize(
    entries: Sequence[LoggedQuestion],
    documents: Mapping[str, DocumentRecord],
    tokenizer: Tokenizer,
    limit: int = 10,
) -> Insights:
    cited, never = document_hits(entries, documents)
    return Insights(
        asked=len(entries),
        declined=sum(not e.covered for e in entries),
        rated_up=sum(e.rating is not None and e.rating > 0 for e in entries),
        rated_down=sum(e.rating is not None and e.rating < 0 for e in entries),
        gaps=cluster_declined(entries, tokenizer)[:limit],
        worst_rated=worst_rated(entries, limit),
        hot=hot_questions(entries, limit),
        documents=cited,
        never_cited=never,
    )
