"""Drafting from company regulations (第X条 one per line, a numbered process, two sources that disagree, an
unrelated policy): clauses about the topic only, the process whole and in order, conflicts left for the
reviewer, examples as 说明, repeated clauses quoted once per handbook, a thin draft said to be thin."""

import io
import re

import docx
import pytest

from rag.draft import Drafter, DraftSection
from rag.export import to_docx, to_markdown
from rag.ingest import Ingestor
from rag.service import Assistant

from .conftest import settings_for

POLICIES = {
    "客户服务管理办法": [
        "第一条 为规范客户服务工作，提升客户满意度，制定本办法。",
        "第二条 本办法适用于客户服务中心全体员工。",
        "第三条 本办法所称客户服务，是指公司通过热线和在线渠道为客户解答咨询、受理投诉的活动。",
        "第四条 客户服务中心负责客户服务工作的组织实施和质量检查。",
        "第五条 客服热线应在20秒内接听，客户咨询应在2小时内响应。",
        "第六条 客户投诉处理流程如下：",
        "（一）受理：客服专员记录投诉内容并生成工单；",
        "（二）分派：客服主管将工单分派至责任部门；",
        "（三）处理：责任部门在24小时内提出处理方案；",
        "（四）回访：客服专员在工单关闭后回访客户。",
        "第七条 客户服务人员应使用规范用语，不得与客户争执。",
        "第八条 客户满意度按月考核，目标值不低于90%。",
        "第九条 本办法自2025年1月1日起施行。",
    ],
    "客户服务手册": [
        "一、总则",
        "客户服务是指企业在售前、售中和售后为客户提供的各类支持。",
        "客户咨询应在4小时内响应。",
        "例如，在电商行业，客户服务可能还包括物流查询和退换货协助。",
    ],
    "薪酬与休假管理办法": [
        "第一条 员工工资于每月10日发放。",
        "第二条 员工年休假为5天，应提前3个工作日申请。",
        "第三条 公司组织员工参加内部培训，培训期间工资照发。",
    ],
    "保密管理规定": [
        "第一条 员工应对经手的合同资料保密，不得向外部提供。",
        "第二条 违反保密规定的，给予警告处分。",
    ],
}


@pytest.fixture(scope="module")
def drafter(tmp_path_factory) -> Drafter:
    corpus = tmp_path_factory.mktemp("policies")
    for title, lines in POLICIES.items():
        (corpus / f"{title}.txt").write_text("\n".join([title, *lines]) + "\n", encoding="utf-8")
    settings = settings_for(tmp_path_factory.mktemp("index"), user_dict=None, synonyms=None)
    assert not Ingestor(settings).run([corpus]).failed
    return Drafter(Assistant(settings))


@pytest.fixture(scope="module")
def service_draft(drafter):
    return drafter.run("客户服务标准")


def part(draft, section):
    return next(p for p in draft.parts if p.section is section)


def cited_titles(draft) -> set[str]:
    return {c.title for c in draft.citations}


def test_clauses_come_only_from_documents_about_the_topic(service_draft):
    assert cited_titles(service_draft) == {"客户服务管理办法", "客户服务手册"}


def test_the_process_is_kept_whole_and_in_order_in_its_section(service_draft):
    [process] = part(service_draft, DraftSection.PROCESS).clauses
    assert process.text.startswith("第六条 客户投诉处理流程如下")
    assert [item.text[:2] for item in process.items] == ["受理", "分派", "处理", "回访"]
    assert all(item.citation_ids for item in process.items)
    requirements = [c.text for c in part(service_draft, DraftSection.REQUIREMENTS).clauses]
    assert not any(text.startswith(("受理", "分派", "回访")) for text in requirements)


def test_conflicting_definitions_are_left_for_the_reviewer(service_draft):
    [definition] = part(service_draft, DraftSection.TERMS).clauses
    assert "【待评审】" in definition.text and "客户服务" in definition.text
    assert len(definition.options) == 2
    by_id = {c.id: c for c in service_draft.citations}
    assert {by_id[o.citation_ids[0]].title for o in definition.options} == {"客户服务管理办法", "客户服务手册"}


def test_time_limits_that_differ_between_documents_are_options(service_draft):
    flagged = [c for p in service_draft.parts for c in p.clauses if c.options and "响应" in c.text]
    assert len(flagged) == 1
    assert sorted(o.text[-7:] for o in flagged[0].options) == sorted(
        ["客户咨询应在2小时内响应。"[-7:], "4小时内响应。"]
    )


def test_an_example_is_background_not_a_requirement(service_draft):
    notes = [c.text for c in part(service_draft, DraftSection.NOTES).clauses]
    assert any(text.startswith("例如，在电商行业") for text in notes)
    rules = [c.text for p in service_draft.parts if p.section is not DraftSection.NOTES for c in p.clauses]
    assert not any("例如" in text for text in rules)


def test_purpose_scope_and_supplementary_clauses_find_their_sections(service_draft):
    assert part(service_draft, DraftSection.PURPOSE).clauses[0].text.startswith("第一条")
    assert part(service_draft, DraftSection.SCOPE).clauses[0].text.startswith("第二条")
    assert part(service_draft, DraftSection.RESPONSIBILITIES).clauses[0].text.startswith("第四条")
    assert part(service_draft, DraftSection.SUPPLEMENTARY).clauses[0].text.startswith("第九条")


def test_a_thin_draft_says_so_and_lists_its_gaps(drafter):
    draft = drafter.run("保密管理规定")
    supported = sum(len(p.clauses) for p in draft.parts if p.section is not DraftSection.NOTES)
    assert 0 < supported < drafter.min_clauses
    assert draft.warnings and f"只有 {supported} 条" in draft.warnings[0]
    assert DraftSection.TERMS in draft.gaps  # no definition: a gap, not a silently missing section
    assert "**注意：**" in to_markdown(draft)


def test_a_full_draft_has_no_thin_warning(service_draft):
    assert service_draft.warnings == []


def test_a_handbook_quotes_each_clause_in_one_chapter_only(drafter):
    handbook = drafter.handbook("客服手册", ["客户服务标准", "客户投诉处理规范"])
    first, second = handbook.chapters
    spans = {
        chapter.topic: {
            (c.doc_id, c.start)
            for p in chapter.parts
            for clause in p.clauses
            for member in (clause, *clause.options, *clause.items)
            for i in member.citation_ids
            for c in handbook.citations
            if c.id == i
        }
        for chapter in handbook.chapters
    }
    assert spans[first.topic] and not spans[first.topic] & spans[second.topic]
    assert any("前面章节" in note for note in second.notes)


def test_the_process_list_is_rendered_with_its_items_in_markdown_and_docx(service_draft):
    markdown = to_markdown(service_draft)
    process = markdown[markdown.index("## 六、流程") :]
    assert process.index("（1）受理") < process.index("（2）分派") < process.index("（4）回访")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(to_docx(service_draft))).paragraphs]
    steps = [p for p in paragraphs if p.startswith("（")]
    assert [p[:5] for p in steps[:4]] == ["（1）受理", "（2）分派", "（3）处理", "（4）回访"]
    assert all(re.search(r"\[\d+\]$", p) for p in steps)
