"""Excel workbooks: each data row is one line that names its columns, under its sheet's name."""

import io
import re
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.errors import DocumentError
from rag.extract import xlsx_to_text
from rag.ingest import Ingestor
from rag.load import load_file
from rag.service import Assistant
from rag.tokenize import Tokenizer

from .conftest import settings_for
from .files import write_xlsx
from .test_docx_limits import XML_BOMB, ZIP_BOMB, repacked, truncated, write_bombs

SLA = {
    "响应标准": [
        ["客户服务等级协议"],
        ["等级", "响应时间", "解决时限", "可用性"],
        ["P1", "15分钟", "4小时", 0.9995],
        ["P2", "30分钟", "8小时", 0.999],
        ["P3", "2小时", "3个工作日", None],
    ],
    "联系人": [["岗位", "电话", "生效日期"], ["值班经理", 4008001234, date(2025, 3, 1)]],
}


def sla_workbook(path):
    """The SLA workbook, its availability column formatted as percentages as a person would enter it."""
    write_xlsx(path, SLA)
    workbook = load_workbook(path)
    for row in range(3, 5):
        workbook["响应标准"].cell(row, 4).number_format = "0.00%"
    workbook.save(path)
    return path


def test_rows_name_their_columns_and_sheets_are_sections(tmp_path):
    document = load_file(sla_workbook(tmp_path / "SLA.xlsx"))
    assert document.format == "xlsx"
    lines = document.text.splitlines()
    assert "等级 | 响应时间 | 解决时限 | 可用性" in lines
    assert "等级：P2 | 响应时间：30分钟 | 解决时限：8小时 | 可用性：99.9%" in lines
    assert "等级：P3 | 响应时间：2小时 | 解决时限：3个工作日" in lines  # an empty cell is left out
    assert "岗位：值班经理 | 电话：4008001234 | 生效日期：2025-03-01" in lines
    chunks = Chunker(Tokenizer()).run(Cleaner().run(document))
    sections = {chunk.section[0] for chunk in chunks}
    assert sections == {"响应标准", "联系人"}
    p2 = next(chunk for chunk in chunks if "等级：P2" in chunk.text)
    assert p2.section == ("响应标准", "客户服务等级协议")


def test_a_sheet_declaring_a_wrong_used_range_is_read_whole(tmp_path):
    """Some writers declare the used range as A1; openpyxl's read-only mode would stop there."""
    data = write_xlsx(tmp_path / "base.xlsx", SLA).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:D5"/>' in sheet
    wrong = repacked(data, {"xl/worksheets/sheet1.xml": sheet.replace("A1:D5", "A1").encode()})
    assert "等级：P3 | 响应时间：2小时 | 解决时限：3个工作日" in xlsx_to_text(wrong, "wrong.xlsx")


def test_a_damaged_sheet_is_a_clear_error(tmp_path):
    data = write_xlsx(tmp_path / "base.xlsx", SLA).read_bytes()
    broken = truncated(data, "xl/worksheets/sheet1.xml")
    with pytest.raises(DocumentError, match="XLSX 文件已损坏或不是 Excel 工作簿"):
        xlsx_to_text(broken, "broken.xlsx")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """SLA.xlsx with a zip bomb and an entity bomb beside it, through one real ingest."""
    root = tmp_path_factory.mktemp("xlsx")
    docs = root / "docs"
    docs.mkdir()
    good = sla_workbook(docs / "SLA.xlsx").read_bytes()
    write_bombs(good, docs, ".xlsx", "xl/media/image1.png", "xl/worksheets/sheet1.xml", "worksheet")
    settings = settings_for(root / "index")
    return settings, Ingestor(settings).run([docs])


def test_a_question_about_one_row_cites_that_row_with_its_headers(ingested):
    settings, report = ingested
    assert report.added == ["SLA"]
    answer = Assistant(settings).ask("P2级故障的响应时间是多少？")
    assert answer.covered
    citation = max(answer.citations, key=lambda c: c.score)  # sibling rows name the same columns, and score less
    assert citation.doc_id == "SLA" and "响应标准" in citation.section
    assert citation.quote == "等级：P2 | 响应时间：30分钟 | 解决时限：8小时 | 可用性：99.9%"
    assert Assistant(settings).text("SLA")[citation.start : citation.end] == citation.quote


def test_zip_and_entity_bombs_land_in_failed(ingested):
    _, report = ingested
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in report.failed}
    assert set(reasons) == {"bomb.xlsx", "laughs.xlsx"}
    assert re.search(ZIP_BOMB, reasons["bomb.xlsx"]) and "XLSX" in reasons["bomb.xlsx"]
    assert f"xl/worksheets/sheet1.xml {XML_BOMB}" in reasons["laughs.xlsx"]
