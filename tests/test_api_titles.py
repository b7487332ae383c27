"""Titles and topics are capped, and a downloaded draft's file name stays short, over real HTTP."""

from urllib.parse import unquote

import pytest


@pytest.fixture
def client(client_for, corpus_index):
    return client_for(corpus_index)


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/draft", {"topic": "客户服务标准" + "很" * 95}, "topic"),
        ("/draft", {"topic": "客户服务标准", "outline": ["目的" * 51]}, "outline.0"),
        ("/handbook", {"title": "手" * 101, "topics": ["应急预案"]}, "title"),
        ("/handbook", {"title": "手册", "topics": ["应急预案", "预" * 101]}, "topics.1"),
    ],
)
def test_over_long_titles_and_topics_get_422(client, path, payload, field):
    response = client.post(path, json=payload)
    assert response.status_code == 422
    assert f"{field}: 过长：最多 100 个字符" in response.json()["detail"]


def test_a_two_million_character_title_is_refused_without_a_huge_header(client):
    response = client.post("/handbook", json={"title": "手" * 2_000_000, "topics": ["应急预案"], "format": "docx"})
    assert response.status_code == 413
    assert "content-disposition" not in response.headers and len(response.content) < 1000


def test_the_download_name_is_cut_to_sixty_characters(client):
    title = "新员工运营手册" * 14 + "附录"  # 100 characters, the most a title may have
    response = client.post("/handbook", json={"title": title, "topics": ["应急预案"], "format": "markdown"})
    assert response.status_code == 200 and response.text.startswith(f"# {title}\n")
    disposition = response.headers["content-disposition"]
    name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert name == title[:60] + ".md"
