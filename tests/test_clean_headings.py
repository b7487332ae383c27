"""Which lines are headings: short lines whose body follows; never clauses, items or dates."""

from rag.clean import Cleaner
from rag.models import SegmentKind, SourceDocument


def headings(text):
    clean = Cleaner().run(SourceDocument("d", "d.txt", text, "h"))
    return [(s.level, s.label) for s in clean.segments if s.kind is SegmentKind.HEADING]


def test_unnumbered_short_lines_over_their_text_are_headings():
    text = "运营手册\n服务标准\n服务标准规定了响应时间、服务流程和沟通规范等多个方面的内容。\n应急预案\n应急预案针对可能发生的突发事件制定相应的应对措施。\n"
    assert headings(text) == [(1, "服务标准"), (1, "应急预案")]


def test_dates_under_a_regulation_title_are_never_headings():
    text = (
        "# 职工带薪年休假条例\n\n（2007年12月7日国务院第198次常务会议通过 2007年12月14日中华人民共和国国务院令第514号公布"
        " 自2008年1月1日起施行）\n2007年12月14日\n\n第一条 为了维护职工休息休假权利，制定本条例。\n"
    )
    assert headings(text) == []


def test_clauses_and_items_that_say_something_are_content():
    text = "条例\n## 第一章 总则\n第一条 为规范服务，制定本条例。\n（一）故意犯罪的；\n1. 员工应当遵守本条例。\n"
    assert headings(text) == [(2, "第一章 总则")]


def test_short_items_of_a_list_are_content_not_headings():
    assert headings("规定\n申请人应当提交下列材料：\n（一）身份证\n（二）户口本\n（三）照片\n") == []


def test_a_wrapped_chapter_heading_extends_its_label():
    text = "# 法\n## 第五章 卷烟纸、滤嘴棒、\n烟草专用机械的生产和销售\n第二十条 卷烟纸的生产应当经过批准，并遵守国家规定。\n"
    assert headings(text)[-1] == (2, "第五章 卷烟纸、滤嘴棒、烟草专用机械的生产和销售")
