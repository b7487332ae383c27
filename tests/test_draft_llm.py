"""Opt-in LLM rewording of draft clauses. A fake OpenAI-compatible endpoint stands in for the paid
API; the last test uses a real endpoint when RAG_LLM_BASE_URL and RAG_LLM_MODEL are set."""

import os
import re

import pytest

from rag.config import Settings
from rag.draft import Drafter, DraftSection
from rag.llm import ClauseRewriter
from rag.service import Assistant

from .conftest import LiveServer
from .fake_llm import openai_app
from .test_draft import all_clauses


def rewording(prompt: str) -> str:
    """Rewords a clause by prefixing 应; to clauses about 客户 it adds a time limit no source states."""
    clause = re.search(r"条款：(.*)$", prompt, re.S).group(1).strip()
    return clause + "，且须在3小时内回访客户。" if "客户" in clause else "应" + clause


@pytest.fixture(scope="module")
def rewriter():
    with LiveServer(openai_app(rewording)) as server:
        settings = Settings(_env_file=None, llm_base_url=f"{server.url}/v1", llm_model="fake-model")
        yield ClauseRewriter.from_settings(settings)


def test_rewritten_clauses_are_kept_and_changed_figures_are_not(corpus_index, rewriter):
    outline = (DraftSection.REQUIREMENTS,)
    plain = Drafter(Assistant(corpus_index)).run("客户服务标准", outline)
    reworded = Drafter(Assistant(corpus_index), rewriter).run("客户服务标准", outline)
    plain_clauses = [c for part in plain.parts for c in part.clauses]
    reworded_clauses = [c for part in reworded.parts for c in part.clauses]
    invented = 0
    for old, new in zip(plain_clauses, reworded_clauses, strict=True):
        if old.options or old.items:  # options and lists stay in the sources' words
            assert new == old
        elif "客户" in old.text:  # the fake added a 3-hour limit: unsupported, so the quote stays
            assert new.text == old.text
            invented += 1
        else:
            assert new.text == "应" + old.text and new.citation_ids == old.citation_ids
    assert invented and len(reworded.notes) == invented


@pytest.mark.real_llm
@pytest.mark.skipif(not os.environ.get("RAG_LLM_BASE_URL"), reason="no real LLM endpoint configured")
def test_real_endpoint_rewrites_only_what_sources_support(corpus_index):
    rewriter = ClauseRewriter.from_settings(Settings())
    draft = Drafter(Assistant(corpus_index), rewriter).run("客户服务标准", (DraftSection.REQUIREMENTS,))
    assert all(c.citation_ids for c in all_clauses(draft))
