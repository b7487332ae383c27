"""Real HTTP: the question log behind /ask, POST /feedback and the admin-only GET /insights."""

import pytest

from rag.config import ApiKey
from rag.questionlog import LOG_NAME

from .conftest import settings_for
from .test_api import read_events

ADMIN = {"Authorization": "Bearer admin-key"}
STAFF = {"Authorization": "Bearer staff-key"}
OTHER = {"Authorization": "Bearer other-key"}
KEYS = [
    ApiKey(key="admin-key", name="admin", admin=True),
    ApiKey(key="staff-key", name="staff", groups=["public"]),
    ApiKey(key="other-key", name="other", groups=["public"]),
]


@pytest.fixture
def keyed(client_for, index_copy):
    return client_for(settings_for(index_copy.data_dir, api_keys=KEYS))


def test_asks_are_logged_and_insights_show_gaps_and_ratings(keyed):
    keyed.headers.update(STAFF)  # the streamed request too
    covered = keyed.post("/ask", json={"question": "客户服务的响应时间标准是多少？"}, headers=STAFF).json()
    declined = keyed.post("/ask", json={"question": "公司年假有几天？"}, headers=STAFF).json()
    streamed = read_events(keyed, "/ask", {"question": "年假怎么申请？", "stream": True})
    assert covered["log_id"] and declined["log_id"] and streamed[-1][1]["log_id"]
    rated = keyed.post(
        "/feedback", json={"log_id": covered["log_id"], "rating": -1, "comment": "没说节假日"}, headers=STAFF
    )
    assert rated.status_code == 200 and rated.json()["comment"] == "没说节假日"

    body = keyed.get("/insights", headers=ADMIN).json()
    assert body["asked"] == 3 and body["declined"] >= 1 and body["rated_down"] == 1
    assert any("公司年假有几天？" in gap["questions"] for gap in body["gaps"])
    assert body["worst_rated"][0]["comment"] == "没说节假日"
    cited = {d["doc_id"] for d in body["documents"]}
    assert covered["citations"][0]["doc_id"] in cited
    assert body["documents"][0]["sections"][0]["hits"] >= 1
    assert {d["doc_id"] for d in body["never_cited"]}.isdisjoint(cited) and len(cited) + len(body["never_cited"]) == 5
    assert "目的" in body["draft_outline"]


def test_insights_are_for_admins_and_readers_rate_only_their_own(keyed):
    assert keyed.get("/insights", headers=STAFF).status_code == 403
    assert keyed.get("/insights").status_code == 401
    log_id = keyed.post("/ask", json={"question": "公司年假有几天？"}, headers=STAFF).json()["log_id"]
    assert keyed.post("/feedback", json={"log_id": log_id, "rating": 1}, headers=OTHER).status_code == 404
    assert keyed.post("/feedback", json={"log_id": log_id, "rating": 1}, headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"log_id": 999999, "rating": 1}, 404, "找不到"),
        ({"log_id": 1, "rating": 0}, 422, "评分只能是"),
        ({"log_id": 1, "rating": 5}, 422, "评分只能是"),
        ({"log_id": 1, "rating": 1, "comment": "长" * 501}, 422, "过长"),
        ({"log_id": 1, "rating": 1, "comment": "坏\x07字符"}, 422, "无法处理的字符"),
    ],
)
def test_bad_feedback_gets_a_chinese_message(client_for, index_copy, payload, status, message):
    client = client_for(index_copy)
    assert client.post("/ask", json={"question": "公司年假有几天？"}).json()["log_id"] == 1
    response = client.post("/feedback", json=payload)
    assert response.status_code == status and message in response.json()["detail"]


def test_with_the_log_off_or_broken_ask_still_answers(client_for, index_copy):
    (index_copy.data_dir / LOG_NAME).mkdir()  # the database cannot be opened
    broken = client_for(index_copy).post("/ask", json={"question": "客户服务的响应时间标准是多少？"})
    assert broken.status_code == 200 and broken.json()["covered"] and broken.json()["log_id"] is None
    off = client_for(settings_for(index_copy.data_dir, question_log=False))
    assert off.post("/ask", json={"question": "公司年假有几天？"}).json()["log_id"] is None
    assert off.get("/insights").status_code == 409
