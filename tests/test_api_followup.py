"""Follow-up questions over real HTTP: `/ask` with `history` answers the completed question."""

import json

import pytest

from .test_api import read_events
from .test_cli import rag

SERVICE = "客户服务的响应时间标准是多少？"


@pytest.fixture
def client(client_for, corpus_index):
    return client_for(corpus_index)


def ask(client, question: str, history: list[str] | None = None) -> dict:
    payload = {"question": question} | ({"history": history} if history is not None else {})
    response = client.post("/ask", json=payload)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_follow_up_is_answered_about_its_new_subject(client):
    body = ask(client, "那IT故障呢？", [SERVICE])
    assert body["question"] == "那IT故障呢？"
    resolved = body["resolved_question"]
    assert "IT故障" in resolved and "响应时间" in resolved  # the subject replaced, the rest carried over
    assert body["covered"]
    assert any("IT" in c["quote"] and "响应时间" in c["quote"] for c in body["citations"])

    alone = ask(client, "那IT故障呢？")
    assert alone["resolved_question"] == "那IT故障呢？"


def test_the_history_decides_what_is_retrieved(client):
    def about_service(body: dict) -> list[bool]:
        return ["客户服务" in c["quote"] or "客户服务" in c["section"] for c in body["citations"]]

    follow_up = ask(client, "那解决时间呢？", [SERVICE])
    assert "客户服务" in follow_up["resolved_question"]
    assert follow_up["citations"] and all(about_service(follow_up))

    alone = ask(client, "那解决时间呢？")
    assert alone["resolved_question"] == "那解决时间呢？"
    assert not all(about_service(alone))  # without the history, 解决时间 of anything


def test_the_stream_reports_the_resolved_question(client):
    events = read_events(client, "/ask", {"question": "那IT故障呢？", "history": [SERVICE], "stream": True})
    name, done = events[-1]
    assert name == "done" and "IT故障" in done["resolved_question"] and done["question"] == "那IT故障呢？"


def test_history_is_bounded_and_validated(client, corpus_index):
    too_long = client.post("/ask", json={"question": "那IT故障呢？", "history": [SERVICE] * 11})
    assert too_long.status_code == 422 and "对话历史过长" in too_long.json()["detail"]
    assert corpus_index.max_history_turns == 10

    blank = client.post("/ask", json={"question": "那IT故障呢？", "history": [SERVICE, "  "]})
    assert blank.status_code == 422 and "对话历史第 2 条" in blank.json()["detail"]

    not_a_list = client.post("/ask", json={"question": "那IT故障呢？", "history": SERVICE})
    assert not_a_list.status_code == 422


def test_the_cli_takes_history(corpus_index):
    result = rag("ask", "那IT故障呢？", "--history", SERVICE, "--json", data_dir=corpus_index.data_dir)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["question"] == "那IT故障呢？" and "IT故障" in body["resolved_question"]

    shown = rag("ask", "那IT故障呢？", "--history", SERVICE, data_dir=corpus_index.data_dir)
    assert f"理解为：{body['resolved_question']}" in shown.stdout
