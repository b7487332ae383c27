"""A question about one row of a table gets that row, not the whole table."""

from rag.answer import ExtractiveAnswerer
from rag.evidence import ScoredSentence
from rag.models import Chunk

ROWS = "等级：P1 | 响应时间：15分钟\n等级：P2 | 响应时间：30分钟\n等级：P3 | 响应时间：2小时"
TEXT = "故障按等级响应，响应时间自接单起计算。\n" + ROWS
CHUNK = Chunk("c1", "sla", "服务等级协议", ("响应标准",), 0, len(TEXT), TEXT)


def sentence(quote: str, score: float) -> ScoredSentence:
    start = TEXT.index(quote)
    return ScoredSentence(CHUNK, 0, start, start + len(quote), quote, quote, 0.8, score)


def quotes(selected: list[ScoredSentence]) -> list[str]:
    return [s.quote for s in selected]


def test_other_rows_of_the_table_are_left_out():
    best = sentence("等级：P2 | 响应时间：30分钟", 1.0)
    rows = [sentence("等级：P1 | 响应时间：15分钟", 0.75), sentence("等级：P3 | 响应时间：2小时", 0.75)]
    assert quotes(ExtractiveAnswerer().select([best, *rows])) == ["等级：P2 | 响应时间：30分钟"]


def test_a_prose_sentence_of_the_passage_still_joins_a_row():
    best = sentence("等级：P2 | 响应时间：30分钟", 1.0)
    prose = sentence("故障按等级响应，响应时间自接单起计算。", 0.75)
    assert quotes(ExtractiveAnswerer().select([best, prose])) == [prose.quote, best.quote]


def test_rows_stay_together_when_the_best_sentence_is_prose():
    best = sentence("故障按等级响应，响应时间自接单起计算。", 1.0)
    row = sentence("等级：P1 | 响应时间：15分钟", 0.75)
    assert quotes(ExtractiveAnswerer().select([best, row])) == [best.quote, row.quote]
