"""Typed objects passed between pipeline stages: load → clean → chunk → index → retrieve → answer."""

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class SourceDocument:
    """A file as read: `text` is the decoded original that every citation offset points into."""

    doc_id: str
    source: str
    text: str
    content_hash: str
    format: str = "txt"


class SegmentKind(StrEnum):
    HEADING = "heading"
    BODY = "body"


@dataclass(frozen=True)
class Segment:
    """One kept line of a document, with offsets into the original text.

    `new_part` marks a segment after site boilerplate that separates answers on a scraped page,
    so the section path restarts there. `contiguous` is False when dropped text lies between
    this segment and the previous one, so no chunk may span the gap.
    """

    start: int
    end: int
    kind: SegmentKind
    level: int = 0
    label: str = ""
    new_part: bool = False
    contiguous: bool = True


@dataclass(frozen=True)
class CleanDocument:
    source: SourceDocument
    title: str
    segments: list[Segment]


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    section: tuple[str, ...]
    start: int
    end: int
    text: str

    @property
    def section_path(self) -> str:
        return " > ".join((self.title, *self.section))


def section_within(title: str, section_path: str) -> str:
    """The part of a section path below its document's title ("" for the document's own text)."""
    return section_path.removeprefix(title).lstrip(" >")


@dataclass(frozen=True)
class RetrievedChunk:
    """A chunk with its fused score and what each retriever said of it (None: not among its hits)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class Citation:
    id: int
    doc_id: str
    title: str
    section: str
    quote: str
    start: int
    end: int
    score: float

    @classmethod
    def of(cls, number: int, chunk: "Chunk", start: int, end: int, quote: str, score: float) -> "Citation":
        """Citation `[number]` of the span start:end (document offsets) inside `chunk`."""
        return cls(number, chunk.doc_id, chunk.title, chunk.section_path, quote, start, end, round(score, 4))


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citation_ids: tuple[int, ...]


@dataclass
class Answer:
    question: str
    covered: bool
    sentences: list[AnswerSentence] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    closest_topics: list[str] = field(default_factory=list)
    mode: str = "extractive"

    @property
    def text(self) -> str:
        if not self.covered:
            return self.notes[0] if self.notes else ""
        body = "\n".join(f"{s.text}{''.join(f'[{i}]' for i in s.citation_ids)}" for s in self.sentences)
        return "\n".join([body, *self.notes]) if self.notes else body


@dataclass(frozen=True)
class DocumentRecord:
    """What the manifest keeps per indexed document."""

    doc_id: str
    title: str
    source: str
    content_hash: str
    chunk_ids: tuple[str, ...]
    indexed_at: str
    groups: tuple[str, ...] = ("public",)
    revision: int = 1  # bumped each time the content changes
    version: str | None = None  # as the document or the uploader states it, e.g. "V2.1"
    effective_date: str | None = None  # ISO date the document takes effect
    format: str = "txt"
    chars: int = 0
