"""Document management and permissions over real HTTP against a running server, as a new user would try them."""

import threading

import pytest

from rag.config import ApiKey

from .conftest import settings_for
from .files import write_docx, write_pdf

ADMIN, READER, HR = "admin-key-123", "reader-key-456", "hr-key-789"
KEYS = [
    ApiKey(key=ADMIN, name="admin", admin=True),
    ApiKey(key=READER, name="reader", groups=["public"]),
    ApiKey(key=HR, name="hr", groups=["public", "hr"]),
]
SECRET = "年终奖金按绩效系数发放，绩效系数最高为三倍月薪。"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def server(client_for, tmp_path):
    return client_for(settings_for(tmp_path / "index", api_keys=KEYS))


def upload(client, files: dict[str, bytes], key: str = ADMIN, **form: str):
    parts = [("files", (name, data)) for name, data in files.items()]
    return client.post("/documents", files=parts, data=form, headers=auth(key) if key else {})


def cited(response) -> str:
    assert response.status_code == 200, response.text
    return " ".join(c["quote"] for c in response.json()["citations"])


def test_upload_ask_replace_and_delete_end_to_end(server, tmp_path):
    gbk = "仓储规范\n一、温度\n仓库温度必须保持在18至25摄氏度之间。\n".encode("gbk")
    docx = write_docx(tmp_path / "客服.docx", "客服规范", [("一、响应时间", ["客服人员应在两小时内响应客户咨询。"])])
    pdf = write_pdf(tmp_path / "巡检.pdf", ["机房巡检规范", "一、频次", "机房每四小时巡检一次并填写巡检记录。"])

    response = upload(server, {"仓储.txt": gbk, "客服.docx": docx.read_bytes(), "巡检.pdf": pdf.read_bytes()})

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(body["added"]) == sorted(["仓储", "巡检", "客服"]) and not body["failed"]
    assert {d["doc_id"]: d["format"] for d in body["documents"]} == {"仓储": "txt", "客服": "docx", "巡检": "pdf"}
    reader = auth(READER)
    for question, quote in [
        ("仓库温度要保持在多少度？", "18至25摄氏度"),
        ("客服多久必须响应？", "两小时内"),
        ("机房多久巡检一次？", "每四小时"),
    ]:
        answer = server.post("/ask", json={"question": question}, headers=reader)
        assert quote in cited(answer)
        citation = answer.json()["citations"][0]
        text = server.get(f"/documents/{citation['doc_id']}/text", headers=reader).json()["text"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]

    sections = [("一、响应时间", ["客服人员应在三十分钟内响应客户咨询。"])]
    new_docx = write_docx(tmp_path / "客服.docx", "客服规范", sections)
    replaced = upload(server, {"客服.docx": new_docx.read_bytes()}, version="V2.0", effective_date="2025-03-01")
    assert replaced.json()["updated"] == ["客服"]
    quotes = cited(server.post("/ask", json={"question": "客服多久必须响应？"}, headers=reader))
    assert "三十分钟内" in quotes and "两小时内" not in quotes
    record = server.get("/documents/客服", headers=reader).json()
    assert (record["revision"], record["version"], record["effective_date"]) == (2, "V2.0", "2025-03-01")

    assert server.delete("/documents/巡检", headers=auth(ADMIN)).json() == {"removed": ["巡检"]}
    assert server.get("/documents/巡检", headers=reader).status_code == 404
    assert "巡检" not in [d["doc_id"] for d in server.get("/documents", headers=reader).json()]
    gone = server.post("/ask", json={"question": "机房多久巡检一次？"}, headers=reader).json()
    assert not gone["covered"] and not gone["citations"]


def test_a_reader_key_never_sees_an_hr_document_by_any_endpoint(server):
    upload(server, {"客服.txt": "客服规范\n一、响应\n客服人员应在两小时内响应客户咨询。\n".encode()})
    secret = f"薪酬保密规定\n一、年终奖\n{SECRET}\n二、保密\n员工不得向他人透露本人薪酬。\n"
    assert upload(server, {"薪酬.txt": secret.encode()}, groups="hr").status_code == 200
    question = {"question": "年终奖金的绩效系数最高是多少？"}
    reader, hr = auth(READER), auth(HR)

    responses = [
        server.post("/ask", json=question, headers=reader),
        server.post("/ask", json=question | {"stream": True}, headers=reader),
        server.post("/search", json={"query": "年终奖 绩效系数 薪酬保密"}, headers=reader),
        server.post("/draft", json={"topic": "客服规范", "format": "markdown"}, headers=reader),
        server.post("/draft", json={"topic": "年终奖规定"}, headers=reader),
        server.post("/handbook", json={"title": "手册", "topics": ["客服规范", "年终奖"]}, headers=reader),
        server.get("/documents", headers=reader),
        server.get("/documents/薪酬", headers=reader),
        server.get("/documents/薪酬/text", headers=reader),
    ]
    for response in responses:
        assert response.status_code in (200, 404, 422), response.text
        for leak in ("按绩效系数发放", "三倍月薪", "薪酬保密规定", "透露本人薪酬"):
            assert leak not in response.text, f"{response.request.url} leaked {leak}"
    assert server.get("/documents/薪酬", headers=reader).status_code == 404
    assert server.get("/health", headers=reader).json()["documents"] == 1
    assert server.get("/health", headers=hr).json()["documents"] == 2
    assert SECRET in cited(server.post("/ask", json=question, headers=hr))


def test_keys_are_required_and_only_admins_manage(server):
    upload(server, {"客服.txt": "客服规范\n客服人员应在两小时内响应客户咨询。\n".encode()})
    assert server.post("/ask", json={"question": "客服多久响应？"}).status_code == 401
    wrong = server.post("/ask", json={"question": "客服多久响应？"}, headers=auth("nope"))
    assert wrong.status_code == 401 and "无效" in wrong.json()["detail"]
    assert server.post("/ask", json={"question": "客服多久响应？"}, headers={"X-API-Key": READER}).status_code == 200
    refused = upload(server, {"x.txt": "内容".encode()}, key=READER)
    assert refused.status_code == 403 and "管理员" in refused.json()["detail"]
    assert server.delete("/documents/客服", headers=auth(READER)).status_code == 403
    assert server.get("/documents/客服", headers=auth(READER)).status_code == 200
    health = server.get("/health").json()
    assert health["auth"] == "api-key" and health["documents"] is None


def test_bad_uploads_get_clear_errors_and_change_nothing(client_for, tmp_path):
    settings = settings_for(tmp_path / "index", api_keys=KEYS, max_upload_files=2, max_upload_bytes=4000)
    server = client_for(settings)
    assert upload(server, {"客服.txt": "客服规范\n客服人员应在两小时内响应客户咨询。\n".encode()}).status_code == 200
    before = server.get("/documents", headers=auth(ADMIN)).json()

    too_many = upload(server, {f"{n}.txt": "内容".encode() for n in range(3)})
    assert too_many.status_code == 422 and "最多上传 2 个" in too_many.json()["detail"]
    too_big = upload(server, {"big.txt": ("很长的内容。" * 400).encode()})
    assert too_big.status_code == 413 and "文件过大" in too_big.json()["detail"]
    multipart = {"Content-Type": "multipart/form-data; boundary=b"}
    huge = server.post("/documents", content=b"x" * 1_100_000, headers=auth(ADMIN) | multipart)
    assert huge.status_code == 413
    all_bad = upload(server, {"scan.pdf": b"%PDF-1.4 broken", "old.doc": b"\xd0\xcf\x11\xe0"})
    assert all_bad.status_code == 422 and "scan.pdf" in all_bad.json()["detail"]
    assert "old.doc" in all_bad.json()["detail"]
    bad_groups = upload(server, {"x.txt": "内容".encode()}, groups="../etc")
    assert bad_groups.status_code == 422
    bad_date = upload(server, {"x.txt": "内容".encode()}, effective_date="明天")
    assert bad_date.status_code == 422
    assert server.get("/documents/nope", headers=auth(ADMIN)).status_code == 404
    assert server.delete("/documents/nope", headers=auth(ADMIN)).status_code == 404
    assert server.get("/documents", headers=auth(ADMIN)).json() == before

    mixed = upload(server, {"../../etc/规范.txt": "规范\n门店九点开门。\n".encode(), "scan.pdf": b"%PDF-1.4 broken"})
    assert mixed.status_code == 200 and mixed.json()["added"] == ["规范"]
    assert [f["file"] for f in mixed.json()["failed"]] == ["scan.pdf"]
    assert server.get("/documents/规范", headers=auth(ADMIN)).json()["source"] == "upload:规范.txt"
    assert not (tmp_path / "etc").exists()


def test_without_keys_the_service_runs_open_and_says_so(client_for, tmp_path, caplog):
    server = client_for(settings_for(tmp_path / "index"))
    assert any("未配置 API 密钥" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert server.get("/health").json()["auth"] == "open"
    policy = "客服规范\n客服人员应在两小时内响应客户咨询。\n".encode()
    assert upload(server, {"客服.txt": policy}, key="").status_code == 200
    assert server.post("/ask", json={"question": "客服多久响应？"}).json()["covered"]


def test_a_concurrent_query_sees_exactly_one_version_during_replacement(server):
    versions = {"七天内": "七天内", "十五天内": "十五天内"}
    text = "退货规范\n一、时限\n客户可在签收后{}申请无理由退货。\n"
    upload(server, {"退货.txt": text.format("七天内").encode()})
    seen: list[set[str]] = []
    stop = threading.Event()

    def query() -> None:
        while not stop.is_set():
            hits = server.post("/search", json={"query": "签收后多少天内可以退货"}, headers=auth(READER)).json()["hits"]
            seen.append({v for v in versions if any(v in h["text"] for h in hits)})

    worker = threading.Thread(target=query)
    worker.start()
    try:
        for round_ in range(6):
            upload(server, {"退货.txt": text.format(["十五天内", "七天内"][round_ % 2]).encode()})
    finally:
        stop.set()
        worker.join()
    assert len(seen) > 5
    assert all(len(found) == 1 for found in seen), [sorted(f) for f in seen if len(f) != 1]
