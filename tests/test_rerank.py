"""The reranker: signals on scales that mean the same for any question, weights from a fitted file."""

import json
from pathlib import Path

import pytest

from rag.evidence import ScoredSentence
from rag.models import Chunk, RetrievedChunk
from rag.rerank import FEATURES, RankerModel, Reranker, rank_features
from rag.service import Assistant
from tests.conftest import settings_for


def chunk(chunk_id: str) -> Chunk:
    return Chunk(chunk_id, "doc", "标题", (), 0, 4, "正文内容")


def hit(chunk_id: str, dense: float | None, bm25: float | None) -> RetrievedChunk:
    return RetrievedChunk(chunk(chunk_id), 0.0, dense, bm25)


def sentence(chunk_id: str, score: float, coverage: float) -> ScoredSentence:
    return ScoredSentence(chunk(chunk_id), 0, 0, 4, "正文内容", "正文内容", coverage, score)


def test_each_retrievers_scores_are_scaled_between_its_weakest_and_strongest_candidate():
    rows = rank_features([hit("a", 0.90, None), hit("b", 0.86, 6.0), hit("c", 0.80, 2.0)], [])
    assert [r["dense_share"] for r in rows] == pytest.approx([1.0, 0.6, 0.0])
    assert [r["bm25_share"] for r in rows] == [0.0, 1.0, 0.0]  # a: not among BM25's hits at all
    assert [r["fused_reciprocal_rank"] for r in rows] == pytest.approx([1.0, 1 / 2, 1 / 3])


def test_a_chunk_takes_its_best_sentence_and_one_without_any_has_no_evidence():
    sentences = [sentence("b", 0.9, 0.8), sentence("b", 0.4, 0.3)]  # best first, as the scorer returns them
    rows = rank_features([hit("a", 0.9, 1.0), hit("b", 0.8, 1.0)], sentences)
    assert (rows[0]["evidence_score"], rows[0]["evidence_coverage"]) == (0.0, 0.0)
    assert (rows[1]["evidence_score"], rows[1]["evidence_coverage"]) == (0.9, 0.8)


def test_a_lone_candidate_holds_the_full_share():
    assert rank_features([hit("a", 0.7, 3.0)], [])[0] | {"fused_reciprocal_rank": 0} == {
        "dense_share": 1.0,
        "bm25_share": 1.0,
        "fused_reciprocal_rank": 0,
        "evidence_score": 0.0,
        "evidence_coverage": 0.0,
    }


def test_the_weights_decide_the_order():
    retrieved = [hit("dense-first", 0.95, 1.0), hit("bm25-first", 0.80, 9.0)]
    by_bm25 = Reranker(RankerModel(dict.fromkeys(FEATURES, 0.0) | {"bm25_share": 1.0}))
    by_dense = Reranker(RankerModel(dict.fromkeys(FEATURES, 0.0) | {"dense_share": 1.0}))
    assert [h.chunk.chunk_id for h in by_bm25.run(retrieved, [])] == ["bm25-first", "dense-first"]
    assert [h.chunk.chunk_id for h in by_dense.run(retrieved, [])] == ["dense-first", "bm25-first"]


def test_the_bundled_model_was_fitted_and_no_signal_counts_against_a_chunk():
    weights = RankerModel.load().weights
    assert set(weights) == set(FEATURES)
    assert all(w >= 0 for w in weights.values()), weights  # more of any signal never makes a chunk worse
    assert sum(w > 0 for w in weights.values()) >= 3, weights  # fitted, not all but one signal dropped


def test_a_model_missing_a_signal_is_refused_with_the_valid_names(tmp_path: Path):
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps({"weights": {"dense_share": 1.0}}), encoding="utf-8")
    with pytest.raises(ValueError, match="evidence_coverage") as error:
        RankerModel.load(path)
    assert "valid features" in str(error.value)


def test_a_companys_own_model_file_orders_the_retrieval(corpus_index, tmp_path: Path):
    """RAG_RANKER_MODEL replaces the bundled weights: ranked by BM25 alone, the top hit is BM25's best."""
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps({"weights": dict.fromkeys(FEATURES, 0.0) | {"bm25_share": 1.0}}), encoding="utf-8")
    assistant = Assistant(settings_for(corpus_index.data_dir, ranker_model=path))
    hits = assistant.search("试用期员工的请假审批流程")
    assert hits[0].bm25_score is not None
    assert hits[0].bm25_score == max(h.bm25_score or 0.0 for h in hits)
