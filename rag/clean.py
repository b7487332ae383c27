"""Cleaning: decide which lines of a scraped document are content, and which are headings.

Nothing is rewritten: the output is a list of kept line spans into the original text, so every
later offset and quote is verbatim. Site boilerplate is dropped, a page that repeats its outline
keeps only the fuller copy, and headings (一、/（一）/1./第X条/#/short title lines) are labelled
with their level so chunks can carry a section path.
"""

import re
from dataclasses import dataclass

from rag.models import CleanDocument, Segment, SegmentKind, SourceDocument
from rag.normalize import normalize, strip_annotations

# Matched against the normalised (Simplified) line.
_DROP_LINE = re.compile(
    r"^(?:"
    r"-+"  # lone dash separators
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

_CN_NUM = "一二三四五六七八九十百零〇"
_NUMBERED_HEADINGS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"^第[{_CN_NUM}\d]+章"), 1),
    (re.compile(rf"^第[{_CN_NUM}\d]+节"), 2),
    (re.compile(rf"^第[{_CN_NUM}\d]+[条條]"), 3),
    (re.compile(rf"^[{_CN_NUM}]+、"), 1),
    (re.compile(rf"^[（(][{_CN_NUM}]+[)）]"), 2),
    (re.compile(r"^\d{1,2}[.．、](?!\d)"), 3),
)
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")
_SENTENCE_PUNCT = re.compile(r"[，,。：:；;！？!?]")
_LABEL_END = re.compile(r"[：:，,。；;]")
_MAX_TITLE_CHARS = 50
_MAX_BARE_HEADING_CHARS = 16
_LIST_TITLE_LEVEL = 4  # "市场活动流程：" introducing a list under a numbered clause
_MAX_LABEL_CHARS = 30
_MIN_DEDUPE_CHARS = 10


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
        stripped = raw.strip(" \t\u3000\xa0")
        if not stripped:
            continue
        start = match.start() + raw.index(stripped)
        display = strip_annotations(stripped)
        lines.append(_Line(start, start + len(stripped), display, normalize(display)))
    return lines


def _label(display: str) -> str:
    head = _LABEL_END.split(display, maxsplit=1)[0].rstrip("、")
    return head[:_MAX_LABEL_CHARS]


def _is_numbered(display: str) -> bool:
    return any(pattern.match(display) for pattern, _ in _NUMBERED_HEADINGS)


def heading_level(display: str, next_display: str | None) -> tuple[int, str] | None:
    """Heading level and label of a line, or None for body text."""
    if md := _MARKDOWN_HEADING.match(display):
        return len(md.group(1)), _label(md.group(2))
    for pattern, level in _NUMBERED_HEADINGS:
        if pattern.match(display):
            return level, _label(display)
    bare = display.rstrip("、")
    if len(bare) <= _MAX_BARE_HEADING_CHARS and bare.endswith(("：", ":")) and next_display is not None:
        return _LIST_TITLE_LEVEL, bare.rstrip("：:")
    if (
        len(bare) <= _MAX_BARE_HEADING_CHARS
        and not _SENTENCE_PUNCT.search(bare)
        and not bare.startswith(("-", "•", "·"))
        and next_display is not None
        and (len(next_display) > 2 * len(bare) or _is_numbered(next_display))
    ):
        return 1, bare
    return None


def _title(lines: list[_Line], doc_id: str) -> tuple[str, int]:
    """The document title and how many leading lines it consumed."""
    if not lines:
        return doc_id, 0
    first = _PAGE_SUFFIX.sub("", lines[0].display)
    md = _MARKDOWN_HEADING.match(first)
    if md:
        first = md.group(2)
    if len(first) <= _MAX_TITLE_CHARS and not re.search(r"[。！？!?；;]$", first):
        return first.strip(), 1
    return doc_id, 0


def _later_duplicates(lines: list[_Line], is_body: list[bool]) -> set[int]:
    """Body lines whose text recurs later (an outline before the full text): keep the fuller copy."""
    duplicates: set[int] = set()
    later = ""
    for index in range(len(lines) - 1, -1, -1):
        norm = lines[index].norm
        if is_body[index] and len(norm) >= _MIN_DEDUPE_CHARS and norm in later:
            duplicates.add(index)
        later = norm + "\n" + later
    return duplicates


class Cleaner:
    """Pipeline stage: SourceDocument → CleanDocument (kept spans, headings, part breaks)."""

    def run(self, document: SourceDocument) -> CleanDocument:
        lines = _lines(document.text)
        title, consumed = _title(lines, document.doc_id)
        title_norm = normalize(title)

        kept: list[tuple[_Line, bool]] = []  # (line, starts a new part)
        new_part = False
        for line in lines[consumed:]:
            if _TRAILER.match(line.norm):
                break
            if _PART_BREAK.match(line.norm):
                new_part = True
                continue
            if _DROP_LINE.match(line.norm) or line.norm == title_norm:
                continue
            if title_norm and line.norm.startswith(title_norm):
                line = _without_title(document.text, line, title)
            kept.append((line, new_part))
            new_part = False

        kept_lines = [line for line, _ in kept]
        levels = [
            heading_level(line.display, kept_lines[i + 1].display if i + 1 < len(kept_lines) else None)
            for i, line in enumerate(kept_lines)
        ]
        duplicates = _later_duplicates(kept_lines, [level is None for level in levels])

        segments: list[Segment] = []
        dropped_since_last = False
        previous_end = 0
        for index, ((line, starts_part), level) in enumerate(zip(kept, levels, strict=True)):
            if index in duplicates:
                dropped_since_last = True
                continue
            gap = document.text[previous_end : line.start]
            contiguous = not dropped_since_last and not gap.strip()
            kind = SegmentKind.BODY if level is None else SegmentKind.HEADING
            segments.append(
                Segment(
                    start=line.start,
                    end=line.end,
                    kind=kind,
                    level=0 if level is None else level[0],
                    label="" if level is None else level[1],
                    new_part=starts_part,
                    contiguous=contiguous and bool(segments),
                )
            )
            previous_end = line.end
            dropped_since_last = False
        return CleanDocument(source=document, title=title, segments=segments)


def _without_title(text: str, line: _Line, title: str) -> _Line:
    """A title glued to the first heading ("方案一、概述"): the line starts after the title."""
    raw = text[line.start : line.end]
    cut = next(p for p in range(len(raw) + 1) if strip_annotations(raw[:p]) == title)
    rest = raw[cut:]
    display = strip_annotations(rest)
    return _Line(line.start + cut, line.end, display, normalize(display))
