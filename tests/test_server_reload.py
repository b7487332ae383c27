"""A running server and the index maintained beside it: by `rag ingest` in another process, by a rebuild,
after a reload that failed, and after a writer killed with SIGKILL. Real HTTP, real embedded Chroma."""

import time

from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError

from api.state import RETRY_SECONDS
from rag.chunkstore import store_path
from rag.ingest import Ingestor
from rag.manifest import PENDING_NAME, load_manifest
from rag.service import Assistant
from rag.vectors import chroma_client, refresh_vector_store

from .conftest import settings_for
from .test_cli import rag
from .test_crash_recovery import SECTIONS, handbook, kill_after_first_embedded_batch, start_ingest

SERVICE = "客服规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n"
STORAGE = "仓储规范\n一、温度\n仓库温度必须保持在十八至二十五摄氏度之间。\n"
STORAGE_QUESTION = "库房要维持在什么冷热范围？"  # no word of it is in the document: dense retrieval must find it


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def top_hit(client, query: str) -> dict:
    response = client.post("/search", json={"query": query})
    assert response.status_code == 200, response.text
    return response.json()["hits"][0]


def test_a_cli_ingest_and_rebuild_beside_a_running_server_are_searched_densely(client_for, tmp_path):
    settings = settings_for(tmp_path / "index")
    service = write(tmp_path / "docs" / "客服.txt", SERVICE)
    Ingestor(settings).run([service])
    client = client_for(settings)
    assert top_hit(client, "客服多久响应？")["doc_id"] == "客服"

    storage = write(tmp_path / "docs" / "仓储.txt", STORAGE)
    added = rag("ingest", str(storage), data_dir=settings.data_dir)
    assert added.returncode == 0, added.stderr

    hit = top_hit(client, STORAGE_QUESTION)
    assert hit["doc_id"] == "仓储" and hit["dense_score"] is not None

    rebuilt = rag("ingest", "--rebuild", str(tmp_path / "docs"), data_dir=settings.data_dir)
    assert rebuilt.returncode == 0, rebuilt.stderr

    hit = top_hit(client, STORAGE_QUESTION)
    assert hit["doc_id"] == "仓储" and hit["dense_score"] is not None
    assert client.get("/health").json()["status"] == "ok"
    assert load_manifest(settings.data_dir).collection == "rag_chunks-b"


def test_a_failed_reload_is_tried_again_without_a_restart(client_for, tmp_path, monkeypatch):
    settings = settings_for(tmp_path / "index")
    Ingestor(settings).run([write(tmp_path / "docs" / "客服.txt", SERVICE)])
    client = client_for(settings)
    assert top_hit(client, "客服多久响应？")["doc_id"] == "客服"

    # The reload finds the chunk store missing (moved away under the server), then it is there again.
    Ingestor(settings).run([write(tmp_path / "docs" / "仓储.txt", STORAGE)])
    store = store_path(settings.data_dir)
    aside = store.rename(tmp_path / "aside")
    broken = client.post("/search", json={"query": "仓库温度"})
    assert broken.status_code == 503 and "--rebuild" in broken.json()["detail"]
    aside.rename(store)  # mended; the manifest, which the server watches, is untouched
    time.sleep(RETRY_SECONDS)
    assert top_hit(client, "仓库温度是多少？")["doc_id"] == "仓储"

    # Chroma fails once while the reload warms up (SQLite busy under another process's write).
    Ingestor(settings).run([write(tmp_path / "docs" / "巡检.txt", "机房巡检规范\n机房每四小时巡检一次。\n")])
    query, failures = Collection.query, []

    def busy_once(store: Collection, *args: object, **kwargs: object) -> object:
        if not failures:
            failures.append(True)
            raise InternalError("Query error: Database error: database is locked")
        return query(store, *args, **kwargs)

    monkeypatch.setattr(Collection, "query", busy_once)
    busy = client.post("/search", json={"query": "机房巡检"})
    assert busy.status_code == 503 and "database is locked" in busy.json()["detail"]
    time.sleep(RETRY_SECONDS)
    hit = top_hit(client, "机房多久巡检一次？")
    assert hit["doc_id"] == "巡检" and hit["dense_score"] is not None
    assert client.get("/health").json()["status"] == "ok"


def test_a_starting_server_removes_the_stray_vectors_of_a_killed_ingest(client_for, tmp_path):
    settings = settings_for(tmp_path / "index", retrieval_mode="dense")
    path = write(tmp_path / "docs" / "handbook.txt", handbook("完成"))
    Ingestor(settings).run([path])
    path.write_text(handbook("办结归档"), encoding="utf-8")
    kill_after_first_embedded_batch(start_ingest(path, settings.data_dir))
    question = "第7号作业单须在多少小时内完成？"
    collection = chroma_client(settings).get_collection("rag_chunks")
    assert collection.count() > SECTIONS  # the killed ingest's vectors, named by no committed chunk
    refresh_vector_store(settings)  # see the store as a process started now does
    crowded = Assistant(settings).search(question, top_k=20)
    assert len(crowded) < 20  # they take dense candidate places and are then dropped

    client = client_for(settings)

    assert collection.count() == SECTIONS
    assert not (settings.data_dir / PENDING_NAME).exists()
    response = client.post("/search", json={"query": question, "top_k": 20})
    hits = response.json()["hits"]
    assert len(hits) == 20 and all(h["dense_score"] is not None for h in hits)
    assert "第7号作业单须在7小时内完成" in hits[0]["text"]
