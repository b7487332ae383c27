"""Short 第X条 clauses are each their own chunk, labelled by the title, never by their own text."""

import pytest

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.models import SourceDocument
from rag.tokenize import Tokenizer

LEAVE = (
    "员工休假管理办法\n"
    "第一条 为规范员工休假管理，保障员工合法权益，制定本办法。\n"
    "第二条 申请产假应至少提前30天向人力资源部提交书面申请。\n"
    "第三条 出差报销须提供发票原件、行程单和经部门负责人签字的报销单。\n"
    "第四条 本办法自2025年1月1日起施行。\n"
)


@pytest.fixture(scope="module")
def chunker():
    return Chunker(Tokenizer(None), 160, 24)


def chunks_of(text, chunker, doc_id="休假办法"):
    return chunker.run(Cleaner().run(SourceDocument(doc_id, f"{doc_id}.txt", text, "h")))


def test_each_of_the_four_clauses_is_its_own_chunk(chunker):
    chunks = chunks_of(LEAVE, chunker)
    assert [c.text[:3] for c in chunks] == ["第一条", "第二条", "第三条", "第四条"]
    assert any("申请产假应至少提前30天" in c.text for c in chunks)
    assert {c.section_path for c in chunks} == {"员工休假管理办法"}


def test_chapter_headings_label_their_clauses(chunker):
    text = "员工手册\n第一章 总则\n第一条 本手册适用于全体员工。\n第二章 休假\n第二条 年休假为5天。\n第三条 病假须提供证明。\n"
    chunks = chunks_of(text, chunker)
    assert [(c.section, c.text.splitlines()[-1]) for c in chunks] == [
        (("第一章 总则",), "第一条 本手册适用于全体员工。"),
        (("第二章 休假",), "第二条 年休假为5天。"),
        (("第二章 休假",), "第三条 病假须提供证明。"),
    ]


def test_repeated_clause_text_is_kept_in_every_clause(chunker):
    text = "某某条例\n第九条 具体办法由国务院规定。\n第十条 具体办法由国务院规定。\n"
    chunks = chunks_of(text, chunker)
    assert [c.text for c in chunks] == ["第九条 具体办法由国务院规定。", "第十条 具体办法由国务院规定。"]
    assert len({c.chunk_id for c in chunks}) == 2


def test_a_clause_whose_text_is_on_the_next_line_stays_with_it(chunker):
    chunks = chunks_of("办法\n第一条\n本办法适用于全体员工。\n第二条\n本办法自发布之日起施行。\n", chunker)
    assert [c.text for c in chunks] == ["第一条\n本办法适用于全体员工。", "第二条\n本办法自发布之日起施行。"]
