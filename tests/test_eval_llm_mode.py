"""`rag eval` in LLM mode, against a fake OpenAI-compatible endpoint: the same metrics as extractive
answers, computed on the LLM's verified sentences, and the share of answers the LLM actually wrote."""

import re
import shutil
from pathlib import Path

import pytest

from rag.evaluation import CONFIGS, Evaluator, available_configs, load_eval_set

from .conftest import CORPUS, ROOT, LiveServer
from .fake_llm import openai_app

INVENTED = "所有员工每年另享二十天带薪假期"


def quoting(prompt: str) -> str:
    """Restates the first sentence of source [1] and adds a statement no source makes."""
    source = re.search(r"\[1\][^\n]*\n(.+?)[。！？]", prompt, re.S)
    return f"{source.group(1).strip()}[1]。{INVENTED}[2]。" if source else "现有文档未涉及。"


@pytest.fixture(scope="module")
def llm_url():
    with LiveServer(openai_app(quoting)) as server:
        yield f"{server.url}/v1"


def test_llm_config_is_offered_only_with_an_endpoint(monkeypatch, llm_url):
    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("RAG_LLM_MODEL", raising=False)
    assert "hybrid-llm" not in available_configs()
    monkeypatch.setenv("RAG_LLM_BASE_URL", llm_url)
    monkeypatch.setenv("RAG_LLM_MODEL", "fake-model")
    assert "hybrid-llm" in available_configs()


def test_llm_answers_are_scored_after_verification(monkeypatch, llm_url, corpus_index, tmp_path: Path):
    monkeypatch.setenv("RAG_LLM_BASE_URL", llm_url)
    monkeypatch.setenv("RAG_LLM_MODEL", "fake-model")
    work = tmp_path / "work"
    shutil.copytree(corpus_index.data_dir, work / CONFIGS["hybrid-llm"].index_key)  # reuse the vectors
    items = [i for i in load_eval_set(ROOT / "eval" / "questions.jsonl", split="dev") if i.key_points][:6]
    evaluator = Evaluator([CORPUS], work)

    result = evaluator.run_config(CONFIGS["hybrid-llm"], items)

    summary = result.summary()
    assert summary["llm_answer_rate"] > 0.5  # the model's restated sentence survives verification
    assert summary["citation_verbatim"] == 1.0  # every citation quotes the indexed text exactly
    assert "answer_precision" in summary and "key_point_recall" in summary
    assert all(i.mode == "llm" for i in result.items if not i.refused)
    extractive = evaluator.run_config(CONFIGS["hybrid"], items).summary()
    assert "llm_answer_rate" not in extractive
