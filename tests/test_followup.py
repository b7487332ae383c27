"""Follow-up questions completed from the previous one by jieba's parts of speech, with no model."""

import pytest

from rag.followup import FollowUpResolver
from rag.tokenize import shared_tokenizer

SERVICE = "客户服务的响应时间标准是多少？"


@pytest.fixture(scope="module")
def resolver() -> FollowUpResolver:
    return FollowUpResolver(shared_tokenizer())  # jieba's own dictionary: no deployment's terms


@pytest.mark.parametrize(
    ("previous", "follow_up", "resolved"),
    [
        # a new subject in place of the previous topic, whatever the connective
        (SERVICE, "那IT故障呢？", "IT故障的响应时间标准是多少？"),
        (SERVICE, "如果是IT故障呢？", "IT故障的响应时间标准是多少？"),
        (SERVICE, "还有质量控制呢", "质量控制的响应时间标准是多少？"),
        (SERVICE, "那么对于VIP客户呢？", "VIP客户的响应时间标准是多少？"),
        ("IT系统故障多久要恢复？", "那网络故障呢？", "网络故障多久要恢复？"),
        # it parallels another part of the question: the part sharing its head word is replaced
        (SERVICE, "那解决时间呢？", "客户服务的解决时间标准是多少？"),
        # a question word but no subject: the previous topic is carried over
        (SERVICE, "那怎么考核？", "客户服务怎么考核？"),
        (SERVICE, "还有哪些要求？", "客户服务还有哪些要求？"),
        # a previous question without a topic: the subject goes in front
        ("多久能恢复？", "那IT故障呢？", "IT故障多久能恢复？"),
        # the writer's script is kept
        ("應急預案包括哪些內容？", "那運營交付呢？", "運營交付包括哪些內容？"),
    ],
)
def test_an_elliptical_follow_up_is_completed(resolver, previous, follow_up, resolved):
    assert resolver.run(follow_up, [previous]) == resolved


@pytest.mark.parametrize(
    "question",
    [
        "应急预案包括哪些内容？",  # a question of its own
        "那IT故障也要两小时吗？",  # marked as a follow-up, yet with its own subject and question word
        "应急预案",  # a bare keyword is a search, not a follow-up
        "怎么请假？",  # no subject, but nothing marks it as continuing the conversation
        "还有呢？",  # nothing to carry a subject over to
    ],
)
def test_a_question_of_its_own_is_left_as_asked(resolver, question):
    assert resolver.run(question, [SERVICE]) == question


def test_without_history_nothing_changes(resolver):
    assert resolver.run("那IT故障呢？", []) == "那IT故障呢？"


def test_a_chain_of_follow_ups_keeps_its_subject(resolver):
    history = [SERVICE, "那IT故障呢？"]
    assert resolver.run("那解决时间呢？", history) == "IT故障的解决时间标准是多少？"
    assert resolver.run("那应急预案包括哪些内容？", history) == "那应急预案包括哪些内容？"
