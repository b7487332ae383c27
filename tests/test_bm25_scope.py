"""BM25 from cached tokens: over everything it scores as bm25s does (what llama-index's BM25Retriever ran);
within a reader's scope it depends only on what that reader may read; changes applied to a loaded index
score as a fresh build of the same rows."""

import random

import bm25s
import numpy as np
import pytest

from rag.access import Access
from rag.chunkstore import StoredChunk
from rag.ingest import IngestOptions, Ingestor
from rag.lexical import LexicalIndex
from rag.models import Chunk
from rag.service import Assistant, Engine

from .conftest import settings_for

WORDS = [f"词{i}" for i in range(60)]
STAFF = Access("staff", frozenset({"public"}), admin=False)
PUBLIC = {
    "service.txt": "客服规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n"
    "二、回访\n服务结束后三天内完成满意度回访。\n",
    "storage.txt": "仓储规范\n一、温度\n仓库温度必须保持在十八至二十五摄氏度之间。\n"
    "二、盘点\n仓库每月盘点一次，盘点结果报客服主管。\n",
}
HR_ONLY = (
    "薪酬规定\n一、客服津贴\n客服人员每月发放客服津贴，响应客户咨询及时者另计奖金。\n"
    "二、仓库补贴\n仓库人员发放温度补贴。\n"
)
QUERY = ["客服", "响应", "客户", "仓库", "温度", "盘点"]


def stored(row: int, tokens: list[str], doc_id: str = "d") -> StoredChunk:
    return StoredChunk(row, Chunk(f"c{row}", doc_id, "", (), 0, 0, ""), tokens)


def corpus(rng: random.Random, size: int, first: int = 0) -> list[StoredChunk]:
    return [stored(first + i, [rng.choice(WORDS) for _ in range(rng.randint(1, 30))]) for i in range(size)]


def test_over_every_chunk_the_scores_are_bm25s_scores():
    rng = random.Random(7)
    rows = corpus(rng, 300)
    reference = bm25s.BM25()  # the defaults llama-index's BM25Retriever used
    reference.index(bm25s.tokenize([" ".join(r.tokens) for r in rows], token_pattern=r"(?u)\S+", show_progress=False))
    lexical = LexicalIndex.build(rows)
    everything = lexical.scope(np.ones(lexical.size, dtype=bool))
    for _ in range(20):
        query = rng.sample(WORDS, 5)
        expected = reference.get_scores(query)
        assert np.allclose(lexical.scores(query, everything), expected, rtol=1e-5, atol=1e-6)


def test_changes_applied_score_as_a_fresh_build_of_the_rows_left():
    rng = random.Random(11)
    rows = corpus(rng, 200)
    lexical, retired = LexicalIndex.build(rows[:50]), set()
    for start in range(50, 200, 10):  # one small write at a time, as ingests arrive
        gone = [r.row for r in rows[start - 50 : start - 42]]
        lexical.apply(rows[start : start + 10], retired=gone)
        retired.update(gone)
    assert len(lexical.segments) < 8  # merged as they came
    left = [r for r in rows if r.row not in retired]
    fresh = LexicalIndex.build(left)
    query = rng.sample(WORDS, 6)
    applied = dict(lexical.top(query, lexical.scope(np.ones(lexical.size, dtype=bool)), k=500))
    built = dict(fresh.top(query, fresh.scope(np.ones(fresh.size, dtype=bool)), k=500))
    assert applied and applied.keys() == built.keys()
    assert all(applied[c] == pytest.approx(built[c]) for c in built)


def _index(root, with_hr: bool) -> Engine:
    settings = settings_for(root / "index", retrieval_mode="bm25")
    root.mkdir(parents=True, exist_ok=True)
    for name, text in PUBLIC.items():
        (root / name).write_text(text, encoding="utf-8")
    Ingestor(settings).run([root / name for name in PUBLIC])
    if with_hr:
        (root / "salary.txt").write_text(HR_ONLY, encoding="utf-8")
        Ingestor(settings).run([root / "salary.txt"], options=IngestOptions(groups=("hr",)))
    return Engine(settings)


def test_a_staff_keys_bm25_scores_do_not_change_when_an_hr_only_document_is_indexed(tmp_path):
    without, with_hr = _index(tmp_path / "a", False), _index(tmp_path / "b", True)
    scores = []
    for engine in (without, with_hr):
        staff = Assistant(engine=engine, access=STAFF)
        analysis = staff.analyze("客服多久响应客户？仓库温度和盘点有什么要求？")
        scores.append({r.chunk_id: r.score for r in engine.retriever.bm25(analysis, staff.readable)})
    assert scores[0] and scores[0] == scores[1]
    # Unfiltered, the hr document takes part and moves the public chunks' scores: the test can fail.
    analysis = Assistant(engine=with_hr).analyze("客服响应客户")
    everyone = {r.chunk_id: r.score for r in with_hr.retriever.bm25(analysis)}
    readable = with_hr.index.readable_by(STAFF.groups)
    scoped = {r.chunk_id: r.score for r in with_hr.retriever.bm25(analysis, readable)}
    assert any(everyone[c] != pytest.approx(s) for c, s in scoped.items())


def test_a_scope_by_groups_is_the_scope_of_the_same_documents_by_id(tmp_path):
    engine = _index(tmp_path, True)
    readable = engine.index.readable_by(STAFF.groups)
    by_groups, by_ids = engine.index.scope(readable), engine.index._scope_of(frozenset(readable))
    public_chunks = sum(len(engine.index.manifest.documents[d].chunk_ids) for d in ("service", "storage"))
    assert readable == {"service", "storage"} and by_groups.count == by_ids.count == public_chunks
    assert np.array_equal(by_groups.mask, by_ids.mask)
