"""Chunking along the document's structure, sized in jieba tokens.

A chunk never crosses a heading, a part break or dropped boilerplate, so its text is one verbatim
span of the original and its section path is unambiguous. Within a section, sentences are packed
up to `max_tokens`, and the next chunk repeats the last sentences (up to `overlap_tokens`) so a
statement split across the boundary is still found whole.
"""

import hashlib
from dataclasses import dataclass

from rag.models import Chunk, CleanDocument, SegmentKind
from rag.normalize import normalize
from rag.sentences import split_sentences
from rag.tokenize import Tokenizer


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int


@dataclass
class _Section:
    path: tuple[str, ...]
    units: list[_Unit]
    has_body: bool = False


_MIN_CLAUSE_CHARS = 8


def _clause_text(text: str, start: int, end: int, label: str) -> bool:
    """A numbered heading that states a rule of its own ("1.明确…,包括…") is content, not a bare title."""
    return len(normalize(text[start:end])) - len(normalize(label)) >= _MIN_CLAUSE_CHARS


def _drop_contained(chunks: list[Chunk]) -> list[Chunk]:
    """Chunks whose text recurs inside a fuller or later chunk of the same document.

    A page that repeats its outline before the full text would otherwise answer twice.
    """
    normalized = [normalize(c.text) for c in chunks]

    def superseded(i: int) -> bool:
        return any(
            normalized[i] in normalized[j] and (len(normalized[j]) > len(normalized[i]) or j > i)
            for j in range(len(chunks))
            if j != i
        )

    return [chunk for i, chunk in enumerate(chunks) if not superseded(i)]


def chunk_id(doc_id: str, normalized_text: str, occurrence: int) -> str:
    """Derived from the document and the content, so unchanged text keeps its id (and its vector)."""
    digest = hashlib.sha1(f"{doc_id}\x00{normalized_text}\x00{occurrence}".encode()).hexdigest()
    return digest[:20]


class Chunker:
    """Pipeline stage: CleanDocument → list[Chunk]."""

    def __init__(self, tokenizer: Tokenizer, max_tokens: int = 160, overlap_tokens: int = 24) -> None:
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def run(self, document: CleanDocument) -> list[Chunk]:
        text = document.source.text
        chunks: list[Chunk] = []
        seen: dict[str, int] = {}
        for section in self._sections(document):
            if not section.has_body:
                continue
            for first, last in self._pack(section.units):
                start, end = section.units[first].start, section.units[last].end
                body = text[start:end]
                normalized = normalize(body)
                occurrence = seen.get(normalized, 0)
                seen[normalized] = occurrence + 1
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id(document.source.doc_id, normalized, occurrence),
                        doc_id=document.source.doc_id,
                        title=document.title,
                        section=section.path,
                        start=start,
                        end=end,
                        text=body,
                    )
                )
        return _drop_contained(chunks)

    def _sections(self, document: CleanDocument) -> list[_Section]:
        text = document.source.text
        headings: list[tuple[int, str]] = []
        sections: list[_Section] = []
        for segment in document.segments:
            if segment.new_part:
                headings = []
            if segment.kind is SegmentKind.HEADING:
                headings = [h for h in headings if h[0] < segment.level] + [(segment.level, segment.label)]
            path = tuple(label for _, label in headings)
            starts_section = (
                not sections
                or segment.kind is SegmentKind.HEADING
                or not segment.contiguous
                or sections[-1].path != path
            )
            if starts_section:
                sections.append(_Section(path=path, units=[]))
            section = sections[-1]
            if segment.kind is SegmentKind.BODY or _clause_text(text, segment.start, segment.end, segment.label):
                section.has_body = True
            for s, e in split_sentences(text, segment.start, segment.end):
                count = len(self.tokenizer.words(normalize(text[s:e])))
                section.units.append(_Unit(s, e, max(count, 1)))
        return sections

    def _pack(self, units: list[_Unit]) -> list[tuple[int, int]]:
        """Index ranges (inclusive) of units forming each chunk."""
        ranges: list[tuple[int, int]] = []
        first = 0
        while first < len(units):
            last, total = first, units[first].tokens
            while last + 1 < len(units) and total + units[last + 1].tokens <= self.max_tokens:
                last += 1
                total += units[last].tokens
            ranges.append((first, last))
            if last + 1 >= len(units):
                break
            next_first, carried = last + 1, 0
            while next_first - 1 > first and carried + units[next_first - 1].tokens <= self.overlap_tokens:
                next_first -= 1
                carried += units[next_first].tokens
            first = next_first
        return ranges
