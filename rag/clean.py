"""Cleaning: decide which lines of a scraped document are content, and which are headings.

Nothing is rewritten: the output is a list of kept line spans into the original text, so every
later offset and quote is verbatim. Site boilerplate is dropped, a page that repeats its outline
keeps only the fuller copy, and headings are labelled with their level so chunks can carry a
section path. A line is a heading only when it is short and the text under it is its body
("第三章 休假", "一、总则", "（二）报销标准", "# 标题"); a 第X条 clause, a "1." step or a "（一）"
item that says something is content, and so are the dates under a regulation's title.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from rag.models import CleanDocument, Segment, SegmentKind, SourceDocument
from rag.normalize import normalize, strip_annotations

# Matched against the normalised (Simplified) line.
_DROP_LINE = re.compile(
    r"^(?:"
    r"[^\w|]+"  # separators, lone punctuation; a table's |---| rule stays with its table
    r"|<!--.*-->"  # markup comments such as <!-- INFO END -->
    r"|已被采纳为最佳回答"
    r"|.{0,80}_第\d+页"  # page markers such as 标题_第1页
    r"|已阅读\d+页.*"
    r"|.*继续免费阅读.*"
    r"|下载本文档|文档简介"
    r"|版权说明.*|版权所有.*|(?:©|copyright).*"
    r"|\d+/\d+"  # comment counters such as 0/150
    r"|提交评论|发表评论|点赞|收藏|分享|举报"
    r")$"
)
# Answer separators on Q&A pages: "1年前 -", "2周前 -"; the section path restarts after them.
_PART_BREAK = re.compile(r"^\d+\s*(?:秒|分钟|小时|天|周|个月|月|年)前(?:\s*-)?$")
# Site chrome after the content; everything from here on is dropped.
_TRAILER = re.compile(r"^(?:温馨提示|相关推荐|猜你喜欢|相关文档|评论)$")
_PAGE_SUFFIX = re.compile(r"_第\d+[頁页]$")
_PUNCTUATION_ONLY = re.compile(r"^[^\w|]+$")  # front-matter rules such as ---
_INVISIBLE = " \t\u3000\xa0\u200b\ufeff"

_CN_NUM = "一二三四五六七八九十百千零〇两"
CLAUSE = re.compile(rf"^第[{_CN_NUM}\d]+[条條]")
"""A regulation's article: always content, and the unit a chunk is cut along (see rag.chunk)."""
_DIVISION = re.compile(rf"^第[{_CN_NUM}\d]+(?P<kind>[编編章节節]|部分)")
_DIVISION_LEVELS = {"编": 1, "編": 1, "部分": 1, "章": 2, "节": 3, "節": 3}
# Numbered lines that head the text under them when short: (pattern, heading level, nesting rank).
# The rank orders numbering styles across conventions (一、 > 第X条 > （一） > 1.), so a short line
# followed by a sibling or an outer number is a list item, not a heading.
_NUMBERED: tuple[tuple[re.Pattern[str], int, int], ...] = (
    (re.compile(rf"^[{_CN_NUM}]+[、.．]"), 1, 3),
    (re.compile(rf"^[（(][{_CN_NUM}]+[)）]"), 2, 5),
    (re.compile(r"^\d{1,2}[.．、](?!\d)"), 3, 6),
)
_CLAUSE_RANK = 4
_DIVISION_RANK = 0
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")
# Adoption and promulgation lines under a regulation's title: metadata, never a heading or a title.
_METADATA = re.compile(
    r"^[（(]?\s*(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月"
    r"|(?:公布|施行|通过|修订|修正|发布|生效)[）)]?$"
)
_SENTENCE_PUNCT = re.compile(r"[，,。：:；;！？!?]")
_LABEL_END = re.compile(r"[：:，,。；;]")
_TABLE_ROW = re.compile(r"[^|]\s*\|\s*[^|]")
_WRAPPED = ("、", "和", "及", "与")
_MAX_TITLE_CHARS = 50
_MAX_HEADING_CHARS = 30
_MAX_BARE_HEADING_CHARS = 16
_MAX_LABEL_CHARS = 30
_MIN_DEDUPE_CHARS = 10


class DropReason(StrEnum):
    """Why a line (or part of one) is in no chunk; `rag ingest --explain` prints it."""

    BOILERPLATE = "boilerplate"
    TRAILER = "trailer"
    TITLE = "title"
    DUPLICATE = "duplicate outline"
    HEADING_ONLY = "heading-only"  # a heading with no body under it (decided by the chunker)
    UNCHUNKED = "not chunked"  # kept by cleaning, yet in no chunk: a bug to report


@dataclass(frozen=True)
class LineDecision:
    """What cleaning made of one span of a line: kept (reason None) or dropped, and why."""

    start: int
    end: int
    reason: DropReason | None


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    display: str  # annotations stripped, original script
    norm: str


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    for match in re.finditer(r"[^\r\n]+", text):
        raw = match.group()
        stripped = raw.strip(_INVISIBLE)
        if not stripped:
            continue
        start = match.start() + raw.index(stripped)
        display = strip_annotations(stripped)
        lines.append(_Line(start, start + len(stripped), display, normalize(display)))
    return lines


def _label(display: str) -> str:
    head = _LABEL_END.split(display, maxsplit=1)[0].rstrip("、")
    return head[:_MAX_LABEL_CHARS]


def _rank(display: str) -> int | None:
    """Nesting rank of a line's numbering (smaller is outer), None when it is not numbered."""
    if _DIVISION.match(display) or _MARKDOWN_HEADING.match(display):
        return _DIVISION_RANK
    if CLAUSE.match(display):
        return _CLAUSE_RANK
    return next((rank for pattern, _, rank in _NUMBERED if pattern.match(display)), None)


def is_metadata(display: str) -> bool:
    """A date or enactment line (2012年12月28日…修正): about the document, not part of what it says."""
    return bool(_METADATA.search(display))


def is_table_row(display: str) -> bool:
    return bool(_TABLE_ROW.search(display))


def _short(display: str, limit: int) -> bool:
    """Short and saying nothing (no sentence punctuation): a title, not a statement."""
    bare = display.rstrip("：:、 ")
    return len(bare) <= limit and not _SENTENCE_PUNCT.search(bare)


def heading_level(display: str, next_display: str | None) -> tuple[int, str] | None:
    """Heading level and label of a line, or None for content."""
    if md := _MARKDOWN_HEADING.match(display):
        return len(md.group(1)), _label(md.group(2))
    if CLAUSE.match(display) or _METADATA.search(display) or is_table_row(display):
        return None
    if division := _DIVISION.match(display):
        if _short(display, _MAX_HEADING_CHARS):
            return _DIVISION_LEVELS[division.group("kind")], _label(display)
        return None
    if next_display is None or _rank(next_display) == _DIVISION_RANK:
        return None  # nothing under it is its body
    next_rank = _rank(next_display)
    for pattern, level, rank in _NUMBERED:
        if pattern.match(display):
            body_follows = next_rank is None or next_rank > rank
            if body_follows and _short(display, _MAX_HEADING_CHARS):
                return level, _label(display.rstrip("：:"))
            return None
    if (
        _short(display, _MAX_BARE_HEADING_CHARS)
        and not display.endswith(("：", ":"))  # a lead-in: "下列事项由业主共同决定："
        and not display.startswith(("-", "•", "·"))
        and (len(next_display) > 2 * len(display) or next_rank is not None)
    ):
        return 1, display.rstrip("、")
    return None


def _continues(line: _Line) -> bool:
    return _short(line.display, _MAX_BARE_HEADING_CHARS) and not _METADATA.search(line.display)


def _title(lines: list[_Line], doc_id: str) -> tuple[str, int]:
    """The document title and how many leading lines it consumed."""
    skipped = next((i for i, line in enumerate(lines) if not _PUNCTUATION_ONLY.match(line.norm)), len(lines))
    if skipped == len(lines):
        return doc_id, 0
    first = _PAGE_SUFFIX.sub("", lines[skipped].display)
    if md := _MARKDOWN_HEADING.match(first):
        return md.group(2).strip(), skipped + 1
    stated = CLAUSE.match(first) or _rank(first) is not None or _METADATA.search(first)
    if not stated and len(first) <= _MAX_TITLE_CHARS and not re.search(r"[。！？!?；;]$", first):
        return first.strip(), skipped + 1
    return doc_id, 0


def _later_duplicates(lines: list[_Line], is_body: list[bool]) -> set[int]:
    """Body lines whose text recurs later (an outline before the full text): keep the fuller copy.

    Only before the first 第X条 clause: inside a regulation, repeated items ("（一）…的；") and
    sentences ("……由国务院规定。") are each their own clause's text.
    """
    first_clause = next((i for i, line in enumerate(lines) if CLAUSE.match(line.display)), len(lines))
    duplicates: set[int] = set()
    later = "\n".join(line.norm for line in lines[first_clause:])
    for index in range(first_clause - 1, -1, -1):
        norm = lines[index].norm
        if is_body[index] and len(norm) >= _MIN_DEDUPE_CHARS and norm in later:
            duplicates.add(index)
        later = norm + "\n" + later
    return duplicates


def _without_title(text: str, line: _Line, title: str) -> _Line | None:
    """A title glued to the first heading ("方案一、概述"): the line after the title.

    None when the rest is not a heading (a text that opens with its subject, "北京大学是…") or the
    title matches only in normalised form; the line is then kept whole.
    """
    raw = text[line.start : line.end]
    title_norm = normalize(title)
    cut = next((p for p in range(1, len(raw) + 1) if normalize(strip_annotations(raw[:p])) == title_norm), None)
    if cut is None:
        return None
    rest = raw[cut:]
    display = strip_annotations(rest.lstrip(_INVISIBLE))
    if _rank(display) is None:
        return None
    start = line.start + cut + len(rest) - len(rest.lstrip(_INVISIBLE))
    return _Line(start, line.end, display, normalize(display))


class Cleaner:
    """Pipeline stage: SourceDocument → CleanDocument (kept spans, headings, part breaks)."""

    def run(self, document: SourceDocument) -> CleanDocument:
        return self.analyse(document)[0]

    def analyse(self, document: SourceDocument) -> tuple[CleanDocument, list[LineDecision]]:
        """The cleaned document, and a decision for every line so what was dropped can be explained."""
        lines = _lines(document.text)
        title, consumed = _title(lines, document.doc_id)
        title_norm = normalize(title)
        decisions = [
            LineDecision(line.start, line.end, DropReason.TITLE if i == consumed - 1 else DropReason.BOILERPLATE)
            for i, line in enumerate(lines[:consumed])
        ]

        kept: list[tuple[_Line, bool]] = []  # (line, starts a new part)
        new_part = False
        for number, line in enumerate(lines[consumed:], consumed):
            if _TRAILER.match(line.norm):
                decisions += [LineDecision(rest.start, rest.end, DropReason.TRAILER) for rest in lines[number:]]
                break
            if _PART_BREAK.match(line.norm) or _DROP_LINE.match(line.norm):
                new_part = new_part or bool(_PART_BREAK.match(line.norm))
                decisions.append(LineDecision(line.start, line.end, DropReason.BOILERPLATE))
                continue
            if line.norm == title_norm:
                decisions.append(LineDecision(line.start, line.end, DropReason.TITLE))
                continue
            glued = _without_title(document.text, line, title) if line.norm.startswith(title_norm) else None
            if title_norm and glued:
                decisions.append(LineDecision(line.start, glued.start, DropReason.TITLE))
                line = glued
            kept.append((line, new_part))
            new_part = False

        kept_lines = [line for line, _ in kept]
        levels = [
            heading_level(line.display, kept_lines[i + 1].display if i + 1 < len(kept_lines) else None)
            for i, line in enumerate(kept_lines)
        ]
        for i in range(1, len(levels)):  # a heading wrapped onto two lines: "第五章 卷烟纸、滤嘴棒、" + "烟草专用机械…"
            previous = levels[i - 1]
            wrapped = kept_lines[i - 1].display.endswith(_WRAPPED)
            if previous and wrapped and _continues(kept_lines[i]) and _rank(kept_lines[i].display) is None:
                md = _MARKDOWN_HEADING.match(kept_lines[i - 1].display)
                first = md.group(2) if md else kept_lines[i - 1].display
                levels[i] = previous[0], _label(first + kept_lines[i].display)
        duplicates = _later_duplicates(kept_lines, [level is None for level in levels])

        segments: list[Segment] = []
        dropped_since_last = False
        previous_end = 0
        for index, ((line, starts_part), level) in enumerate(zip(kept, levels, strict=True)):
            if index in duplicates:
                decisions.append(LineDecision(line.start, line.end, DropReason.DUPLICATE))
                dropped_since_last = True
                continue
            decisions.append(LineDecision(line.start, line.end, None))
            gap = document.text[previous_end : line.start]
            contiguous = not dropped_since_last and not gap.strip(_INVISIBLE + "\r\n")
            segments.append(
                Segment(
                    start=line.start,
                    end=line.end,
                    kind=SegmentKind.BODY if level is None else SegmentKind.HEADING,
                    level=0 if level is None else level[0],
                    label="" if level is None else level[1],
                    new_part=starts_part,
                    contiguous=contiguous and bool(segments),
                )
            )
            previous_end = line.end
            dropped_since_last = False
        decisions.sort(key=lambda d: d.start)
        return CleanDocument(source=document, title=title, segments=segments), decisions
