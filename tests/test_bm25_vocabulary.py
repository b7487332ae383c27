"""The BM25 vocabulary does not grow with replacements: a compaction drops the terms only retired chunks held,
and the index still scores as a fresh build of the live rows."""

import numpy as np
import pytest

from rag.chunkstore import StoredChunk
from rag.lexical import LexicalIndex
from rag.models import Chunk


def version(row: int, n: int) -> StoredChunk:
    """One document's chunk in its n-th revision: shared words plus a word of that revision only."""
    return StoredChunk(row, Chunk(f"c{row}", "d", "", (), 0, 0, ""), ["入库", "复核", f"第{n}版"])


def everything(index: LexicalIndex):
    return index.scope(np.ones(index.size, dtype=bool))


def test_replacing_a_chunk_many_times_keeps_the_vocabulary_small():
    index = LexicalIndex.build([version(0, 0)])
    for n in range(1, 200):
        index.apply([version(n, n)], retired=[n - 1])

    assert len(index.vocab) < 10  # 2 shared words and the revisions since the last compaction
    assert "第0版" not in index.vocab and "第199版" in index.vocab


def test_after_compaction_scores_match_a_fresh_build():
    index = LexicalIndex.build([version(0, 0), StoredChunk(1, Chunk("keep", "k", "", (), 0, 0, ""), ["盘点", "复核"])])
    for n in range(2, 60):
        index.apply([version(n, n)], retired=[n - 1 if n > 2 else 0])
    fresh = LexicalIndex.build(
        [StoredChunk(1, Chunk("keep", "k", "", (), 0, 0, ""), ["盘点", "复核"]), version(59, 59)]
    )

    for query in (["复核"], ["盘点", "入库"], ["第59版", "复核"], ["第3版"]):
        applied, built = dict(index.top(query, everything(index), 10)), dict(fresh.top(query, everything(fresh), 10))
        assert applied.keys() == built.keys()
        assert all(applied[c] == pytest.approx(built[c]) for c in built)
    assert index.frequencies(everything(index)) == fresh.frequencies(everything(fresh))
