"""PowerPoint decks: each slide is a section under its title; text frames and tables are its body, notes are not."""

import re

import pytest

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.errors import DocumentError
from rag.extract import pptx_to_text
from rag.ingest import Ingestor
from rag.load import load_file
from rag.service import Assistant
from rag.tokenize import Tokenizer

from .conftest import settings_for
from .files import write_pptx
from .test_docx_limits import XML_BOMB, ZIP_BOMB, truncated, write_bombs

SLIDES = [
    ("新员工客服培训", ["2025年第一期"]),
    ("投诉处理流程", ["接到投诉后1小时内登记并分派给责任部门。", "处理结果须在3个工作日内回访客户并记录满意度。"]),
    ("服务礼仪", ["接听电话须在铃响三声内应答，并使用标准问候语。"]),
]
ESCALATION = {"投诉升级时限": [["投诉级别", "升级时限"], ["一般投诉", "24小时内"], ["重大投诉", "2小时内"]]}
NOTES = "讲者备注：这里停顿，请学员提问"
FOOTER = "公司内部资料 严禁外传"
GROUPED = ["培训讲师：客服部王经理", "培训时长：半天"]


def deck(path):
    return write_pptx(path, "客服培训", SLIDES, ESCALATION, notes=NOTES, footer=FOOTER, grouped=GROUPED)


def test_slides_are_sections_under_their_titles_and_notes_and_footers_are_left_out(tmp_path):
    document = load_file(deck(tmp_path / "培训.pptx"))
    assert document.format == "pptx"
    assert "讲者备注" not in document.text and FOOTER not in document.text
    assert "投诉级别：一般投诉 | 升级时限：24小时内" in document.text.splitlines()
    clean = Cleaner().run(document)
    assert clean.title == "客服培训"
    chunks = Chunker(Tokenizer()).run(clean)
    by_section = {chunk.section[0]: chunk.text for chunk in chunks}
    assert set(by_section) == {"新员工客服培训", "投诉处理流程", "服务礼仪", "投诉升级时限"}
    assert "处理结果须在3个工作日内回访客户" in by_section["投诉处理流程"]
    assert by_section["新员工客服培训"].endswith("2025年第一期\n" + "\n".join(GROUPED))  # grouped boxes, in order
    assert "处理结果" not in by_section["服务礼仪"]


def test_a_damaged_deck_is_a_clear_error(tmp_path):
    data = deck(tmp_path / "base.pptx").read_bytes()
    broken = truncated(data, "ppt/slides/slide2.xml")
    with pytest.raises(DocumentError, match="PPTX 文件已损坏或不是 PowerPoint 演示文稿"):
        pptx_to_text(broken, "broken.pptx")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The deck with a zip bomb and an entity bomb beside it, through one real ingest."""
    root = tmp_path_factory.mktemp("pptx")
    docs = root / "docs"
    docs.mkdir()
    good = deck(docs / "培训.pptx").read_bytes()
    write_bombs(good, docs, ".pptx", "ppt/media/image1.png", "ppt/slides/slide2.xml", "p:sld")
    settings = settings_for(root / "index")
    return settings, Ingestor(settings).run([docs])


def test_a_question_finds_a_slide_under_its_title(ingested):
    settings, report = ingested
    assert report.added == ["培训"]
    answer = Assistant(settings).ask("投诉处理结果要在多久内回访客户？")
    assert answer.covered
    citation = answer.citations[0]
    assert citation.section == "客服培训 > 投诉处理流程"
    assert citation.quote == "处理结果须在3个工作日内回访客户并记录满意度。"
    assert Assistant(settings).text("培训")[citation.start : citation.end] == citation.quote


def test_a_table_row_is_found_with_its_slide(ingested):
    settings, _ = ingested
    answer = Assistant(settings).ask("重大投诉的升级时限是多久？")
    assert answer.covered
    citation = max(answer.citations, key=lambda c: c.score)
    assert citation.quote == "投诉级别：重大投诉 | 升级时限：2小时内" and "投诉升级时限" in citation.section


def test_zip_and_entity_bombs_land_in_failed(ingested):
    _, report = ingested
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in report.failed}
    assert set(reasons) == {"bomb.pptx", "laughs.pptx"}
    assert re.search(ZIP_BOMB, reasons["bomb.pptx"]) and "PPTX" in reasons["bomb.pptx"]
    assert f"ppt/slides/slide2.xml {XML_BOMB}" in reasons["laughs.pptx"]
