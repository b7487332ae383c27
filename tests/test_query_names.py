"""Names versus common nouns: a passage that lacks a name (VPN, 鑫诺) does not cover the question;
one that lacks a lay word (宠物, 妻子) may still cover it in the corpus's own words (动物, 配偶)."""

import pytest

from rag.coverage import coverage_features
from rag.query import QueryAnalyzer
from rag.service import bm25_idf
from rag.synonyms import Synonyms
from rag.tokenize import Tokenizer


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    tokenizer = Tokenizer(None)
    frequencies = {"办公": 3, "公司": 5, "打伤": 1, "人": 4}  # nothing else occurs in this corpus
    return QueryAnalyzer(tokenizer, Synonyms(None), bm25_idf(frequencies, 10))


def named(analyzer: QueryAnalyzer, question: str) -> dict[str, bool]:
    return {sorted(t.forms)[0]: t.named for t in analyzer.run(question).terms if t.noun}


def test_a_latin_code_is_a_name(analyzer):
    assert named(analyzer, "在家办公怎么连公司的VPN？")["vpn"] is True


def test_an_everyday_noun_is_not_a_name(analyzer):
    assert named(analyzer, "宠物被人打伤怎么办？")["宠物"] is False


def test_missing_name_counts_only_absent_names(analyzer):
    tokenizer = Tokenizer(None)
    lay = analyzer.run("宠物被人打伤怎么办？")
    code = analyzer.run("在家办公怎么连公司的VPN？")
    assert coverage_features(lay, [], None, tokenizer)["missing_name"] == 0.0
    assert coverage_features(lay, [], None, tokenizer)["missing_subject"] > 0.0
    assert coverage_features(code, [], None, tokenizer)["missing_name"] > 0.0


def test_a_name_jieba_lacks_is_asked_about_whole_not_as_single_characters(analyzer):
    terms = {sorted(t.forms)[0]: t for t in analyzer.run("钩盲蛇在中国被称为什么？").terms}
    assert "钩盲蛇" in terms and not {"钩", "盲", "蛇"} & terms.keys()
    assert terms["钩盲蛇"].named and terms["钩盲蛇"].weight > 1.0


def test_a_name_counts_as_covered_only_where_the_text_holds_it_whole(analyzer):
    query = analyzer.run("钩盲蛇在中国被称为什么？")
    tokenizer = Tokenizer(None)
    about_it = "钩盲蛇在中国被称为铁线蛇。"
    about_another_snake = "盲蛇科的蛇在中国南方常见，也有人称为钩吻。"
    assert query.coverage(about_it, tokenizer.match_tokens(about_it)) == 1.0
    assert query.coverage(about_another_snake, tokenizer.match_tokens(about_another_snake)) < 0.5


def test_two_stray_characters_are_not_taken_for_a_name():
    assert Tokenizer(None).unknown_names("公司年价有几天") == []
