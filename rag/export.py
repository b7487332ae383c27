"""Drafts and handbooks as Markdown and as DOCX, for a reviewer to check clause by clause.

Both layouts carry the same things: numbered sections and clauses, `[n]` after every clause,
gap markers where no source exists, a source list (document, section, quoted span, offsets)
and the gap report. A single draft is a handbook of one chapter without a table of contents.
"""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from docx import Document as new_docx
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Pt

from rag.clean import is_table_row
from rag.draft import GAP_MARK, Clause, Draft, Handbook

_CHINESE_NUMERALS = "一二三四五六七八九十"
_FONT = "宋体"
# What XML 1.0 cannot hold: C0 controls but tab and newlines, lone surrogates, U+FFFE and U+FFFF. A title
# or a quoted span may carry them (a form feed from a PDF), and python-docx refuses such a string.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def chinese_number(n: int) -> str:
    if n <= 10:
        return _CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (_CHINESE_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (_CHINESE_NUMERALS[ones - 1] if ones else "")


def marks(ids: tuple[int, ...]) -> str:
    return "".join(f"[{i}]" for i in ids)


@dataclass(frozen=True)
class _Line:
    """One rendered line of a chapter: a section heading, a clause, an option, or a gap marker."""

    kind: str  # "section" | "clause" | "option" | "item" | "gap" | "note" | "warning"
    text: str
    number: str = ""
    citation_ids: tuple[int, ...] = ()


def _chapter_lines(draft: Draft) -> Iterator[_Line]:
    for warning in draft.warnings:
        yield _Line("warning", warning)
    for note in draft.notes:
        yield _Line("note", note)
    for s, part in enumerate(draft.parts, 1):
        yield _Line("section", part.section.value, f"{chinese_number(s)}、")
        if part.is_gap:
            yield _Line("gap", GAP_MARK)
        for c, clause in enumerate(part.clauses, 1):
            yield _Line("clause", clause.text, f"{s}.{c}", clause.citation_ids)
            yield from _options(clause)
            for i, item in enumerate(clause.items, 1):  # a table's rows are read as they are
                yield _Line("item", item.text, "" if is_table_row(item.text) else f"（{i}）", item.citation_ids)


def _options(clause: Clause) -> Iterator[_Line]:
    for o, option in enumerate(clause.options, 1):
        yield _Line("option", option.text, f"方案{chinese_number(o)}：", option.citation_ids)


def _chapters(document: Draft | Handbook) -> tuple[str, list[Draft], list]:
    if isinstance(document, Draft):
        return document.topic, [document], document.citations
    return document.title, document.chapters, document.citations


def gap_report(chapters: list[Draft]) -> list[str]:
    return [f"{d.topic}：{part.value}" for d in chapters for part in d.gaps]


def to_markdown(document: Draft | Handbook) -> str:
    title, chapters, citations = _chapters(document)
    handbook = isinstance(document, Handbook)
    out = [f"# {title}", ""]
    if handbook:
        out += ["## 目录", ""]
        out += [f"{n}. 第{chinese_number(n)}章 {d.topic}" for n, d in enumerate(chapters, 1)] + [""]
    for n, draft in enumerate(chapters, 1):
        level = "###" if handbook else "##"
        if handbook:
            out += [f"## 第{chinese_number(n)}章 {draft.topic}", ""]
        for line in _chapter_lines(draft):
            if line.kind == "section":
                out += [f"{level} {line.number}{line.text}", ""]
            elif line.kind == "clause":
                out += [f"{line.number} {line.text}{marks(line.citation_ids)}", ""]
            elif line.kind in ("option", "item"):
                out += [f"- {line.number}{line.text}{marks(line.citation_ids)}", ""]
            elif line.kind == "gap":
                out += [f"**{line.text}**", ""]
            elif line.kind == "warning":
                out += [f"> **注意：**{line.text}", ""]
            else:
                out += [f"> {line.text}", ""]
    out += ["## 参考来源", ""]
    for c in citations:
        out.append(
            "- " + f"[{c.id}] 《{c.title}》{_section(c)}：“{c.quote.strip()}”（{c.doc_id}，第 {c.start}–{c.end} 字）"
        )
    gaps = gap_report(chapters)
    out += ["", "## 缺口报告", ""]
    out += [f"- {gap}" for gap in gaps] if gaps else ["无：每一节都有来源支持。"]
    return "\n".join(out).rstrip() + "\n"


def _section(citation) -> str:
    inner = citation.section.removeprefix(citation.title).lstrip(" >")
    return f" {inner}" if inner else ""


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def to_docx(document: Draft | Handbook) -> bytes:
    """A Word file with real heading styles, numbered clauses, superscript citation marks and an
    endnote-style source list."""
    title, chapters, citations = _chapters(document)
    handbook = isinstance(document, Handbook)
    doc = new_docx()
    for style in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        doc.styles[style].element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _FONT)
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(_xml(title), level=0)
    if handbook:
        doc.add_heading("目录", level=1)
        for n, draft in enumerate(chapters, 1):
            doc.add_paragraph(_xml(f"第{chinese_number(n)}章 {draft.topic}"))
    for n, draft in enumerate(chapters, 1):
        if handbook:
            doc.add_heading(_xml(f"第{chinese_number(n)}章 {draft.topic}"), level=1)
        for line in _chapter_lines(draft):
            text = _xml(line.text)
            if line.kind == "section":
                doc.add_heading(f"{line.number}{text}", level=2 if handbook else 1)
                continue
            paragraph = doc.add_paragraph()
            if line.kind == "gap":
                run = paragraph.add_run(text)
                run.bold = True
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                continue
            if line.kind in ("note", "warning"):
                run = paragraph.add_run(f"注意：{text}" if line.kind == "warning" else text)
                run.italic = True
                run.bold = line.kind == "warning"
                continue
            if line.kind in ("option", "item"):
                paragraph.paragraph_format.left_indent = Pt(24)
            paragraph.add_run(f"{line.number} " if line.kind == "clause" else line.number).bold = True
            paragraph.add_run(text)
            paragraph.add_run(marks(line.citation_ids)).font.superscript = True
    doc.add_heading("参考来源", level=1)
    for c in citations:
        doc.add_paragraph(
            _xml(f"[{c.id}] 《{c.title}》{_section(c)}：“{c.quote.strip()}”（{c.doc_id}，第 {c.start}–{c.end} 字）")
        )
    doc.add_heading("缺口报告", level=1)
    for gap in gap_report(chapters) or ["无：每一节都有来源支持。"]:
        doc.add_paragraph(_xml(gap), style="List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
