"""A lead-in and its （一）…； items stay together in one verbatim chunk while they fit."""

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.models import SourceDocument
from rag.tokenize import Tokenizer

ITEMS = (
    "物业管理条例\n第十一条 下列事项由业主共同决定：\n（一）制定和修改业主大会议事规则；\n（二）选举业主委员会；\n"
    "（三）选聘和解聘物业服务企业。\n第十二条 有下列情形之一的，不得担任业主委员会委员：\n（一）故意犯罪的；\n"
    "（二）无民事行为能力的。\n"
)


def chunks_of(text, max_tokens=160, overlap=24):
    return Chunker(Tokenizer(None), max_tokens, overlap).run(Cleaner().run(SourceDocument("d", "d.txt", text, "h")))


def test_lead_in_and_items_are_one_chunk_per_clause():
    chunks = chunks_of(ITEMS)
    assert len(chunks) == 2
    assert chunks[0].text.startswith("第十一条 下列事项由业主共同决定：") and chunks[0].text.endswith("物业服务企业。")
    assert "（一）故意犯罪的；" in chunks[1].text and chunks[1].section_path == "物业管理条例"


def test_a_long_list_continues_in_verbatim_chunks_that_cover_every_item():
    items = "".join(f"（{n}）第{n}项需要提交的申请材料和相关的证明文件副本；\n" for n in "一二三四五六七八九十")
    text = "条例\n第五条 申请人应当提交下列材料：\n" + items
    chunks = chunks_of(text, max_tokens=40, overlap=8)
    assert len(chunks) > 1 and chunks[0].text.startswith("第五条")
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    for line in items.splitlines():
        assert any(line in c.text for c in chunks)


def test_a_lead_in_without_a_clause_number_is_content_not_a_heading():
    chunks = chunks_of("规定\n下列事项由业主共同决定：\n（一）制定管理规约；\n（二）选举业主委员会。\n")
    assert [c.text for c in chunks] == ["下列事项由业主共同决定：\n（一）制定管理规约；\n（二）选举业主委员会。"]
    assert chunks[0].section == ()
