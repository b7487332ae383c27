"""Drafting on the demo corpus: every clause cited, every quote verbatim, gaps marked, not filled."""

import io
import re

import docx
import pytest

from rag.draft import GAP_MARK, Drafter, DraftSection, InvalidDraftError, TopicNotCoveredError, parse_outline
from rag.export import to_docx, to_markdown
from rag.service import Assistant

from .conftest import CORPUS

DOC_TEXT = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
TOPICS = ["客户服务标准", "应急预案管理规范", "运营交付标准"]


@pytest.fixture(scope="module")
def drafter(corpus_index) -> Drafter:
    return Drafter(Assistant(corpus_index))


def all_clauses(draft):
    for part in draft.parts:
        for clause in part.clauses:
            yield clause
            yield from clause.options
            yield from clause.items


@pytest.mark.parametrize("topic", TOPICS)
def test_every_clause_cites_a_verbatim_source(drafter, topic):
    draft = drafter.run(topic)
    clauses = list(all_clauses(draft))
    assert len(clauses) >= 5
    by_id = {c.id: c for c in draft.citations}
    for clause in clauses:
        assert clause.citation_ids, clause.text
        assert all(i in by_id for i in clause.citation_ids)
    for citation in draft.citations:
        assert DOC_TEXT[citation.doc_id][citation.start : citation.end] == citation.quote
        assert citation.section.startswith(citation.title)


def test_examples_from_other_topics_and_hedges_are_not_requirements(drafter):
    draft = drafter.run("客户服务标准")
    # The IT-outage example (系统故障的响应时间为15分钟) is about IT service, not customer service.
    assert not any("系统故障" in c.quote for c in draft.citations)
    for part in draft.parts:
        if part.section is not DraftSection.NOTES:
            assert not any("例如" in c.text or "可能" in c.text for c in part.clauses), part.section


def test_the_user_service_process_is_kept_whole_in_its_section(drafter):
    process = next(p for p in drafter.run("客户服务标准").parts if p.section is DraftSection.PROCESS)
    steps = next(c for c in process.clauses if len(c.items) == 5)
    assert [i.text[:4] for i in steps.items] == ["問題受理", "分派處理", "跟進反饋", "關閉案件"] + ["滿意度回"]


def test_three_definitions_of_one_term_are_flagged(drafter):
    terms = next(p for p in drafter.run("运营交付标准").parts if p.section is DraftSection.TERMS)
    flagged = [c for c in terms.clauses if c.options]
    assert len(flagged) == 1 and len(flagged[0].options) == 3 and "运营交付标准" in flagged[0].text


def test_sections_without_sources_are_gaps_not_text(drafter):
    draft = drafter.run("客户服务标准")
    supplementary = next(p for p in draft.parts if p.section is DraftSection.SUPPLEMENTARY)
    assert supplementary.is_gap and DraftSection.SUPPLEMENTARY in draft.gaps
    markdown = to_markdown(draft)
    assert markdown.count(GAP_MARK) == len(draft.gaps)
    assert "## 缺口报告" in markdown and "客户服务标准：附则" in markdown


def test_no_sentence_is_repeated_across_sections(drafter):
    draft = drafter.run("应急预案管理规范")
    texts = [c.text for c in all_clauses(draft) if not c.options]
    assert len(texts) == len(set(texts))


def test_outline_override_keeps_the_callers_sections_and_order(drafter):
    outline = parse_outline(["流程", "目的"])
    draft = drafter.run("应急预案管理规范", outline)
    assert [p.section for p in draft.parts] == [DraftSection.PROCESS, DraftSection.PURPOSE]


def test_unknown_outline_section_lists_the_valid_ones():
    with pytest.raises(InvalidDraftError, match="可用的章节：目的"):
        parse_outline(["目的", "章程"])


@pytest.mark.parametrize("topic", ["", "   "])
def test_empty_topic_is_an_error(drafter, topic):
    with pytest.raises(InvalidDraftError):
        drafter.run(topic)


def test_uncovered_topic_is_declined_with_closest_topics(drafter):
    with pytest.raises(TopicNotCoveredError, match="年假"):
        drafter.run("年假管理制度")


def test_docx_reads_back_with_headings_numbered_clauses_and_sources(drafter):
    draft = drafter.run("客户服务标准")
    document = docx.Document(io.BytesIO(to_docx(draft)))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    headings = [text for style, text in paragraphs if style.startswith("Heading 1")]
    assert headings[0] == "一、目的" and "参考来源" in headings and "缺口报告" in headings
    clauses = [text for _, text in paragraphs if re.match(r"\d+\.\d+ ", text)]
    assert len(clauses) == sum(len(p.clauses) for p in draft.parts)
    assert all(re.search(r"(\[\d+\])+$", text) for text in clauses)
    sources = [text for _, text in paragraphs if re.match(r"\[\d+\] 《", text)]
    assert len(sources) == len(draft.citations)
    assert all(c.quote.strip() in text for c, text in zip(draft.citations, sources, strict=True))


def test_handbook_has_chapters_toc_one_source_list_and_reports_uncovered_topics(drafter):
    handbook = drafter.handbook("新员工运营手册", [*TOPICS, "年假管理制度"])
    assert [c.topic for c in handbook.chapters] == [*TOPICS, "年假管理制度"]
    assert handbook.chapters[-1].notes and all(p.is_gap for p in handbook.chapters[-1].parts)
    keys = [(c.doc_id, c.start, c.end) for c in handbook.citations]
    assert len(keys) == len(set(keys)) and [c.id for c in handbook.citations] == list(range(1, len(keys) + 1))
    cited = {i for chapter in handbook.chapters for clause in all_clauses(chapter) for i in clause.citation_ids}
    assert cited == {c.id for c in handbook.citations}
    markdown = to_markdown(handbook)
    assert "## 目录" in markdown and "## 第四章 年假管理制度" in markdown
    document = docx.Document(io.BytesIO(to_docx(handbook)))
    chapter_headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1" and "章" in p.text]
    assert len(chapter_headings) == 4
