"""Numbered "1. …" lines that say something are content of their section, not headings."""

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.models import SegmentKind, SourceDocument
from rag.tokenize import Tokenizer

TEXT = "报销指引\n一、报销流程\n1. 员工填写报销单并附发票。\n2. 部门负责人审核签字。\n3. 财务部在5个工作日内付款。\n"


def test_numbered_steps_are_body_under_their_heading():
    clean = Cleaner().run(SourceDocument("d", "d.txt", TEXT, "h"))
    assert [(s.kind, s.label) for s in clean.segments if s.kind is SegmentKind.HEADING] == [("heading", "一、报销流程")]
    chunks = Chunker(Tokenizer(None), 160, 24).run(clean)
    assert len(chunks) == 1 and chunks[0].section == ("一、报销流程",)
    assert chunks[0].text.endswith("3. 财务部在5个工作日内付款。")


def test_a_short_numbered_title_over_its_steps_is_a_heading():
    text = "手册\n1. 报销标准\n住宿费按实际发生额报销，每晚不超过500元。\n2. 报销时限\n费用发生后30天内提交报销单。\n"
    chunks = Chunker(Tokenizer(None), 160, 24).run(Cleaner().run(SourceDocument("d", "d.txt", text, "h")))
    assert [c.section for c in chunks] == [("1. 报销标准",), ("2. 报销时限",)]
