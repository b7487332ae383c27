"""Scanned PDFs (a stamped 红头文件 with no text layer) are read by OCR into the same line shapes as a text PDF."""

import io
import subprocess
import sys

import pytest

from rag.clean import CLAUSE, Cleaner
from rag.errors import DocumentError
from rag.load import load_file
from rag.ocr import TextBox, reading_order
from rag.service import Assistant

from .conftest import settings_for
from .files import cjk_font, write_image_pdf, write_pdf, write_searchable_pdf
from .test_cli import rag

FONT = cjk_font()
needs_font = pytest.mark.skipif(FONT is None, reason="no CJK font to draw the scan with (scripts/install-browser.sh)")
CLAUSES = [
    "第一条 为规范仓储管理，保障货物安全，制定本办法。",
    "第二条 货物到达后2小时内完成验收入库。",
    "第三条 仓库温度必须保持在18至25摄氏度之间，值班人员每日记录两次。",
    "第四条 出库须凭审批单办理，仓库每月末盘点一次。",
]
SCAN = ["仓储管理办法", *CLAUSES]


def squeezed(text: str) -> str:
    return "".join(text.split())


def test_boxes_become_lines_in_reading_order():
    boxes = [
        TextBox(top=164, bottom=196, left=100, right=520, text="第二条货物到达后2小时内完成验收入库。"),
        TextBox(top=104, bottom=132, left=196, right=560, text="为规范仓储管理，制定本办法。"),
        TextBox(top=100, bottom=130, left=100, right=190, text="第一条"),
        TextBox(top=220, bottom=250, left=400, right=440, text="15分钟"),
        TextBox(top=222, bottom=252, left=100, right=160, text="P1"),
    ]
    assert reading_order(boxes) == [
        "第一条为规范仓储管理，制定本办法。",
        "第二条货物到达后2小时内完成验收入库。",
        "P1 15分钟",
    ]


@needs_font
def test_each_scanned_clause_is_one_line_and_a_clause_to_the_cleaner(tmp_path):
    document = load_file(write_image_pdf(tmp_path / "scan.pdf", [SCAN], FONT))
    assert document.format == "pdf"
    lines = [line for line in document.text.splitlines() if CLAUSE.match(line)]
    assert [squeezed(line) for line in lines] == [squeezed(clause) for clause in CLAUSES]
    clean = Cleaner().run(document)
    body = [document.text[s.start : s.end] for s in clean.segments if s.kind == "body"]
    assert [squeezed(line) for line in body if CLAUSE.match(line)] == [squeezed(clause) for clause in CLAUSES]


@needs_font
def test_only_pages_without_a_text_layer_are_read_by_ocr(tmp_path):
    """Page 1, a scan its scanner already OCR'd, keeps its text layer (OCR would read the caption it shows);
    page 2, a bare scan, is read by OCR."""
    from pypdf import PdfWriter

    layer = ["第五条 本办法由仓储部负责解释。", "第六条 本办法自发布之日起施行。"]
    searchable = write_searchable_pdf(tmp_path / "searchable.pdf", layer, "SCANNED COPY")
    scanned = write_image_pdf(tmp_path / "scanned.pdf", [CLAUSES[:2]], FONT)
    writer = PdfWriter()
    for part in (searchable, scanned):
        writer.append(str(part))
    mixed = io.BytesIO()
    writer.write(mixed)
    (tmp_path / "mixed.pdf").write_bytes(mixed.getvalue())

    text = load_file(tmp_path / "mixed.pdf").text

    assert text.startswith("\n".join(layer)) and "SCANNED" not in text
    assert squeezed(CLAUSES[1]) in squeezed(text)


@needs_font
def test_rag_ingest_reads_a_scan_and_a_question_cites_its_clause(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    write_image_pdf(docs / "仓储管理办法.pdf", [SCAN], FONT)
    data = tmp_path / "index"

    result = rag("ingest", str(docs), data_dir=data)

    assert result.returncode == 0, result.stderr
    assert "新增 1" in result.stdout
    answer = Assistant(settings_for(data)).ask("货物到达后多久要完成验收入库？")
    assert answer.covered
    citation = answer.citations[0]
    assert citation.doc_id == "仓储管理办法" and "2小时内完成验收入库" in citation.quote
    assert citation.quote.startswith("第二条")
    assert Assistant(settings_for(data)).text(citation.doc_id)[citation.start : citation.end] == citation.quote


@needs_font
def test_with_ocr_off_a_scan_is_refused_as_before(tmp_path, client_for):
    scan = write_image_pdf(tmp_path / "scan.pdf", [SCAN], FONT)
    with pytest.raises(DocumentError, match="没有文本层（可能是扫描件），请先做 OCR"):
        load_file(scan, ocr=False)
    client = client_for(settings_for(tmp_path / "index", ocr=False))
    response = client.post("/documents", files=[("files", ("scan.pdf", scan.read_bytes()))])
    assert response.status_code == 422 and "没有文本层" in response.text


def test_a_text_pdf_does_not_load_the_ocr_engine(tmp_path):
    path = write_pdf(tmp_path / "typed.pdf", ["仓储管理办法", *CLAUSES])
    probe = f"import sys; from rag.load import load_file; load_file(__import__('pathlib').Path({str(path)!r}))\n"
    probe += "print(sorted(m for m in ('rapidocr_onnxruntime', 'pypdfium2', 'onnxruntime') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
