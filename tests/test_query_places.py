"""A place or organisation the question is about (深圳的公积金比例) that no document mentions marks
the question as one the documents cannot answer; one where the asker's action only happens
(在深圳工作, 去上海出差) does not, since national or company-wide rules still apply there."""

import pytest

from rag.coverage import coverage_features
from rag.query import QueryAnalyzer
from rag.service import bm25_idf
from rag.synonyms import Synonyms
from rag.tokenize import Tokenizer


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    frequencies = {"住房": 3, "公积金": 5, "缴存": 2, "比例": 4, "年假": 3, "上海": 1}  # nothing else occurs
    return QueryAnalyzer(Tokenizer(None), Synonyms(None), bm25_idf(frequencies, 10))


def missing_place(analyzer: QueryAnalyzer, question: str) -> float:
    return coverage_features(analyzer.run(question), [], None, Tokenizer(None))["missing_place"]


def test_a_place_the_question_is_about_and_no_document_names_counts(analyzer):
    assert missing_place(analyzer, "深圳的住房公积金缴存比例最高是多少？") == 1.0
    assert missing_place(analyzer, "住房公积金缴存比例，深圳的最高是多少？") == 1.0


def test_the_place_where_the_action_happens_does_not_count(analyzer):
    assert missing_place(analyzer, "我在深圳工作，年假有几天？") == 0.0
    assert missing_place(analyzer, "去深圳出差，住房标准是多少？") == 0.0


def test_a_place_some_document_names_does_not_count(analyzer):
    assert missing_place(analyzer, "上海的住房公积金缴存比例是多少？") == 0.0


def test_a_common_noun_jieba_tags_as_a_name_does_not_count(analyzer):
    # jieba tags 顾客 and 宝宝 nr (a person's name); only places and organisations count.
    assert missing_place(analyzer, "顾客投诉以后多久答复？") == 0.0


def test_a_common_word_jieba_tags_as_a_place_counts_only_where_a_place_would(analyzer):
    # jieba tags 东西 ns; inside the question, not owning what follows, it is no place asked about.
    assert missing_place(analyzer, "买东西金额到多少就必须走招标了？") == 0.0
