"""What of a chunk BM25 indexes and what is embedded: a clause rarely names the policy it belongs to,
so BM25 sees the document title with it; the embedding keeps to the chunk and its section."""

from rag.index import lexical_text, match_text
from rag.models import Chunk

CLAUSE = "第二条 申请应至少提前30天向人力资源部提交书面申请。"


def chunk(title: str, section: tuple[str, ...]) -> Chunk:
    return Chunk("c1", "leave", title, section, 0, len(CLAUSE), CLAUSE)


def test_bm25_sees_the_title_and_section_before_the_text():
    text = lexical_text(chunk("员工休假管理办法", ("第一章 产假",)))
    assert text.split("\n") == ["员工休假管理办法", "第一章 产假", CLAUSE]


def test_the_embedded_text_leaves_the_title_out():
    assert match_text(chunk("员工休假管理办法", ("第一章 产假",))).split("\n") == ["第一章 产假", CLAUSE]


def test_a_title_that_is_already_the_first_heading_is_not_counted_twice():
    assert lexical_text(chunk("员工休假管理办法", ("员工休假管理办法",))).count("员工休假管理办法") == 1


def test_matching_text_is_normalised_but_the_chunk_keeps_its_original():
    traditional = chunk("員工休假管理辦法", ())
    assert lexical_text(traditional).startswith("员工休假管理办法")
    assert traditional.title == "員工休假管理辦法"
