"""What a source sentence is as a clause: voice, defined term, list, repetition (pure functions)."""

import pytest

from rag.clauses import (
    Voice,
    addresses_authority,
    defined_term,
    is_document_field,
    lists_in,
    repeats,
    units_of,
    voice_of,
)
from rag.tokenize import Tokenizer

TOKENIZER = Tokenizer(None)


def voice(text: str) -> Voice:
    return voice_of(text, TOKENIZER.words(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("客服热线应在20秒内接听。", Voice.NORMATIVE),
        ("员工不得将密码借给他人。", Voice.NORMATIVE),
        ("应提供有效证件，例如身份证。", Voice.NORMATIVE),  # an obligation with an example is still one
        ("例如，在电商行业，客户服务标准可能包括24小时内响应。", Voice.DESCRIPTIVE),
        ("良好的培训有助于提升员工能力。", Voice.DESCRIPTIVE),
        ("系统故障的响应时间为15分钟。", Voice.STATEMENT),  # 应 inside 响应 is no obligation
        ("启动应急预案后上报。", Voice.STATEMENT),  # nor inside 应急
    ],
)
def test_voice(text, expected):
    assert voice(text) is expected


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("运营交付标准是指在项目交付后确保运营的标准。", "运营交付标准"),
        ("第三条 本办法所称差旅费，是指员工因公出差发生的费用。", "差旅费"),
        ("（一）“客户”是指购买公司服务的单位。", "客户"),
        ("所谓服务标准，是指服务应达到的要求。", "服务标准"),
        ("例如，在电商行业可能包括物流查询。", None),
    ],
)
def test_defined_term(text, term):
    assert defined_term(text) == term


def test_a_lead_in_and_its_numbered_items_are_one_list_ending_at_the_next_article():
    text = "第五条 报销流程如下：\n（一）提交申请；\n（二）部门审批；\n第六条 本办法自发布之日起施行。"
    [found] = lists_in(text)
    assert text[slice(*found.lead_in)] == "第五条 报销流程如下："
    assert [text[slice(*i)] for i in found.items] == ["（一）提交申请；", "（二）部门审批；"]


def test_a_lead_in_with_one_item_is_no_list():
    assert lists_in("下列人员须持证：\n（一）电工。\n第二条 其他。") == []


def test_items_of_another_numbering_style_end_the_list():
    text = "流程如下：\n(1)受理；\n(2)分派；\n3.设计流程图。"
    [found] = lists_in(text)
    assert len(found.items) == 2


def test_a_table_is_kept_under_its_lead_in_header_first():
    text = "第七条 服务时限如下：\n优先级 | 响应时限\nP1 | 15分钟\nP2 | 30分钟\n第八条 其他。"
    [found] = lists_in(text)
    assert [text[slice(*i)] for i in found.items] == ["优先级 | 响应时限", "P1 | 15分钟", "P2 | 30分钟"]


def test_a_numbered_line_is_one_unit_however_many_semicolons_it_has():
    text = "第十八条 已满1年的，年休假5天；已满10年的，年休假10天。\n这是第一句。这是第二句。"
    units = [text[slice(*u)] for u in units_of(text)]
    assert units == ["第十八条 已满1年的，年休假5天；已满10年的，年休假10天。", "这是第一句。", "这是第二句。"]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("客户服务标准是指企业遵循的规范。", "客户服务标准是指企业遵循的规范", True),
        ("第五条 客户咨询应在2小时内响应。", "客户咨询应在2小时内响应。", True),  # one inside the other
        ("客户咨询应在2小时内响应。", "员工年休假为5天。", False),
    ],
)
def test_repeats(a, b, same):
    assert repeats(a, b) is same


def test_a_document_control_field_is_no_clause():
    assert is_document_field("文件编号：XH-IT-2023-05　发布部门：信息技术部")
    assert not is_document_field("第一条 为保护公司信息资产安全，制定本规定。")


@pytest.mark.parametrize(
    ("text", "authority"),
    [
        ("第七十三条 国务院劳动行政部门负责全国劳动合同制度实施的监督管理。", True),
        ("职业病诊断应当由取得《医疗机构执业许可证》的医疗卫生机构承担。", True),
        ("第十条 用人单位应当依法向社会保险行政部门申报。", False),  # the employer's duty, towards an authority
        ("用人单位对仲裁裁决不服的，可以向人民法院提起诉讼。", False),
        ("第三条 信息技术部负责安全策略制定。", False),
    ],
)
def test_a_clause_binding_a_public_authority_is_told_from_one_binding_the_employer(text, authority):
    assert addresses_authority(text) is authority


def test_an_enactment_line_is_about_the_document():
    assert is_document_field("2012年12月28日第十一届全国人民代表大会常务委员会第三十次会议修正")
