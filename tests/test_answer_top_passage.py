"""The answer leads with the passage the ranker put first, not with the most lexical sentence anywhere."""

from rag.answer import ExtractiveAnswerer
from rag.evidence import ScoredSentence
from rag.models import Chunk

FIRST = "第二条 产假申请应至少提前30天提交。产假期间工资照发。"
SECOND = "第九条 员工申请休假，应填写休假申请表。"
TOP = Chunk("c1", "leave", "休假办法", ("第二条",), 0, len(FIRST), FIRST)
OTHER = Chunk("c2", "forms", "表单说明", ("第九条",), 0, len(SECOND), SECOND)


def sentence(chunk: Chunk, rank: int, quote: str, score: float, coverage: float = 0.8) -> ScoredSentence:
    start = chunk.text.index(quote)
    return ScoredSentence(chunk, rank, start, start + len(quote), quote, quote, coverage, score)


def quotes(selected: list[ScoredSentence]) -> list[str]:
    return [s.quote for s in selected]


def by_score(*sentences: ScoredSentence) -> list[ScoredSentence]:
    return sorted(sentences, key=lambda s: -s.score)


def test_the_top_ranked_passage_leads_though_another_sentence_scores_higher():
    wordy = sentence(OTHER, 1, "第九条 员工申请休假，应填写休假申请表。", 1.0)
    fact = sentence(TOP, 0, "第二条 产假申请应至少提前30天提交。", 0.7)
    assert quotes(ExtractiveAnswerer().select(by_score(wordy, fact))) == [fact.quote, wordy.quote]


def test_another_passage_joins_only_near_the_best_score_overall():
    fact = sentence(TOP, 0, "第二条 产假申请应至少提前30天提交。", 0.9)
    near = sentence(OTHER, 1, "第九条 员工申请休假，应填写休假申请表。", 0.7)
    assert quotes(ExtractiveAnswerer().select(by_score(fact, near))) == [fact.quote]
    strong = sentence(OTHER, 1, "第九条 员工申请休假，应填写休假申请表。", 1.0)
    assert quotes(ExtractiveAnswerer().select(by_score(fact, strong))) == [fact.quote, strong.quote]


def test_another_passage_must_cover_the_question():
    fact = sentence(TOP, 0, "第二条 产假申请应至少提前30天提交。", 1.0)
    off_topic = sentence(OTHER, 1, "第九条 员工申请休假，应填写休假申请表。", 0.95, coverage=0.1)
    assert quotes(ExtractiveAnswerer().select(by_score(fact, off_topic))) == [fact.quote]


def test_the_top_passage_keeps_its_sentences_on_the_relative_floor_alone():
    fact = sentence(TOP, 0, "第二条 产假申请应至少提前30天提交。", 1.0)
    pay = sentence(TOP, 0, "产假期间工资照发。", 0.6, coverage=0.1)
    low = sentence(TOP, 0, "产假期间工资照发。", 0.5, coverage=0.9)
    assert quotes(ExtractiveAnswerer().select([fact, pay])) == [fact.quote, pay.quote]
    assert quotes(ExtractiveAnswerer().select([fact, low])) == [fact.quote]
