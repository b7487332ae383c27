"""The eval harness's own arithmetic and input checks, on hand-made data."""

import json
import math

import pytest

from rag.errors import RagError
from rag.evaluation import (
    ConfigResult,
    EvalItem,
    EvalReport,
    ItemResult,
    Label,
    check_gates,
    load_eval_set,
    retrieval_scores,
)
from rag.models import Chunk


def chunk(cid: str, doc: str, text: str) -> Chunk:
    return Chunk(cid, doc, "标题", (), 0, len(text), text)


RELEVANT = chunk("a", "002_x", "规定响应时间为2小时内。")
OTHER = chunk("b", "001_y", "流程规范是基础。")
LABELS = (Label(quote="响应时间为2小时内", doc="002"),)


def test_relevant_first_scores_perfectly():
    scores = retrieval_scores([RELEVANT, OTHER], LABELS, relevant_total=1)
    assert scores == {"hit@1": 1.0, "hit@5": 1.0, "recall@10": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0}


def test_relevant_second_halves_mrr_and_discounts_ndcg():
    scores = retrieval_scores([OTHER, RELEVANT], LABELS, relevant_total=1)
    assert scores["hit@1"] == 0.0 and scores["hit@5"] == 1.0
    assert scores["mrr@10"] == 0.5
    assert scores["ndcg@10"] == pytest.approx(1 / math.log2(3))


def test_labels_match_across_scripts_and_document_prefix():
    traditional = chunk("c", "004_z", "制定應(yīng)急預案,明確責任主體。")
    assert Label(quote="制定应急预案", doc="004").matches(traditional)
    assert not Label(quote="制定应急预案", doc="002").matches(traditional)


def test_nothing_relevant_retrieved_scores_zero():
    scores = retrieval_scores([OTHER], LABELS, relevant_total=1)
    assert scores["mrr@10"] == 0.0 and scores["recall@10"] == 0.0


def write(tmp_path, rows):
    path = tmp_path / "eval.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_malformed_line_is_reported_with_its_number(tmp_path):
    path = write(tmp_path, [{"id": "a", "question": "q", "kind": "factual", "relevant": [{"quote": "x"}]}, {"id": "b"}])
    with pytest.raises(RagError, match=r"eval.jsonl:2"):
        load_eval_set(path)


def test_answerable_item_needs_labels(tmp_path):
    path = write(tmp_path, [{"id": "a", "question": "q", "kind": "factual", "relevant": []}])
    with pytest.raises(RagError, match="缺少 relevant"):
        load_eval_set(path)


def test_refusal_metrics_and_gates():
    items = [
        ItemResult("u1", "unanswerable", refused=True, expected_refusal=True, latency_ms=10),
        ItemResult("u2", "unanswerable", refused=False, expected_refusal=True, latency_ms=10),
        ItemResult("a1", "factual", refused=True, expected_refusal=False, latency_ms=30, scores={"hit@5": 1.0}),
        ItemResult("a2", "factual", refused=False, expected_refusal=False, latency_ms=20, scores={"hit@5": 0.0}),
    ]
    report = EvalReport([ConfigResult("hybrid", 1.0, items, [])])
    summary = report.default.summary()
    assert summary["refusal_precision"] == 0.5 and summary["refusal_recall"] == 0.5
    assert summary["hit@5"] == 0.5
    failures = check_gates(report, {"overall": {"hit@5": 0.4, "refusal_recall": 0.9}, "factual": {"hit@5": 0.6}})
    assert failures == ["overall refusal_recall = 0.500 < 0.9", "factual hit@5 = 0.500 < 0.6"]


def test_the_shipped_eval_set_is_well_formed():
    from .conftest import ROOT

    items = load_eval_set(ROOT / "eval" / "questions.jsonl")
    assert len(items) >= 120
    kinds = {}
    for item in items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    assert all(count >= 10 for count in kinds.values()) and len(kinds) == 9
    assert isinstance(items[0], EvalItem)
