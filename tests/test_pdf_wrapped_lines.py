"""A PDF's text layer breaks lines at the page margin; a clause wrapped there is one sentence again."""

from rag.extract import pdf_to_text, unwrap_lines

from .files import write_pdf

WRAPPED = [
    "第二十二条 发现病毒感染、数据泄露、账号被盗等信息安全事件的，应立即断开网络，并在30分钟",
    "内报告信息技术部。",
    "第二十三条 收到可疑邮件时，不得点击其中的链接或打开附件，应转发至信息技术部确认处理。",
    "第二十四条 员工权限申请流程如下：",
    "1. 申请人在IT服务台提交权限申请，说明所需系统和权限范围；",
]


def test_a_line_wrapped_mid_sentence_is_joined_to_its_continuation():
    lines = unwrap_lines("\n".join(WRAPPED)).split("\n")
    assert lines[0] == WRAPPED[0] + WRAPPED[1]
    assert lines[1:] == WRAPPED[2:]  # a new article, a finished sentence, a lead-in and an item stay apart


def test_short_lines_are_left_alone():
    text = "目录\n总则\n附则"
    assert unwrap_lines(text) == text


def test_a_real_pdf_reads_the_wrapped_clause_as_one_line(tmp_path):
    text = pdf_to_text(write_pdf(tmp_path / "安全.pdf", WRAPPED).read_bytes(), "安全.pdf")
    assert "并在30分钟内报告信息技术部。" in text
