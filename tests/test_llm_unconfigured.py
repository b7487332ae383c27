"""`mode: llm` on a service with no LLM configured is the caller's 409 with the fix, not a 502, over real HTTP."""

import pytest

from .test_api import read_events


@pytest.fixture
def client(client_for, corpus_index):
    assert not corpus_index.llm_configured
    return client_for(corpus_index)


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/ask", {"question": "客户服务的响应时间标准是多少？", "mode": "llm"}),
        ("/ask", {"question": "公司年假有几天？", "mode": "llm"}),  # declined anyway: still told
        ("/ask", {"question": "應急預案包括哪些內容？", "mode": "llm", "stream": True}),
        ("/draft", {"topic": "客户服务标准", "mode": "llm"}),
        ("/draft", {"topic": "运营交付标准", "mode": "llm", "stream": True}),
        ("/draft", {"topic": "应急预案管理规范", "mode": "llm", "format": "docx"}),
    ],
)
def test_llm_mode_without_an_llm_is_a_409_naming_the_settings(client, path, payload):
    response = client.post(path, json=payload)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert "未配置大模型" in detail and "RAG_LLM_BASE_URL" in detail and "RAG_LLM_MODEL" in detail


def test_extractive_mode_is_unaffected(client):
    assert client.post("/ask", json={"question": "客户服务的响应时间标准是多少？"}).json()["covered"] is True
    events = read_events(client, "/draft", {"topic": "运营交付标准", "outline": ["目的"], "stream": True})
    assert [kind for kind, _ in events] == ["section", "done"]
