"""Relative score fusion: each retriever's confidence (how far its hits trail its best) carries over."""

from rag.retrieve import Ranked, relative_score_fusion


def ranking(*pairs: tuple[str, float]) -> list[Ranked]:
    return [Ranked(chunk_id, score) for chunk_id, score in pairs]


def test_a_clear_dense_winner_is_not_overturned_by_a_flat_bm25_list():
    dense = ranking(("a", 0.93), ("b", 0.85), ("c", 0.84))
    bm25 = ranking(("b", 2.1), ("c", 2.0), ("a", 1.9))
    assert relative_score_fusion([dense, bm25], [1.0, 0.25])[0][0] == "a"


def test_the_weight_decides_between_two_confident_retrievers():
    dense = ranking(("a", 0.95), ("b", 0.80))
    bm25 = ranking(("b", 9.0), ("a", 1.0))
    assert relative_score_fusion([dense, bm25], [1.0, 0.25])[0][0] == "a"
    assert relative_score_fusion([dense, bm25], [1.0, 2.0])[0][0] == "b"


def test_hits_of_both_retrievers_add_up():
    fused = dict(relative_score_fusion([ranking(("a", 1.0), ("b", 0.0)), ranking(("a", 3.0), ("c", 1.0))], [1.0, 0.5]))
    assert fused == {"a": 1.5, "b": 0.0, "c": 0.0}


def test_an_empty_ranking_is_ignored_and_a_single_hit_counts_fully():
    assert relative_score_fusion([[], ranking(("x", 4.2))], [1.0, 0.25]) == [("x", 0.25)]
