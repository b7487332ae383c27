"""Extraction: HTML, PDF and DOCX bytes → plain text whose headings the cleaner recognises.

Headings come out as Markdown `#` lines, so a section path survives the change of format; the
extracted text is what the index stores and what citations quote and offsets point into.
"""

import io
import re
import zipfile
from configparser import ConfigParser
from functools import cache

from rag.errors import DocumentError

# trafilatura falls back to the whole page below 250 extracted characters; a Chinese article says
# as much in far fewer characters, so short policy pages would keep their navigation.
_MIN_HTML_ARTICLE_CHARS = 50
_MIN_PDF_TEXT_CHARS = 20  # fewer visible characters than this over the whole file: no text layer
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


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


def pdf_to_text(data: bytes, name: str) -> str:
    """The text layer, page by page; a scan without one is refused with the reason."""
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
    text = "\n".join(page.strip("\n") for page in pages)
    if len(re.sub(r"\s", "", text)) < _MIN_PDF_TEXT_CHARS:
        raise DocumentError(f"{name}: PDF 没有文本层（可能是扫描件），请先做 OCR 文字识别再导入")
    return text


def _heading_level(style_name: str) -> int | None:
    if style_name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style_name.strip())
    return int(match.group(1)) if match else None


def docx_to_text(data: bytes, name: str) -> str:
    """Paragraphs and tables in body order; Word heading styles become `#` headings."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise DocumentError(f"{name}: DOCX 文件已损坏或不是 Word 文档（{type(error).__name__}）") from error
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
