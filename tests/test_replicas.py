"""Two `rag serve` replicas (real processes) behind one `chroma run` server, sharing one data directory: what
one replica indexes or deletes, the other serves at its next request, with no restart."""

import os
import subprocess
import sys
import time

import httpx

from rag.ingest import Ingestor

from .conftest import ROOT, free_port, settings_for
from .test_server_reload import SERVICE, STORAGE, STORAGE_QUESTION, top_hit, write

REPLICA_LAG_SECONDS = 2.0  # the README's stated bound: a replica checks the manifest at every request


def start_replica(env: dict[str, str]) -> tuple[subprocess.Popen, httpx.Client]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    deadline = time.monotonic() + 120
    while True:
        try:
            if client.get("/health").json()["status"] == "ok":
                return process, client
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("replica did not start")
        time.sleep(0.1)


def seconds_until(condition) -> float:
    """How long until `condition()` holds, polled; fails past the stated lag."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < REPLICA_LAG_SECONDS, "the other replica did not catch up in time"
        time.sleep(0.05)
    return time.monotonic() - started


def top_doc(client: httpx.Client, query: str) -> str:
    return top_hit(client, query)["doc_id"]


def test_an_upload_through_one_replica_is_answered_by_the_other(chroma_server, tmp_path):
    settings = settings_for(tmp_path / "shared-data", chroma_url=chroma_server, collection="replicas")
    Ingestor(settings).run([write(tmp_path / "docs" / "客服.txt", SERVICE)])
    env = os.environ | {
        "RAG_DATA_DIR": str(settings.data_dir),
        "RAG_CHROMA_URL": chroma_server,
        "RAG_COLLECTION": "replicas",
        "RAG_USER_DICT": str(settings.user_dict),
        "RAG_SYNONYMS": str(settings.synonyms),
        "HF_HUB_OFFLINE": "1",
    }
    replicas = [start_replica(env), start_replica(env)]
    (_, a), (_, b) = replicas
    try:
        assert top_doc(b, STORAGE_QUESTION) == "客服"

        uploaded = a.post("/documents", files={"files": ("仓储.txt", STORAGE.encode(), "text/plain")})
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["added"] == ["仓储"]
        seconds_until(lambda: top_doc(b, STORAGE_QUESTION) == "仓储")
        assert [d["doc_id"] for d in b.get("/documents").json()] == ["仓储", "客服"]

        assert b.delete("/documents/仓储").status_code == 200
        seconds_until(lambda: top_doc(a, STORAGE_QUESTION) == "客服")
        assert [d["doc_id"] for d in a.get("/documents").json()] == ["客服"]
    finally:
        for process, client in replicas:
            client.close()
            process.terminate()
            process.wait(timeout=30)
