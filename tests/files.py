"""Real documents in the formats users bring, written the way Word, browsers and PDF tools write them."""

import subprocess
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


def write_searchable_pdf(path: Path, lines: list[str], shown: str) -> Path:
    """A scan its scanner already OCR'd: the page is an image (here of the Latin text `shown`) under an invisible
    text layer holding `lines`, so what OCR would read differs from what the layer says."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    image = Image.new("RGB", (1240, 300), "white")
    ImageDraw.Draw(image).text((60, 100), shown, font=ImageFont.load_default(size=72), fill="black")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    pdf.drawImage(ImageReader(image), 0, 600, width=595, height=144)
    layer = pdf.beginText(60, 780)
    layer.setTextRenderMode(3)  # invisible
    layer.setFont("STSong-Light", 12)
    for line in lines:
        layer.textLine(line)
    pdf.drawText(layer)
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


def cjk_font() -> Path | None:
    """A system font with Chinese glyphs, as `fc-list` finds it (scripts/install-browser.sh installs one); None
    where there is none: reportlab's STSong-Light is not embedded, so no renderer draws it without one."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    files = sorted(line.split(":")[0] for line in found.stdout.splitlines() if line.strip())
    return Path(files[0]) if files else None


def write_image_pdf(path: Path, pages: list[list[str]], font: Path) -> Path:
    """A scanned 红头文件 as a copier makes it: each page one image (red letterhead and rule, black text lines,
    a red seal), and no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    red = (200, 0, 0)
    images = []
    for lines in pages:
        image = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
        draw = ImageDraw.Draw(image)
        draw.text((620, 160), "某某公司文件", font=ImageFont.truetype(str(font), 56), fill=red, anchor="mm")
        draw.line((100, 230, 1140, 230), fill=red, width=4)
        body = ImageFont.truetype(str(font), 30)
        for row, line in enumerate(lines):
            draw.text((120, 300 + 60 * row), line, font=body, fill="black")
        draw.ellipse((820, 1350, 1070, 1600), outline=red, width=6)
        images.append(image)
    images[0].save(path, "PDF", resolution=150, save_all=True, append_images=images[1:])
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


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An Excel workbook: per sheet, its rows as given (the first the header), values typed as Excel keeps them."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def write_pptx(
    path: Path,
    title: str,
    slides: list[tuple[str, list[str]]],
    tables: dict[str, list[list[str]]] | None = None,
    notes: str = "",
    footer: str = "",
    grouped: list[str] = (),
) -> Path:
    """A deck titled in its properties, as PowerPoint saves it: Title-and-Content slides (title, one paragraph
    per line), then a Title-Only slide per table. Every slide gets the speaker `notes` and the `footer` (as
    Insert > Header & Footer places it: a copy of the layout's footer placeholder); the first slide gets the
    `grouped` lines as text boxes inside one group shape."""
    import copy

    from pptx import Presentation
    from pptx.enum.shapes import PP_PLACEHOLDER
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = title

    def add_slide(layout: int, heading: str):
        slide = deck.slides.add_slide(deck.slide_layouts[layout])
        slide.shapes.title.text = heading
        slide.notes_slide.notes_text_frame.text = notes
        if footer:
            placeholders = slide.slide_layout.placeholders
            layout_footer = next(p for p in placeholders if p.placeholder_format.type == PP_PLACEHOLDER.FOOTER)
            slide.shapes._spTree.append(copy.deepcopy(layout_footer._element))
            slide.shapes[-1].text_frame.text = footer
        return slide

    for heading, lines in slides:
        body = add_slide(1, heading).placeholders[1].text_frame
        body.text = lines[0]
        for line in lines[1:]:
            body.add_paragraph().text = line
    if grouped:
        group = deck.slides[0].shapes.add_group_shape()
        for row, line in enumerate(grouped):
            group.shapes.add_textbox(Inches(1), Inches(5 + 0.5 * row), Inches(8), Inches(0.5)).text_frame.text = line
    for heading, rows in (tables or {}).items():
        slide = add_slide(5, heading)
        grid = slide.shapes.add_table(len(rows), len(rows[0]), Inches(0.5), Inches(1.5), Inches(9), Inches(3))
        for row, values in zip(grid.table.rows, rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    deck.save(path)
    return path
