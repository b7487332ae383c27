"""Build the fictional company-rules corpus in eval/company/corpus/ from eval/company/sources/*.md.

Source markup (one line per clause, as the documents are laid out):
  "# 标题"        the document title
  "## 第X章 …"    a chapter heading
  "a | b | c"     a table row (consecutive rows form one table; the first row is the header)
  anything else   one paragraph / one line (第X条 clauses, （一） items, 1. steps)

Output formats (the file stem is the document id used in questions.jsonl):
  .docx  python-docx; title and chapters in Word style "Heading 1", tables as real Word tables
  .pdf   reportlab with the CJK font STSong-Light; every line starts on a new line, long lines wrap
  .txt   plain text without the markup ("#" dropped, table rows kept as "a | b | c");
         UTF-8, or GBK bytes for one file

Run:  /work/main/.venv/bin/python eval/company/make_corpus.py
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
CORPUS = HERE / "corpus"

FORMATS = {
    "员工考勤与休假管理办法": "docx",
    "差旅费报销管理办法": "docx",
    "新员工入职与试用期管理办法": "docx",
    "信息安全管理规定": "pdf",
    "采购与供应商管理办法": "pdf",
    "客户服务质量标准": "txt-utf8",
    "安全生产与消防管理规定": "txt-gbk",
}


def parse(text: str) -> list[tuple[str, object]]:
    """Blocks: ("title", str), ("chapter", str), ("para", str), ("table", [[cell, ...], ...])."""
    blocks: list[tuple[str, object]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("## "):
            blocks.append(("chapter", line[3:].strip()))
        elif line.startswith("# "):
            blocks.append(("title", line[2:].strip()))
        elif " | " in line:
            row = [cell.strip() for cell in line.split(" | ")]
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(row)
            else:
                blocks.append(("table", [row]))
        else:
            blocks.append(("para", line))
    return blocks


def plain_lines(blocks) -> list[str]:
    lines: list[str] = []
    for kind, value in blocks:
        if kind == "table":
            lines.extend(" | ".join(row) for row in value)
        else:
            lines.append(value)
    return lines


def write_txt(blocks, path: Path, encoding: str) -> None:
    path.write_bytes(("\n".join(plain_lines(blocks)) + "\n").encode(encoding))


def write_docx(blocks, path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    for kind, value in blocks:
        if kind == "title":
            heading = document.add_heading(value, level=1)
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "chapter":
            document.add_heading(value, level=1)
        elif kind == "table":
            rows = value
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
                    if r == 0:
                        for run in table.cell(r, c).paragraphs[0].runs:
                            run.bold = True
        else:
            paragraph = document.add_paragraph(value)
            if value.startswith("文件编号"):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # Fixed core properties so rebuilding gives the same document metadata.
    document.core_properties.author = "星河物流有限公司"
    document.core_properties.title = next(v for k, v in blocks if k == "title")
    document.save(str(path))


def write_pdf(blocks, path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    width, height = A4
    left, right, top, bottom = 60, 60, 70, 60
    usable = width - left - right
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pdf.setTitle(next(v for k, v in blocks if k == "title"))
    pdf.setAuthor("星河物流有限公司")
    y = height - top

    def new_page():
        nonlocal y
        pdf.showPage()
        y = height - top

    def wrap(text: str, size: float, avail: float) -> list[str]:
        pieces, current = [], ""
        for ch in text:
            if current and pdfmetrics.stringWidth(current + ch, font, size) > avail:
                # keep closing punctuation on the line it closes
                if ch in "，。；：、）》”":
                    current += ch
                    continue
                pieces.append(current)
                current = ch
            else:
                current += ch
        if current:
            pieces.append(current)
        return pieces

    def draw(text: str, size: float, centered: bool = False, gap_before: float = 0):
        nonlocal y
        leading = size * 1.7
        y -= gap_before
        for piece in wrap(text, size, usable):
            if y < bottom:
                new_page()
            pdf.setFont(font, size)
            if centered:
                pdf.drawCentredString(width / 2, y, piece)
            else:
                pdf.drawString(left, y, piece)
            y -= leading

    for kind, value in blocks:
        if kind == "title":
            draw(value, 16, centered=True)
            y -= 6
        elif kind == "chapter":
            draw(value, 13, centered=True, gap_before=6)
        elif kind == "table":
            for row in value:
                draw(" | ".join(row), 11)
        elif value.startswith("文件编号"):
            draw(value, 10, centered=True)
            y -= 6
        else:
            draw(value, 11)
    pdf.save()


def main() -> None:
    CORPUS.mkdir(parents=True, exist_ok=True)
    for stem, fmt in FORMATS.items():
        blocks = parse((SOURCES / f"{stem}.md").read_text(encoding="utf-8"))
        if fmt == "docx":
            out = CORPUS / f"{stem}.docx"
            write_docx(blocks, out)
        elif fmt == "pdf":
            out = CORPUS / f"{stem}.pdf"
            write_pdf(blocks, out)
        elif fmt == "txt-utf8":
            out = CORPUS / f"{stem}.txt"
            write_txt(blocks, out, "utf-8")
        elif fmt == "txt-gbk":
            out = CORPUS / f"{stem}.txt"
            write_txt(blocks, out, "gbk")
        else:
            raise ValueError(fmt)
        print(f"{out.relative_to(HERE)}  {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
