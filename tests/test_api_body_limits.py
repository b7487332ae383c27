"""Callers without a key and bodies over their limit are refused before the body is read, over real HTTP.

These requests announce a body and then send none of it (or only part): a server that read the
body before answering would wait for the rest, and the client's timeout would fail the test.
"""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from rag.config import ApiKey

from .conftest import settings_for

ADMIN, READER = "admin-key-123", "reader-key-456"
KEYS = [ApiKey(key=ADMIN, name="admin", admin=True), ApiKey(key=READER, name="reader", groups=["public"])]
MB = 1024 * 1024


@pytest.fixture
def server(client_for, corpus_index):
    """The demo index behind keys, with small limits: 8 KiB of JSON, uploads of 2 files of 4000 bytes."""
    settings = settings_for(
        corpus_index.data_dir, api_keys=KEYS, max_json_bytes=8192, max_upload_bytes=4000, max_upload_files=2
    )
    return client_for(settings)


def connect(client) -> http.client.HTTPConnection:
    url = urlsplit(str(client.base_url))
    return http.client.HTTPConnection(url.hostname, url.port, timeout=15)


def announce(client, path: str, headers: dict[str, str], sent: bytes = b"") -> tuple[int, dict, dict]:
    """Send the request head and `sent` (a part of the body at most); the status, headers and JSON answer."""
    connection = connect(client)
    connection.putrequest("POST", path)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    if sent:
        connection.send(sent)
    response = connection.getresponse()
    answer = response.status, dict(response.getheaders()), json.loads(response.read())
    connection.close()
    return answer


def chunked(body: bytes, size: int = 4096) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)


JSON = {"Content-Type": "application/json"}
MULTIPART = {"Content-Type": "multipart/form-data; boundary=b0undary"}


@pytest.mark.parametrize("key", [None, "Bearer not-a-key", "Basic YWRtaW46YWRtaW4="])
def test_a_100_mb_json_body_without_a_valid_key_gets_401_unread(server, key):
    headers = JSON | {"Content-Length": str(100 * MB)} | ({"Authorization": key} if key else {})
    status, response_headers, body = announce(server, "/ask", headers)
    assert status == 401 and response_headers["www-authenticate"] == "Bearer"
    assert ("需要 API 密钥" if key is None or key.startswith("Basic") else "API 密钥无效") in body["detail"]


def test_a_chunked_upload_without_a_key_gets_401_unread(server):
    headers = MULTIPART | {"Transfer-Encoding": "chunked", "X-API-Key": "guess"}
    status, _, body = announce(server, "/documents", headers, sent=chunked(b"--b0undary\r\n" + b"x" * 65536))
    assert status == 401 and body["detail"] == "API 密钥无效。"


def test_an_upload_with_a_reader_key_gets_403_unread(server):
    headers = MULTIPART | {"Content-Length": str(300 * MB), "Authorization": f"Bearer {READER}"}
    status, _, body = announce(server, "/documents", headers)
    assert status == 403 and "需要管理员密钥" in body["detail"]


def test_json_over_the_limit_by_content_length_gets_413_unread(server):
    status, _, body = announce(server, "/ask", JSON | {"Content-Length": str(10 * MB), "X-API-Key": READER})
    assert status == 413 and body["detail"] == "请求体过大：10.0 MB，上限 8 KB。"


def test_chunked_json_over_the_limit_gets_413_while_it_streams(server):
    question = json.dumps({"question": "客服" * 3000}).encode()  # 18 KB: too much, the size unannounced
    headers = JSON | {"Transfer-Encoding": "chunked", "Authorization": f"Bearer {READER}"}
    status, _, body = announce(server, "/ask", headers, sent=chunked(question))
    assert status == 413 and body["detail"] == "请求体过大：超过上限 8 KB。"


def test_an_upload_over_the_limit_gets_413_by_length_and_while_it_streams(server):
    limit = 2 * 4000 + MB  # files × bytes per file, plus room for the multipart framing
    by_length = announce(server, "/documents", MULTIPART | {"Content-Length": str(300 * MB), "X-API-Key": ADMIN})
    assert by_length[0] == 413 and by_length[2]["detail"] == f"上传内容过大：300.0 MB，上限 {limit / MB:.1f} MB。"
    body = b"--b0undary\r\n" + b'Content-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n' + b"x" * limit
    headers = MULTIPART | {"Transfer-Encoding": "chunked", "X-API-Key": ADMIN}
    streamed = announce(server, "/documents", headers, sent=chunked(body, 65536))
    assert streamed[0] == 413 and streamed[2]["detail"] == f"请求体过大：超过上限 {limit / MB:.1f} MB。"


def test_requests_within_the_limits_and_public_pages_still_work(server):
    reader = {"X-API-Key": READER}
    question = json.dumps({"question": "客户服务的响应时间标准是多少？"}).encode()
    status, _, body = announce(
        server, "/ask", JSON | reader | {"Transfer-Encoding": "chunked"}, chunked(question, 16) + b"0\r\n\r\n"
    )
    assert status == 200 and body["covered"] is True
    assert server.post("/search", json={"query": "应急预案"}, headers=reader).status_code == 200
    assert server.get("/documents", headers=reader).status_code == 200
    for public in ("/health", "/", "/static/app.js", "/openapi.json", "/docs"):
        assert server.get(public).status_code == 200, public
    assert server.get("/documents").status_code == 401
