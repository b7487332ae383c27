"""Opt-in LLM answers. A fake OpenAI-compatible endpoint stands in for the paid API; the last test
runs against a real endpoint when RAG_LLM_BASE_URL and RAG_LLM_MODEL are set."""

import os
import re

import pytest

from rag.config import AnswerMode, Settings
from rag.errors import LLMError
from rag.service import Assistant

from .conftest import LiveServer
from .fake_llm import openai_app

SCRIPTS: dict[str, str] = {}


def scripted(prompt: str) -> str:
    """Answers with the script registered for the question found in the prompt."""
    return SCRIPTS[re.search(r"问题：(.*)$", prompt, re.S).group(1).strip()]


@pytest.fixture(scope="module")
def llm_url():
    with LiveServer(openai_app(scripted)) as server:
        yield f"{server.url}/v1"


def assistant_with(corpus_index, base_url: str) -> Assistant:
    settings = corpus_index.model_copy(
        update={"llm_base_url": base_url, "llm_model": "fake-model", "answer_mode": AnswerMode.LLM}
    )
    return Assistant(settings)


def test_supported_sentences_are_kept_and_invented_ones_dropped(corpus_index, llm_url):
    question = "IT系统故障的响应时间和恢复时间是多少？"
    SCRIPTS[question] = (
        "在IT服务管理中，系统故障的响应时间为15分钟，恢复时间为1小时[1]。员工每年享有十五天带薪年假[1]。"
    )
    answer = assistant_with(corpus_index, llm_url).ask(question)
    assert answer.mode == "llm" and answer.covered
    assert [s.text for s in answer.sentences] == ["在IT服务管理中，系统故障的响应时间为15分钟，恢复时间为1小时。"]
    assert "15分钟" in answer.citations[0].quote
    assert any("已删除 1 句" in note for note in answer.notes)


def test_a_changed_figure_is_dropped(corpus_index, llm_url):
    question = "客户服务领域规定的响应时间是多少？"
    SCRIPTS[question] = "客户服务领域规定响应时间为5小时内[1]。"
    answer = assistant_with(corpus_index, llm_url).ask(question)
    # Nothing survives verification: the extractive answer is returned instead, and says so.
    assert answer.mode == "extractive"
    assert any("无法在引用资料中核实" in note for note in answer.notes)
    assert all("5小时" not in s.text for s in answer.sentences)


def test_model_saying_not_covered_is_a_refusal(corpus_index, llm_url):
    question = "应急预案包括哪些内容？"
    SCRIPTS[question] = "现有文档未涉及。"
    answer = assistant_with(corpus_index, llm_url).ask(question)
    assert not answer.covered and answer.mode == "llm"


def test_unreachable_endpoint_is_a_clear_error(corpus_index):
    assistant = assistant_with(corpus_index, "http://127.0.0.1:9/v1")
    with pytest.raises(LLMError, match="大模型接口调用失败"):
        assistant.ask("应急预案包括哪些内容？")


def test_llm_mode_without_configuration_is_a_clear_error(corpus_index):
    with pytest.raises(LLMError, match="RAG_LLM_BASE_URL"):
        Assistant(corpus_index).ask("应急预案包括哪些内容？", mode=AnswerMode.LLM)


@pytest.mark.real_llm
@pytest.mark.skipif(not os.environ.get("RAG_LLM_BASE_URL"), reason="no real LLM endpoint configured")
def test_real_endpoint_answers_with_verified_citations(corpus_index):
    real = Settings()
    settings = corpus_index.model_copy(
        update={
            "llm_base_url": real.llm_base_url,
            "llm_model": real.llm_model,
            "llm_api_key": real.llm_api_key,
            "answer_mode": AnswerMode.LLM,
        }
    )
    answer = Assistant(settings).ask("客户服务的响应时间标准是多少？")
    assert answer.covered and answer.citations
    assert all(s.citation_ids for s in answer.sentences)
