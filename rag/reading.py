"""A document's reading view: its cleaned text, built from the pieces of the original that cleaning keeps.

A reader wants the content without site boilerplate (已阅读5页…, 下载本文档) and pinyin readings
(規(guī)范 → 規范), yet every citation's offsets point into the original. Each piece records where it lies
in both texts, so a viewer maps a cited span from the original onto the cleaned text.
"""

import re
from dataclasses import dataclass

from rag.clean import Cleaner
from rag.models import SourceDocument
from rag.normalize import PINYIN_ANNOTATION

_BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Piece:
    start: int  # in the original text
    end: int
    at: int  # where it starts in the cleaned text


@dataclass(frozen=True)
class ReadingView:
    text: str
    pieces: tuple[Piece, ...]


def _kept_spans(document: SourceDocument) -> list[tuple[int, int]]:
    """The lines cleaning keeps (those the index reads), each cut around its pinyin readings."""
    spans: list[tuple[int, int]] = []
    for decision in Cleaner().analyse(document)[1]:
        if decision.reason is not None:
            continue
        start = decision.start
        for reading in PINYIN_ANNOTATION.finditer(document.text, decision.start, decision.end):
            if reading.start() > start:
                spans.append((start, reading.start()))
            start = reading.end()
        if decision.end > start:
            spans.append((start, decision.end))
    return spans


def reading_view(document: SourceDocument) -> ReadingView:
    """Kept pieces in order; a line break between them where the original has one (a paragraph break
    where it has a blank line or dropped lines), nothing where only a reading was cut out."""
    parts: list[str] = []
    pieces: list[Piece] = []
    at, previous_end = 0, None
    for start, end in _kept_spans(document):
        if previous_end is not None:
            gap = document.text[previous_end:start]
            separator = "\n\n" if _BLANK_LINE.search(gap) else "\n" if "\n" in gap else ""
            parts.append(separator)
            at += len(separator)
        pieces.append(Piece(start, end, at))
        parts.append(document.text[start:end])
        at += end - start
        previous_end = end
    return ReadingView("".join(parts), tuple(pieces))
