"""Uploads when the disk fails the index, over real HTTP: a full disk (injected where the write happens, so it
runs anywhere; `test_disk_full_real.py` fills a real tmpfs where one may be mounted) is a 507 that leaves the
index as it was; a data directory deleted under the running server is a 503 saying so, not a bare 500."""

import errno
import shutil

import pytest
from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError

from rag.chunkstore import ChunkStore
from rag.manifest import PENDING_NAME, load_manifest
from rag.vectors import chroma_client

from .conftest import settings_for

RETURNS = "退货规范\n一、时限\n客户可在签收后{}申请无理由退货。\n二、运费\n质量问题的退货运费由公司承担。\n"
QUESTION = "签收后多少天内可以退货？"


def upload(client, name: str, text: str):
    return client.post("/documents", files=[("files", (name, text.encode()))])


def cited(client, question: str) -> str:
    response = client.post("/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return " ".join(c["quote"] for c in response.json()["citations"])


def disk_full(*_: object, **__: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def sqlite_full(*_: object, **__: object) -> None:
    raise InternalError(
        "Query error: Database error: error returned from database: (code: 13) database or disk is full"
    )


@pytest.mark.parametrize(
    ("target", "name", "failure"),
    [(ChunkStore, "stage", disk_full), (Collection, "upsert", sqlite_full)],
    ids=["chunk-store", "chroma-sqlite"],
)
def test_a_full_disk_is_a_507_and_the_previous_index_still_answers(
    client_for, tmp_path, monkeypatch, target, name, failure
):
    settings = settings_for(tmp_path / "index")
    client = client_for(settings)
    assert upload(client, "退货.txt", RETURNS.format("七天内")).status_code == 200
    committed = (settings.data_dir / "manifest.json").read_bytes()
    generation = load_manifest(settings.data_dir).generation
    rows = list(ChunkStore(settings.data_dir).visible_pages(generation))

    monkeypatch.setattr(target, name, failure)
    full = upload(client, "退货.txt", RETURNS.format("十五天内"))
    monkeypatch.undo()

    assert full.status_code == 507, full.text
    assert "磁盘空间不足" in full.json()["detail"] and "已有文档不受影响" in full.json()["detail"]
    assert (settings.data_dir / "manifest.json").read_bytes() == committed
    quotes = cited(client, QUESTION)
    assert "七天内" in quotes and "十五天内" not in quotes
    # The failed write undid itself: no staged vectors, no rows of the failed generation, nothing pending.
    chunks = load_manifest(settings.data_dir).chunk_count
    assert chroma_client(settings).get_collection(settings.collection).count() == chunks
    assert list(ChunkStore(settings.data_dir).visible_pages(generation + 1)) == rows
    assert not (settings.data_dir / PENDING_NAME).exists()


def test_a_data_directory_deleted_under_the_server_is_a_503_with_the_reason(client_for, tmp_path):
    settings = settings_for(tmp_path / "index")
    client = client_for(settings)
    assert upload(client, "退货.txt", RETURNS.format("七天内")).status_code == 200
    shutil.rmtree(settings.data_dir)

    gone = upload(client, "退货.txt", RETURNS.format("十五天内"))

    assert gone.status_code == 503, gone.text
    assert str(settings.data_dir) in gone.json()["detail"] and "readonly database" in gone.json()["detail"]
    assert "被删除" in gone.json()["detail"]

    again = upload(client, "退货.txt", RETURNS.format("十五天内"))  # a fresh index where the old one was
    assert again.status_code == 200 and again.json()["added"] == ["退货"]
    assert "十五天内" in cited(client, QUESTION)
