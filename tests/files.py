"""Real documents in the formats users bring, written the way Word, browsers and PDF tools write them."""

from pathlib import Path


def write_docx(path: Path, title: str, sections: list[tuple[str, list[str]]], table: list[list[str]] = ()) -> Path:
    """A Word file with a Title, Heading 1 sections, body paragraphs and an optional table."""
    from docx import Document

    document = Document()
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    document.save(path)
    return path


def write_pdf(path: Path, lines: list[str], pages: int = 1) -> Path:
    """A PDF with a real text layer in a CJK font (reportlab's built-in STSong-Light)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    per_page = -(-len(lines) // pages)
    for page in range(pages):
        pdf.setFont("STSong-Light", 12)
        for row, line in enumerate(lines[page * per_page : (page + 1) * per_page]):
            pdf.drawString(60, 780 - 20 * row, line)
        pdf.showPage()
    pdf.save()
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF of shapes only, as a scanner without OCR produces: no text layer."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for row in range(20):
        pdf.rect(60, 760 - 30 * row, 400, 12, fill=1)
    pdf.showPage()
    pdf.save()
    return path


def html_page(title: str, sections: list[tuple[str, str]]) -> str:
    """A scraped page: navigation, sidebar and footer around the article."""
    body = "".join(f"<h2>{h}</h2><p>{p}</p>" for h, p in sections)
    return (
        f"<html><head><meta charset='utf-8'><title>{title} - 某某文库</title></head><body>"
        "<nav><a href='/'>首页</a> | <a href='/hot'>热门文档</a> | 登录 | 注册</nav>"
        "<div class='sidebar'>猜你喜欢：如何写好周报？下载 APP 领取会员</div>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>版权所有 © 2024 某某文库 京ICP备12345678号</footer></body></html>"
    )
