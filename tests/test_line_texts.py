"""What each line of a chunk is embedded as: its own sentence, with the lead-in or section label it needs."""

from rag.lines import chunk_of, line_id, line_texts
from rag.models import Chunk


def chunk(text: str, section: tuple[str, ...] = ()) -> Chunk:
    return Chunk("c0ffee", "doc", "标题", section, 0, len(text), text)


def test_a_list_item_is_embedded_with_its_lead_in_and_the_lead_in_with_the_section_label():
    text = "第八条 下列费用不予报销：\n（一）私人宴请的；\n（二）无发票的。\n第九条 报销须经部门负责人签字。"
    lines = line_texts(chunk(text, ("第三章 报销",)), normalized=False)
    assert lines == [
        "第三章 报销\n第八条 下列费用不予报销：",
        "第八条 下列费用不予报销：\n（一）私人宴请的；",
        "第八条 下列费用不予报销：\n（二）无发票的。",
        "第三章 报销\n第九条 报销须经部门负责人签字。",
    ]


def test_sentences_of_one_line_are_separate_and_fragments_are_left_out():
    lines = line_texts(chunk("附则\n员工应按时打卡。迟到三次扣发全勤奖！"), normalized=False)
    assert lines == ["员工应按时打卡。", "迟到三次扣发全勤奖！"]


def test_a_single_line_chunk_has_no_line_vectors_of_its_own():
    assert line_texts(chunk("第四条 本办法自2025年1月1日起施行。", ("总则",))) == []


def test_lines_are_normalised_for_matching_like_the_chunk():
    lines = line_texts(chunk("員工應按時打卡。\n遲到三次扣發全勤獎。"))
    assert lines == ["员工应按时打卡。", "迟到三次扣发全勤奖。"]


def test_a_line_id_names_its_chunk():
    assert chunk_of(line_id("c0ffee", 3)) == "c0ffee"
    assert chunk_of("c0ffee") == "c0ffee"
