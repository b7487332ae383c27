from pathlib import Path

import pytest

from rag.clean import Cleaner
from rag.load import load_file
from rag.models import SegmentKind, SourceDocument

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def clean(name: str):
    return Cleaner().run(load_file(next(CORPUS.glob(f"{name}_*.txt"))))


def kept_text(document) -> str:
    return "\n".join(document.source.text[s.start : s.end] for s in document.segments)


def make(text: str):
    return Cleaner().run(SourceDocument("doc", "doc.txt", text, "h"))


@pytest.mark.parametrize("name", ["000", "001", "002", "003"])
def test_qa_page_boilerplate_is_dropped(name):
    text = kept_text(clean(name))
    assert "已被采纳为最佳回答" not in text
    assert "1年前" not in text
    assert all(line.strip() != "-" for line in text.splitlines())


def test_traditional_page_chrome_and_trailer_are_dropped():
    document = clean("004")
    text = kept_text(document)
    for chrome in ("_第1頁", "下載本文檔", "版權", "溫馨提示", "本站", "繼續(xù)免費閱讀"):
        assert chrome not in text
    lines = {line.strip() for line in text.splitlines()}
    assert not lines & {"評論", "提交評論", "0/150", "文檔簡介"}
    assert document.title == "制定全面的運營規范方案"


def test_outline_body_repeated_in_full_text_is_dropped_once():
    text = kept_text(clean("004"))
    # The outline's summary paragraph recurs, extended, in the full text: only the fuller one stays.
    assert text.count("運營規(guī)范方案是企業(yè)為保障日常運營效率") == 1
    assert "一個完善的運營規(guī)范方案不僅能夠規(guī)范員工行為" in text


def test_title_is_the_first_line_and_not_content():
    document = clean("002")
    assert document.title == "运营保障细则内容有哪些"
    assert document.segments[0].start > 0


def test_headings_get_levels_and_labels():
    document = make(
        "标题\n一、总则\n正文第一段，内容足够长的说明文字。\n（一）适用范围\n1.范围说明：适用于全体员工。\n"
    )
    headings = [(s.level, s.label) for s in document.segments if s.kind is SegmentKind.HEADING]
    assert headings == [(1, "一、总则"), (2, "（一）适用范围")]  # "1.范围说明：适用于…" states a rule: content


def test_markdown_and_article_headings():
    document = make("# 手册\n## 第一章 总则\n第一条 为规范服务，制定本办法。\n正文内容。\n")
    headings = [(s.level, s.label) for s in document.segments if s.kind is SegmentKind.HEADING]
    assert headings == [(2, "第一章 总则")]  # a 第X条 clause is content, never a heading


def test_segments_point_at_verbatim_text():
    document = clean("004")
    for segment in document.segments:
        assert (
            document.source.text[segment.start : segment.end].strip()
            == document.source.text[segment.start : segment.end]
        )


def test_answer_separators_start_a_new_part():
    document = make("标题\n一、甲\n第一条回答的正文内容。\n1年前 -\n另一个回答的正文内容，比较长。\n")
    parts = [s for s in document.segments if s.new_part]
    assert len(parts) == 1 and document.source.text[parts[0].start :].startswith("另一个回答")
