"""Text no pipeline stage can use (lone surrogates, NUL and other C0 controls) is refused on the way in, over real HTTP.

The bodies are written by hand: a JSON encoder refuses to emit a lone surrogate, a client sending
`"\\ud800"` does not.
"""

import io

import docx
import pytest

from rag.config import ApiKey

from .conftest import settings_for

ADMIN = "admin-key-123"


@pytest.fixture
def client(client_for, corpus_index):
    return client_for(corpus_index)


def post_raw(client, path: str, body: str):
    """`body` is JSON text as sent on the wire, escapes and all."""
    return client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})


BAD_BODIES = [
    ("/ask", r'{"question": "\ud800"}', "question"),
    ("/ask", r'{"question": "客服\ud800多久响应", "stream": true}', "question"),
    ("/ask", r'{"question": "应急\u0000预案"}', "question"),
    ("/search", r'{"query": "\udfff应急预案"}', "query"),
    ("/search", r'{"query": "应急\u001b[31m预案"}', "query"),
    ("/draft", r'{"topic": "\ud800"}', "topic"),
    ("/draft", r'{"topic": "客户服务标准", "outline": ["目的\ud800"]}', "outline.0"),
    ("/draft", r'{"topic": "客户\u0007服务标准", "format": "docx"}', "topic"),
    ("/draft", r'{"topic": "客户服务标准\u0000", "stream": true}', "topic"),
    ("/handbook", r'{"title": "\ud800", "topics": ["应急预案"]}', "title"),
    ("/handbook", r'{"title": "手册", "topics": ["应急预案", "\ud83d"]}', "topics.1"),
    ("/handbook", r'{"title": "新员工\u000b手册", "topics": ["应急预案"], "format": "docx"}', "title"),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD_BODIES)
def test_unusable_characters_get_422_naming_the_field(client, path, body, field):
    response = post_raw(client, path, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("请求格式不正确") and f"{field}:" in detail
    assert "无法处理的字符" in detail


def test_the_message_names_the_character(client):
    assert "U+0007" in post_raw(client, "/draft", r'{"topic": "客户\u0007服务标准"}').json()["detail"]


def test_tabs_and_newlines_are_still_text(client):
    response = post_raw(client, "/ask", r'{"question": "客户服务的\t响应时间\r\n标准是多少？"}')
    assert response.status_code == 200 and response.json()["covered"] is True


def multipart(boundary: str, version: str | None, filename: str, content: bytes) -> bytes:
    parts = [f'Content-Disposition: form-data; name="version"\r\n\r\n{version}'.encode()] if version else []
    parts.append(f'Content-Disposition: form-data; name="files"; filename="{filename}"\r\n\r\n'.encode() + content)
    return b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()


def test_upload_form_fields_refuse_them_too(client_for, tmp_path):
    client = client_for(settings_for(tmp_path / "index", api_keys=[ApiKey(key=ADMIN, admin=True)]))
    auth = {"Authorization": f"Bearer {ADMIN}"}
    policy = "客服规范\n客服人员应在两小时内响应客户咨询。\n".encode()
    nul = client.post("/documents", files=[("files", ("客服.txt", policy))], data={"version": "V1\x00"}, headers=auth)
    assert nul.status_code == 422 and "version:" in nul.json()["detail"]
    # A multipart body declared as UTF-7 decodes "+2AA-" to a lone surrogate, in a field or a file name.
    headers = auth | {"Content-Type": "multipart/form-data; boundary=b0undary; charset=utf-7"}
    surrogate = client.post("/documents", content=multipart("b0undary", "+2AA-", "a.txt", policy), headers=headers)
    assert surrogate.status_code == 422 and "version:" in surrogate.json()["detail"]
    named = client.post("/documents", content=multipart("b0undary", None, "+2AA-kefu.txt", policy), headers=headers)
    assert named.status_code == 200, named.text
    assert named.json()["added"] == ["kefu"]
    assert client.get("/documents/kefu", headers=auth).json()["source"] == "upload:kefu.txt"


def test_control_characters_in_a_document_do_not_break_its_docx_draft(client_for, tmp_path):
    """Item 1 keeps them out of requests; a document may still carry them into a title or a quote."""
    client = client_for(settings_for(tmp_path / "index", api_keys=[ApiKey(key=ADMIN, admin=True)]))
    auth = {"Authorization": f"Bearer {ADMIN}"}
    text = (
        "仓储\x0c规范\n一、温度\n仓库温度\x01必须保持在18至25摄氏度之间。\n"
        "二、湿度\n仓库湿度必须保持在百分之四十至六十之间。\n"
    )
    uploaded = client.post("/documents", files=[("files", ("仓储.txt", text.encode()))], headers=auth)
    assert uploaded.status_code == 200 and uploaded.json()["added"] == ["仓储"]
    response = client.post("/draft", json={"topic": "仓库温度", "format": "docx"}, headers=auth)
    assert response.status_code == 200, response.text
    paragraphs = [p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs]
    sources = " ".join(paragraphs[paragraphs.index("参考来源") :])
    assert "仓库温度必须保持在18至25摄氏度之间" in sources and "《仓储规范》" in sources
    assert not any(ch in " ".join(paragraphs) for ch in "\x00\x01\x0c")
    handbook = client.post(
        "/handbook", json={"title": "仓储手册", "topics": ["仓库温度"], "format": "docx"}, headers=auth
    )
    assert handbook.status_code == 200 and docx.Document(io.BytesIO(handbook.content)).paragraphs
