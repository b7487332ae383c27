"""Chunking along the document's structure, sized in jieba tokens.

A chunk never crosses a heading of another section, a part break or dropped boilerplate, so its
text is one verbatim span of the original and its section path is unambiguous. Each 第X条 clause
is chunked on its own: it is the unit a regulation is cited and asked by, and packing short
clauses together would let the wrong one answer. Within a clause (or a section without clauses)
sentences are packed up to `max_tokens`, and the next chunk repeats the last sentences (up to
`overlap_tokens`) so a statement split across the boundary is still found whole; a lead-in and its
"（一）…；" items therefore stay in one chunk while they fit.

Table rows are units of their own. A chunk that starts below a table's header row carries the
header as the last label of its section path rather than a copy of it, so the text stays verbatim.
"""

import hashlib
from dataclasses import dataclass, field

from rag.clean import CLAUSE, DropReason, LineDecision, is_table_row
from rag.models import Chunk, CleanDocument, Segment, SegmentKind
from rag.normalize import normalize
from rag.sentences import split_sentences
from rag.tokenize import Tokenizer


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    header: str = ""  # for a table row below its header: the header row


@dataclass
class _Section:
    path: tuple[str, ...]
    level: int  # of its last heading; 0 when it has none
    blocks: list[list[_Unit]] = field(default_factory=lambda: [[]])
    has_body: bool = False


def _under(heading: Segment, section: _Section) -> bool:
    """A heading right below a section that holds only headings: its sub-heading, or the second line
    of a wrapped heading (whose label extends the first's)."""
    if heading.level > section.level:
        return True
    return heading.level == section.level and bool(section.path) and heading.label.startswith(section.path[-1])


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
            for units in section.blocks:
                for first, last in self._pack(units):
                    start, end = units[first].start, units[last].end
                    body = text[start:end]
                    normalized = normalize(body)
                    occurrence = seen.get(normalized, 0)
                    seen[normalized] = occurrence + 1
                    header = (units[first].header,) if units[first].header else ()
                    chunks.append(
                        Chunk(
                            chunk_id=chunk_id(document.source.doc_id, normalized, occurrence),
                            doc_id=document.source.doc_id,
                            title=document.title,
                            section=section.path + header,
                            start=start,
                            end=end,
                            text=body,
                        )
                    )
        return chunks

    def _sections(self, document: CleanDocument) -> list[_Section]:
        text = document.source.text
        headings: list[tuple[int, str]] = []
        sections: list[_Section] = []
        header: str | None = None  # header row of the table being read
        for segment in document.segments:
            if segment.new_part:
                headings = []
            heading = segment.kind is SegmentKind.HEADING
            if heading:
                headings = [h for h in headings if h[0] < segment.level] + [(segment.level, segment.label)]
            path = tuple(label for _, label in headings)
            current = sections[-1] if sections else None
            joins = (
                current is not None
                and segment.contiguous
                and not segment.new_part
                # body under the same headings, or a sub-heading right under its parent heading
                and (current.path == path if not heading else not current.has_body and _under(segment, current))
            )
            if not joins:
                sections.append(_Section(path=path, level=segment.level if heading else 0))
                header = None
            section = sections[-1]
            section.path, section.level = path, segment.level if heading else section.level
            line = text[segment.start : segment.end]
            if not heading:
                if CLAUSE.match(line) and section.has_body:
                    section.blocks.append([])
                    header = None
                section.has_body = True
            units = section.blocks[-1]
            if is_table_row(line) and not heading:
                row_header = "" if header is None else header
                header = line if header is None else header
                units.append(_Unit(segment.start, segment.end, self._tokens(line), row_header))
                continue
            header = None
            for s, e in split_sentences(text, segment.start, segment.end):
                units.append(_Unit(s, e, self._tokens(text[s:e])))
        return sections

    def _tokens(self, text: str) -> int:
        return max(len(self.tokenizer.words(normalize(text))), 1)

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


@dataclass(frozen=True)
class DroppedSpan:
    """Text of a document that is in no chunk, with the reason."""

    start: int
    end: int
    reason: DropReason


@dataclass(frozen=True)
class Coverage:
    """Non-whitespace characters of a document kept in chunks and dropped; `lost` counts the CJK
    characters dropped for a reason that does not explain them away (not boilerplate, title,
    trailer or a duplicate whose fuller copy is kept)."""

    kept: int
    dropped: int
    lost: int


_EXPLAINED = {DropReason.BOILERPLATE, DropReason.TRAILER, DropReason.TITLE, DropReason.DUPLICATE}


def dropped_spans(document: CleanDocument, decisions: list[LineDecision], chunks: list[Chunk]) -> list[DroppedSpan]:
    """Every run of non-whitespace text outside all chunks, with the reason cleaning or chunking dropped it."""
    text = document.source.text
    covered = bytearray(len(text))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    headings = {(s.start, s.end): s.label for s in document.segments if s.kind is SegmentKind.HEADING}
    labels = {label for chunk in chunks for label in chunk.section}
    spans: list[DroppedSpan] = []
    for decision in decisions:
        reason = decision.reason
        if reason is None:
            label = headings.get((decision.start, decision.end))
            if label is None:
                reason = DropReason.UNCHUNKED
            else:  # an outline's heading is explained when the same heading leads chunks later on
                reason = DropReason.DUPLICATE if label in labels else DropReason.HEADING_ONLY
        position = decision.start
        while position < decision.end:
            if covered[position] or _blank(text[position]):
                position += 1
                continue
            end = position
            while end < decision.end and not covered[end]:
                end += 1
            while _blank(text[end - 1]):
                end -= 1
            spans.append(DroppedSpan(position, end, reason))
            position = end
    return spans


def coverage(document: CleanDocument, spans: list[DroppedSpan]) -> Coverage:
    text = document.source.text
    total = sum(not _blank(ch) for ch in text)
    dropped = sum(sum(not _blank(ch) for ch in text[s.start : s.end]) for s in spans)
    lost = sum(sum(_is_cjk(ch) for ch in text[s.start : s.end]) for s in spans if s.reason not in _EXPLAINED)
    return Coverage(kept=total - dropped, dropped=dropped, lost=lost)


def _blank(ch: str) -> bool:
    return ch.isspace() or ch in "\u200b\ufeff"


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"
