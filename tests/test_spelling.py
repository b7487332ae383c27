"""Homophone typo correction: sound-alike typos are fixed, real words are left alone."""

import pytest

from rag.spelling import HomophoneCorrector
from rag.tokenize import Tokenizer

VOCABULARY = {"满意度": 12, "服务": 40, "流程": 30, "应急预案": 9, "具备": 3, "时间表": 2, "数据": 20, "备份": 8}


@pytest.fixture(scope="module")
def corrector() -> HomophoneCorrector:
    tokenizer = Tokenizer()
    return HomophoneCorrector(VOCABULARY, lambda text: tokenizer.words(text, new_words=False))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("客户满易度怎么提升", "客户满意度怎么提升"),
        ("用户服物流程是啥", "用户服务流程是啥"),
        ("应急预按包括哪些", "应急预案包括哪些"),
    ],
)
def test_sound_alike_typos_become_corpus_words(corrector, typed, meant):
    assert corrector.run(typed) == meant


@pytest.mark.parametrize("question", ["数据备份要保留多少天", "响应时间标准是多少", "公司年假有几天"])
def test_real_words_are_not_replaced_by_homophones(corrector, question):
    assert corrector.run(question) == question


def test_latin_text_and_punctuation_pass_through(corrector):
    assert corrector.run("SLA 是什么? it 服物") == "SLA 是什么? it 服务"


def test_empty_vocabulary_changes_nothing():
    corrector = HomophoneCorrector({}, Tokenizer().words)
    assert corrector.run("客户满易度") == "客户满易度"
