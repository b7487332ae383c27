"""Extraction: HTML, PDF, DOCX, XLSX and PPTX bytes → plain text whose headings the cleaner recognises.

Headings come out as Markdown `#` lines and table rows as cells joined by ` | `, so a section path and a
table's header survive the change of format; the extracted text is what the index stores and what citations
quote and offsets point into.
"""

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from configparser import ConfigParser
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import DocumentError

if TYPE_CHECKING:
    from openpyxl.cell.read_only import ReadOnlyCell
    from pptx.shapes.base import BaseShape

# trafilatura falls back to the whole page below 250 extracted characters; a Chinese article says
# as much in far fewer characters, so short policy pages would keep their navigation.
_MIN_HTML_ARTICLE_CHARS = 50
_MIN_PDF_TEXT_CHARS = 20  # fewer visible characters than this over the whole file: no text layer
_MIN_PAGE_TEXT_CHARS = 5  # fewer on a page (a page number alone, "- 3 -"): a scanned page, read by OCR
# A PDF's text layer breaks lines where the page did: a line as wide as the page's widest that ends
# mid-sentence goes on in the next, unless that one starts a clause or item of its own.
_WRAP_MIN_WIDTH = 0.85  # share of the page's widest line a wrapped line fills
_WRAP_MIN_CHARS = 20  # narrower pages (a table, a form) are left as they are
_SENTENCE_END = re.compile(r"[。！？；：!?;:」』”）)|]\s*$")
_STARTS_CLAUSE = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百零〇\d]+[条章节款]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．]|#|[-•·●]|.*\|)"
)
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_MB = 1024 * 1024
_MAX_UNZIPPED_BYTES = 50 * _MB  # far above the text of any real Office file; a zip bomb passes it


@cache
def _trafilatura_config() -> ConfigParser:
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(_MIN_HTML_ARTICLE_CHARS))
    return config


def html_to_text(data: bytes, name: str) -> str:
    """The main content by trafilatura: navigation, sidebars, footers and ads are dropped."""
    import trafilatura

    text = trafilatura.extract(
        data, output_format="markdown", include_formatting=True, include_tables=True, config=_trafilatura_config()
    )
    if not text or not text.strip():
        raise DocumentError(f"{name}: 网页中没有找到正文内容")
    return text


def _visible_chars(text: str) -> int:
    return len(re.sub(r"\s", "", text))


def pdf_to_text(data: bytes, name: str, *, ocr: bool = True) -> str:
    """The text layer, page by page; pages without one are read by OCR when `ocr` is on, and a scan
    that yields no text either way is refused with the reason."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name}: PDF 已加密，无法读取")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise DocumentError(f"{name}: PDF 文件已损坏或无法解析（{type(error).__name__}）") from error
    scanned = [number for number, page in enumerate(pages) if _visible_chars(page) < _MIN_PAGE_TEXT_CHARS]
    if ocr and scanned:
        from rag.ocr import ocr_pages

        for number, text in ocr_pages(data, name, scanned).items():
            pages[number] = text or pages[number]
    text = "\n".join(unwrap_lines(page.strip("\n")) for page in pages)
    if _visible_chars(text) < _MIN_PDF_TEXT_CHARS:
        raise DocumentError(f"{name}: PDF 没有文本层（可能是扫描件），请先做 OCR 文字识别再导入")
    return text


def unwrap_lines(page: str) -> str:
    """One page's text with the page's own line breaks inside sentences removed, so that a clause
    wrapped at the margin ("…并在30分钟" / "内报告信息技术部。") is one sentence again."""
    lines = page.split("\n")
    widest = max((_visible_chars(line) for line in lines), default=0)
    if widest < _WRAP_MIN_CHARS:
        return page
    out = [lines[0]]
    for line in lines[1:]:
        previous = out[-1]
        wrapped = _visible_chars(previous) >= _WRAP_MIN_WIDTH * widest and not _SENTENCE_END.search(previous)
        if wrapped and line.strip() and not _STARTS_CLAUSE.match(line):
            out[-1] = previous.rstrip() + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def _heading_level(style_name: str) -> int | None:
    if style_name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style_name.strip())
    return int(match.group(1)) if match else None


def _check_package(data: bytes, name: str, kind: str) -> None:
    """Refuse a zip bomb and XML with a DOCTYPE (entity expansion, external entities) before the Office library
    inflates and parses the parts. The sizes are those the archive declares: zipfile never reads past them."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        total = sum(member.file_size for member in members)
        if total > _MAX_UNZIPPED_BYTES:
            raise DocumentError(
                f"{name}: {kind} 解压后有 {total / _MB:.0f} MB，超过上限 {_MAX_UNZIPPED_BYTES / _MB:.0f} MB"
                "（可能是压缩炸弹），已拒绝"
            )
        for member in members:
            with archive.open(member) as stream:
                events = etree.iterparse(stream, events=("start",), resolve_entities=False, no_network=True)
                try:
                    _, root = next(events)  # the prolog, DOCTYPE included, is parsed by the first start tag
                    declared = bool(root.getroottree().docinfo.doctype)
                except etree.XMLSyntaxError as error:
                    # libxml2 ≥ 2.13 stops at the entity declarations themselves ("amplification factor"):
                    # that is a bomb too; any other syntax error is a part that is not XML (an image)
                    declared = "entity" in str(error).lower()
            if declared:
                raise DocumentError(
                    f"{name}: {kind} 的 {member.filename} 含有 DOCTYPE 或实体声明（可能是 XML 炸弹），已拒绝"
                )


@contextmanager
def _office_file(data: bytes, name: str, kind: str, product: str) -> Iterator[io.BytesIO]:
    """The checked package as a stream; what a damaged one makes the library raise inside the block becomes
    a DocumentError naming the file."""
    from xml.etree.ElementTree import ParseError

    from lxml import etree

    # RuntimeError: an encrypted part or an unknown compression method; EOFError, zlib.error: a damaged one;
    # ParseError: malformed XML as the standard library's parser (openpyxl's for sheets) reports it
    broken = (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        RuntimeError,
        EOFError,
        zlib.error,
        etree.XMLSyntaxError,
        ParseError,
    )
    try:
        _check_package(data, name, kind)
        yield io.BytesIO(data)
    except broken as error:
        raise DocumentError(f"{name}: {kind} 文件已损坏或不是 {product}（{type(error).__name__}）") from error


def _one_line(text: str) -> str:
    """Cell and slide text on one line: a line break inside it would split a table row or a heading."""
    return " ".join(text.split())


def _document_title(stated: str | None, name: str) -> str:
    """The title the file's properties state, else its file name: the first line, which the cleaner takes
    as the title, so the first sheet or slide stays a section of its own."""
    return _one_line(stated or "") or Path(name).stem


def docx_to_text(data: bytes, name: str) -> str:
    """Paragraphs and tables in body order; Word heading styles become `#` headings."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    with _office_file(data, name, "DOCX", "Word 文档") as stream:
        document = Document(stream)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if not text:
                continue
            level = _heading_level(block.style.name if block.style is not None else "")
            lines.append(f"{'#' * level} {text}" if level else text)
        elif isinstance(block, Table):
            for row in block.rows:
                cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))  # merged cells repeat
                if any(cells):
                    lines.append(" | ".join(cells))
    if not lines:
        raise DocumentError(f"{name}: Word 文档中没有文字")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """As a person writes it: 15 not 15.0, 99.95 not 99.94999999999999, 1234567 not 1.23457e+06."""
    return f"{round(value, 10):.10f}".rstrip("0").rstrip(".")


def _cell_text(cell: "ReadOnlyCell") -> str:
    """A cell's value as the sheet shows it: percentages as percent, dates without a midnight time."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float):
        return f"{_number(value * 100)}%" if str(cell.number_format).endswith("%") else _number(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return _one_line(str(value))


def _table_lines(rows: list[list[str]]) -> list[str]:
    """A sheet's or a slide table's rows as text: captions above the header row (rows of one cell) as `##`
    headings, the header row, then each data row's filled cells as `表头：值` joined by ` | `. A row quoted alone
    still says what its values are (and is long enough not to pass for a heading), and the chunker keeps the
    header row with the rows below it."""
    filled = [row for row in rows if any(row)]
    if not filled:
        return []
    first = next((i for i, row in enumerate(filled) if sum(map(bool, row)) > 1), 0)
    header, *data = filled[first:]
    lines = [f"## {' '.join(cell for cell in row if cell)}" for row in filled[:first]]
    lines.append(" | ".join(cell for cell in header if cell))
    for row in data:
        labelled = [
            f"{header[column]}：{value}" if column < len(header) and header[column] else value
            for column, value in enumerate(row)
            if value
        ]
        lines.append(" | ".join(labelled))
    return lines


def xlsx_to_text(data: bytes, name: str) -> str:
    """One section per sheet, headed by the sheet's name; one line per data row, labelled by the headers."""
    from openpyxl import load_workbook

    lines: list[str] = []
    # read-only: rows stream from the archive as they are iterated, so a damaged sheet fails inside the block
    with _office_file(data, name, "XLSX", "Excel 工作簿") as stream:
        workbook = load_workbook(stream, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                sheet.reset_dimensions()  # the used range some writers declare is wrong; read every row
                if body := _table_lines([[_cell_text(cell) for cell in row] for row in sheet.iter_rows()]):
                    lines += [f"# {_one_line(sheet.title)}", *body]
            title = _document_title(workbook.properties.title, name)
        finally:
            workbook.close()
    if not lines:
        raise DocumentError(f"{name}: Excel 工作簿中没有数据")
    return "\n".join([f"# {title}", *lines]) + "\n"


def _slide_chrome(shape: "BaseShape") -> bool:
    """Slide number, date and footer placeholders: the same on every slide, saying nothing."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    chrome = (PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER)
    return shape.is_placeholder and shape.placeholder_format.type in chrome


def _shape_lines(shapes: list["BaseShape"]) -> list[str]:
    """Text frames' paragraphs and tables (as a sheet's rows), top to bottom and left to right; groups are
    read inside."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    lines: list[str] = []
    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            lines += _shape_lines(list(shape.shapes))
        elif shape.has_text_frame and not _slide_chrome(shape):
            lines += [text for paragraph in shape.text_frame.paragraphs if (text := _one_line(paragraph.text))]
        elif getattr(shape, "has_table", False):  # only graphic frames have the attribute
            lines += _table_lines([[_one_line(cell.text) for cell in row.cells] for row in shape.table.rows])
    return lines


def pptx_to_text(data: bytes, name: str) -> str:
    """One section per slide, headed by its title; its text frames and table cells are the body, its notes
    are left out (they are the speaker's, not the deck's)."""
    from pptx import Presentation

    with _office_file(data, name, "PPTX", "PowerPoint 演示文稿") as stream:
        deck = Presentation(stream)
    lines: list[str] = []
    for number, slide in enumerate(deck.slides, 1):
        title = slide.shapes.title  # a new proxy on each access: compared by shape id
        heading = _one_line(title.text_frame.text) if title is not None else ""
        body = _shape_lines([shape for shape in slide.shapes if title is None or shape.shape_id != title.shape_id])
        if heading or body:
            lines += [f"# {heading or f'幻灯片 {number}'}", *body]
    if not lines:
        raise DocumentError(f"{name}: 演示文稿中没有文字")
    return "\n".join([f"# {_document_title(deck.core_properties.title, name)}", *lines]) + "\n"
