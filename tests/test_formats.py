"""HTML, PDF and DOCX files, as users bring them, become documents with their structure kept."""

import pytest

from rag.clean import Cleaner
from rag.errors import DocumentError
from rag.ingest import Ingestor
from rag.load import load_file
from rag.manifest import load_manifest
from rag.service import Assistant

from .conftest import settings_for
from .files import html_page, write_docx, write_pdf, write_scanned_pdf

WAREHOUSE = [
    ("一、温度管理", "仓库温度必须保持在18至25摄氏度之间，值班人员每日记录两次。"),
    ("二、出入库", "货物到达后2小时内完成验收入库，出库须凭审批单办理。"),
]


def headings(document) -> list[str]:
    clean = Cleaner().run(document)
    return [clean.source.text[s.start : s.end] for s in clean.segments if s.kind == "heading"]


def test_html_keeps_the_article_and_drops_site_chrome(tmp_path):
    path = tmp_path / "仓储规范.html"
    path.write_text(html_page("仓储服务规范", WAREHOUSE), encoding="utf-8")
    document = load_file(path)
    assert document.format == "html"
    assert "仓库温度必须保持在18至25摄氏度之间" in document.text
    for chrome in ("热门文档", "下载 APP", "京ICP备", "登录"):
        assert chrome not in document.text
    assert Cleaner().run(document).title == "仓储服务规范"
    assert any("一、温度管理" in h for h in headings(document))


def test_html_in_gbk_is_decoded(tmp_path):
    path = tmp_path / "gbk.html"
    page = html_page("仓储服务规范", WAREHOUSE).replace("charset='utf-8'", "charset='gbk'")
    path.write_bytes(page.encode("gbk", errors="xmlcharrefreplace"))
    assert "货物到达后2小时内完成验收入库" in load_file(path).text


def test_pdf_text_layer_is_extracted_with_its_numbered_headings(tmp_path):
    lines = ["仓储服务规范", *[line for pair in WAREHOUSE for line in pair]]
    document = load_file(write_pdf(tmp_path / "仓储.pdf", lines, pages=2))
    assert document.format == "pdf"
    assert "出库须凭审批单办理" in document.text
    assert ["一、温度管理", "二、出入库"] == [h.strip() for h in headings(document)]


def test_scanned_pdf_without_text_layer_is_refused_with_the_reason(tmp_path):
    with pytest.raises(DocumentError, match="没有文本层"):
        load_file(write_scanned_pdf(tmp_path / "scan.pdf"))


def test_broken_pdf_is_a_clear_error(tmp_path):
    path = write_pdf(tmp_path / "broken.pdf", ["仓储服务规范"])
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DocumentError, match="broken.pdf"):
        load_file(path)


def test_docx_headings_become_sections_and_tables_are_kept(tmp_path):
    path = write_docx(
        tmp_path / "仓储.docx",
        "仓储服务规范",
        [(h, [p]) for h, p in WAREHOUSE],
        table=[["项目", "时限"], ["验收入库", "2小时"]],
    )
    document = load_file(path)
    assert document.format == "docx"
    assert "# 一、温度管理" in document.text and "验收入库 | 2小时" in document.text
    assert Cleaner().run(document).title == "仓储服务规范"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.docx", b"PK\x03\x04 this is not a real zip archive", "DOCX 文件已损坏"),
        ("legacy.doc", b"\xd0\xcf\x11\xe0", "不支持的文件类型 .doc"),
        ("scan.xyz", b"\x00\x01", "不支持的文件类型"),
    ],
)
def test_unreadable_files_are_clear_errors(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=message):
        load_file(path)


def test_a_mixed_batch_indexes_the_good_files_and_reports_each_bad_one(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "web.html").write_text(html_page("仓储服务规范", WAREHOUSE), encoding="utf-8")
    write_docx(docs / "word.docx", "客服规范", [("一、响应时间", ["客服人员应在两小时内响应客户咨询。"])])
    write_pdf(docs / "paper.pdf", ["安全规范", "一、巡检", "机房每四小时巡检一次并填写巡检记录。"])
    write_scanned_pdf(docs / "scan.pdf")
    (docs / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (docs / "broken.docx").write_bytes(b"not a zip")
    settings = settings_for(tmp_path / "index")

    report = Ingestor(settings).run([docs])

    assert sorted(report.added) == ["paper", "web", "word"]
    assert {path.rsplit("/", 1)[-1] for path, _ in report.failed} == {"scan.pdf", "broken.docx"}
    manifest = load_manifest(settings.data_dir)
    assert {d: r.format for d, r in manifest.documents.items()} == {"paper": "pdf", "web": "html", "word": "docx"}
    answer = Assistant(settings).ask("机房多久巡检一次？")
    assert answer.covered and answer.citations[0].doc_id == "paper"
    text = Assistant(settings).text("paper")
    citation = answer.citations[0]
    assert text[citation.start : citation.end] == citation.quote
