"""学习目录: a map of the corpus built from the section tree, for trainees to browse and ask from.

Pipeline stage over the indexed chunks of the documents a caller may read: each document's top-level
sections (its topics) with the sections below them, each with where its heading stands in the
original text (so the viewer opens there), a summary (its first sentences) and a question it answers,
phrased from its heading without a model. The same section paths are what citations and a refusal's
closest topics name, so any of them can restrict a question to that section (`chunks_under`).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.errors import RagError
from rag.models import Chunk
from rag.normalize import strip_annotations, to_simplified
from rag.sentences import split_sentences

SUMMARY_CHARS = 60  # sentences are added to a summary until it is this long…
MAX_SUMMARY_CHARS = 120  # …and it is cut with "…" beyond this
QUESTIONS_PER_TOPIC = 4
SHORT_HEADING_CHARS = 4  # a sub-heading this short is asked about together with its parent's
SEPARATOR = " > "

_CN_NUM = "一二三四五六七八九十百千零〇两"
# A heading's own numbering: 第一章, 一、, （一）, 1. or 1.2 — not part of what it names.
_NUMBERING = re.compile(
    rf"^(?:第[{_CN_NUM}\d]+(?:[编編章节節条條篇]|部分)|[（(][{_CN_NUM}\d]+[)）]|[{_CN_NUM}]+[、.．]"
    r"|\d+(?:[.．]\d+)+|\d+[.．、](?!\d)|\d+(?=\s))\s*"
)
# Words that make a heading a question already ("运营交付标准有哪些内容").
_INTERROGATIVE = re.compile(r"哪|什么|怎么|怎样|如何|多少|多久|多长|何时|几[个项种条天次]|是否|为何|为什么|吗$|呢$")
_TRAILING = re.compile(r"[\s、，,：:；;。.？?！!]+$")
_MARKUP = re.compile(r"^[#\s]+")  # a Markdown heading's hashes
_LABEL_END = "：:，,。；;、"


class UnknownSectionError(RagError):
    def __init__(self, section: str) -> None:
        super().__init__(
            f"没有可查阅的章节“{section}”：请从学习目录（GET /topics、rag topics）或回答中的“相近的主题”里选择章节。"
        )


@dataclass(frozen=True)
class Section:
    """One place in a document: `path` is what /ask's `section` takes; `start`:`end` is its heading in the
    original text (its first sentence where no heading line is found), where the viewer opens."""

    labels: tuple[str, ...]  # below the document's title; () is the document's own text
    path: str
    start: int
    end: int
    summary: str
    question: str | None


@dataclass(frozen=True)
class Topic:
    """A top-level section and the sections below it, in document order."""

    section: Section
    sections: list[Section]

    @property
    def questions(self) -> list[str]:
        """Suggested questions: the topic's own, then its sections'."""
        asked = (s.question for s in (self.section, *self.sections) if s.question)
        return list(dict.fromkeys(asked))[:QUESTIONS_PER_TOPIC]


@dataclass(frozen=True)
class DocumentTopics:
    doc_id: str
    title: str
    overview: Section | None  # the document's own text outside its sections, where it has any
    topics: list[Topic]


def heading_name(label: str) -> str:
    """What a heading names: its numbering and trailing punctuation removed, pinyin readings too."""
    return _TRAILING.sub("", _NUMBERING.sub("", strip_annotations(label).strip(), count=1))


def suggested_question(label: str, parent: str | None = None) -> str | None:
    """A question the section under `label` answers: "服务响应时限" → "服务响应时限是怎么规定的？"; a heading
    that asks already keeps its words, and a short one says what it belongs to ("巡检内容的温度…"), as a
    bare "温度" could be anything's. Simplified script, as questions are typed. None for a bare number."""
    name = to_simplified(heading_name(label))
    if not name:
        return None
    context = to_simplified(heading_name(parent)) if parent else ""
    if len(name) <= SHORT_HEADING_CHARS and context and name not in context:
        name = f"{context}的{name}"
    return f"{name}？" if _INTERROGATIVE.search(name) else f"{name}是怎么规定的？"


def within(section_path: str, path: str) -> bool:
    """Whether a section path lies at or below `path`, by whole headings ("一、服务" is not under "一、服")."""
    return section_path == path or section_path.startswith(path + SEPARATOR)


def chunks_under(chunks: Iterable[Chunk], path: str) -> frozenset[str]:
    """The ids of the chunks in section `path` and the sections below it (a document's title alone: the whole
    document); an unknown path (or one outside `chunks`) is an error."""
    path = path.strip()
    found = frozenset(c.chunk_id for c in chunks if within(c.section_path, path))
    if not found:
        raise UnknownSectionError(path)
    return found


def build_topics(chunks: Iterable[Chunk]) -> list[DocumentTopics]:
    """The map of the documents whose chunks are given (pass only what the caller may read), by doc id."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    return [_document(sorted(by_doc[d], key=lambda c: c.start)) for d in sorted(by_doc)]


def _document(chunks: list[Chunk]) -> DocumentTopics:
    first = chunks[0]
    own = [c for c in chunks if not c.section]
    prefixes: dict[tuple[str, ...], list[Chunk]] = {}
    for chunk in chunks:
        for depth in range(1, len(chunk.section) + 1):
            prefixes.setdefault(chunk.section[:depth], []).append(chunk)
    sections = {labels: _section(first.title, labels, members) for labels, members in prefixes.items()}
    below: dict[str, list[Section]] = {}
    for labels, section in sections.items():
        if len(labels) > 1:
            below.setdefault(labels[0], []).append(section)
    topics = [
        Topic(section, sorted(below.get(labels[0], []), key=lambda s: s.start))
        for labels, section in sections.items()
        if len(labels) == 1
    ]
    overview = _section(first.title, (), own) if own else None
    return DocumentTopics(first.doc_id, first.title, overview, sorted(topics, key=lambda t: t.section.start))


def _section(title: str, labels: tuple[str, ...], chunks: Sequence[Chunk]) -> Section:
    """Opened at its heading line: the first in document order that names it. A chunk may lie before it
    (a page's outline repeated ahead of the text keeps its sections' names), so not simply the first chunk."""
    path = SEPARATOR.join((title, *labels))
    home, heading = chunks[0], None
    if labels:
        for chunk in chunks:
            if (heading := _heading_line(chunk, labels[-1])) is not None:
                home = chunk
                break
    body = [s for s in split_sentences(home.text) if not _is_heading(home, s)]
    summary = _summary(home.text, body)
    start, end = heading or (body[0] if body else (0, len(home.text)))
    if heading is None:
        start, end = home.start + start, home.start + end
    question = suggested_question(labels[-1], labels[-2] if len(labels) > 1 else None) if labels else None
    question = question or suggested_question(title)
    return Section(labels, path, start, end, summary, question)


def _heading_line(chunk: Chunk, label: str) -> tuple[int, int] | None:
    """The document offsets of the line in `chunk` that is the heading `label`, if it holds one."""
    for match in re.finditer(r"[^\r\n]+", chunk.text):
        line = match.group().strip()
        if line and _names(_display(line), label):
            start = chunk.start + match.start() + match.group().index(line)
            return start, start + len(line)
    return None


def _is_heading(chunk: Chunk, span: tuple[int, int]) -> bool:
    """A sentence that is one of the chunk's heading lines (a chunk opening a section starts with them)."""
    line = _display(chunk.text[span[0] : span[1]])
    return any(_names(line, label) for label in chunk.section)


def _display(line: str) -> str:
    return _MARKUP.sub("", strip_annotations(line))


def _names(line: str, label: str) -> bool:
    """Whether `line` is the heading `label`: a label is its heading up to the first punctuation (rag.clean),
    so a body line that merely begins with the same words is not it."""
    rest = line[len(label) :] if line.startswith(label) else None
    return rest is not None and (not rest or rest[0] in _LABEL_END)


def _summary(text: str, sentences: list[tuple[int, int]]) -> str:
    summary = ""
    for start, end in sentences:
        summary += " ".join(strip_annotations(text[start:end]).split())
        if len(summary) >= SUMMARY_CHARS:
            break
    return summary if len(summary) <= MAX_SUMMARY_CHARS else summary[: MAX_SUMMARY_CHARS - 1] + "…"
