"""Whether a passage is about a draft's topic: the relevance bar a clause must clear to enter a draft.

A topic names a kind of document and its subject (客户服务标准: a 标准 about 客户服务). A clause is about the
subject when it, together with the headings above it, holds the subject's weighted terms. The headings count
because a regulation's article rarely repeats its title (第八条 连续5次输错密码的… in 信息安全管理规定); but
only the most specific heading that names the subject: in 员工考勤与休假管理办法 the chapter 第三章 休假 speaks
for a draft on 休假, and the title no longer lends its 休假 to the articles of 第二章 工作时间与考勤.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from rag.models import Chunk
from rag.query import QueryAnalysis
from rag.synonyms import Synonyms
from rag.tokenize import Tokenizer

# Words that name the kind of document to write, not what it is about: 客户服务标准 is about 客户服务.
_GENRE = re.compile(
    r"(?:管理|实施)?(?:制度|标准|规范|办法|规定|细则|手册|指南|要求|守则|规程|条例|准则|方案|规则|政策|体系|管理)$"
)
_WHOLE = 0.999  # a heading "names" the subject when it holds all of its terms


def subject_of(topic: str) -> str:
    """What a topic is about: 客户服务标准 → 客户服务, 应急预案管理规范 → 应急预案; the topic itself when it is
    nothing but such words."""
    subject = topic
    while (stripped := _GENRE.sub("", subject)) != subject and stripped:
        subject = stripped
    return subject


def with_composed_synonyms(analysis: QueryAnalysis, tokenizer: Tokenizer, synonyms: Synonyms) -> QueryAnalysis:
    """Each compound term also matches its parts' synonyms put together (客户服务 matches 用户服务 where 客户
    and 用户 are synonyms), since a writer's topic rarely uses the source's own words."""
    terms = []
    for term in analysis.terms:
        forms = set(term.forms)
        for form in term.forms:
            parts = set(tokenizer.sub_words(form))
            for cut in range(2, len(form) - 1):
                head, tail = form[:cut], form[cut:]
                if {head, tail} <= parts:
                    forms |= {h + t for h in synonyms.forms(head) for t in synonyms.forms(tail)}
        terms.append(replace(term, forms=frozenset(forms)))
    return replace(analysis, terms=tuple(terms))


class TopicMatch:
    """How much of one topic's subject a passage holds, with its headings, for one draft."""

    def __init__(
        self,
        subject: QueryAnalysis,
        tokenizer: Tokenizer,
        normalize: Callable[[str], str],
        chunks_of: Callable[[str], Iterable[Chunk]],
        min_relevance: float,
    ) -> None:
        self.subject = subject
        self.tokenizer = tokenizer
        self.normalize = normalize
        self.chunks_of = chunks_of  # a document's chunks, by doc_id
        self.min_relevance = min_relevance
        self._focus: dict[str, frozenset[str]] = {}

    def coverage(self, text: str) -> float:
        normalized = self.normalize(text)
        return self.subject.coverage(normalized, self.tokenizer.match_tokens(normalized))

    def names(self, heading: str) -> bool:
        return self.coverage(heading) >= _WHOLE

    def focus(self, doc_id: str) -> frozenset[str]:
        """The top-level chapters of a document whose headings hold the most of the subject (none when no
        chapter heading holds any): only under them does the title speak for an article."""
        if doc_id not in self._focus:
            chapters = {c.section[0] for c in self.chunks_of(doc_id) if c.section}
            scores = {chapter: self.coverage(chapter) for chapter in chapters}
            best = max(scores.values(), default=0.0)
            self._focus[doc_id] = frozenset(c for c, s in scores.items() if s == best) if best > 0 else frozenset()
        return self._focus[doc_id]

    def headings(self, chunk: Chunk) -> tuple[str, ...]:
        """The headings that speak for a chunk's text: its title and section path, or its section path alone
        when another chapter of its document is the one named after the subject (text outside any chapter
        keeps its title)."""
        focus = self.focus(chunk.doc_id)
        if focus and chunk.section and chunk.section[0] not in focus:
            return chunk.section
        return (chunk.title, *chunk.section)

    def relevance(self, text: str, chunk: Chunk) -> tuple[float, float]:
        """The subject's share in `text` with the headings that speak for it, and in `text` alone."""
        return self.coverage(text + "\n" + " ".join(self.headings(chunk))), self.coverage(text)

    def relevant(self, text: str, chunk: Chunk) -> bool:
        return self.relevance(text, chunk)[0] >= self.min_relevance

    def named_section(self, chunk: Chunk) -> tuple[str, ...] | None:
        """The shortest heading path above `chunk` (title first) that names the whole subject, if any; below
        the title when a chapter is the one named after the subject, so only that chapter is read whole."""
        labels = self.headings(chunk)
        full = (chunk.title, *chunk.section)
        first = 2 if self.focus(chunk.doc_id) and labels == full else 1
        for depth in range(first, len(labels) + 1):
            if self.names(" ".join(labels[:depth])):
                return full[: len(full) - len(labels) + depth]
        return None
