"""A real `rag ingest` process killed mid-ingest (or mid-rebuild) leaves the index as it was, and the next run
finishes the job."""

import os
import signal
import subprocess
import sys

import pytest

from rag.chunkstore import ChunkStore
from rag.errors import EmptyIndexError
from rag.ingest import Ingestor
from rag.manifest import PENDING_NAME, load_manifest
from rag.service import Assistant
from rag.vectors import chroma_client, other_collection

from .conftest import settings_for
from .test_cli import rag

SECTIONS = 48


def handbook(limit_word: str) -> str:
    clause = "第{n}条 第{n}号作业单须在{n}小时内{limit}，逾期由值班主管登记原因并通报。"
    clauses = "\n".join(clause.format(n=n, limit=limit_word) for n in range(1, SECTIONS + 1))
    return f"作业时限手册\n{clauses}\n"


def start_ingest(path, data_dir, *options: str) -> subprocess.Popen:
    env = os.environ | {"RAG_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ingest", str(path), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def kill_after_first_embedded_batch(process: subprocess.Popen) -> None:
    """Wait until vectors have been written to Chroma, then SIGKILL: no cleanup code runs."""
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("向量化 ") and line.split()[1] != f"{SECTIONS}/{SECTIONS}":
            break
    else:
        pytest.fail(f"ingest ended before embedding (exit {process.wait()})")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def indexed_handbook(tmp_path) -> tuple:
    """A committed index of the handbook: its settings, the file, and the manifest bytes as committed."""
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "docs" / "handbook.txt"
    path.parent.mkdir()
    path.write_text(handbook("完成"), encoding="utf-8")
    Ingestor(settings).run([path])
    return settings, path, (settings.data_dir / "manifest.json").read_bytes()


def test_killed_replacement_leaves_the_old_version_and_recovers(tmp_path):
    settings, path, committed = indexed_handbook(tmp_path)

    path.write_text(handbook("办结归档"), encoding="utf-8")
    kill_after_first_embedded_batch(start_ingest(path, settings.data_dir))

    assert (settings.data_dir / "manifest.json").read_bytes() == committed
    assert (settings.data_dir / PENDING_NAME).exists()
    assistant = Assistant(settings)
    assert assistant.index.collection.count() > len(assistant.index.chunks)  # staged vectors, not committed
    answer = assistant.ask("第7号作业单须在多少小时内完成？")
    assert answer.covered and all("办结归档" not in c.quote for c in answer.citations)

    report = Ingestor(settings).run([path])

    assert report.updated == ["handbook"]
    assistant = Assistant(settings)
    assert assistant.index.collection.count() == len(assistant.index.chunks) == SECTIONS
    assert all("办结归档" in c.text for c in assistant.index.chunks.values())
    assert not (settings.data_dir / PENDING_NAME).exists()
    generation = load_manifest(settings.data_dir).generation
    assert ChunkStore(settings.data_dir).count(generation + 1) == SECTIONS  # no row left by the killed ingest


def test_killed_first_ingest_leaves_an_empty_index_that_the_next_run_fills(tmp_path):
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "docs" / "handbook.txt"
    path.parent.mkdir()
    path.write_text(handbook("完成"), encoding="utf-8")

    kill_after_first_embedded_batch(start_ingest(path, settings.data_dir))

    with pytest.raises(EmptyIndexError):
        Assistant(settings).ask("第7号作业单须在多少小时内完成？")
    report = Ingestor(settings).run([path])
    assert report.added == ["handbook"]
    assistant = Assistant(settings)
    assert assistant.index.collection.count() == len(assistant.index.chunks) == SECTIONS
    assert assistant.ask("第7号作业单须在多少小时内完成？").covered


def test_killed_rebuild_leaves_the_old_index_queryable_and_ingest_still_works(tmp_path):
    settings, path, committed = indexed_handbook(tmp_path)
    live = Assistant(settings).index.collection_name

    kill_after_first_embedded_batch(start_ingest(path, settings.data_dir, "--rebuild"))

    assert (settings.data_dir / "manifest.json").read_bytes() == committed
    collections = {c.name for c in chroma_client(settings).list_collections()}
    assert collections == {live, other_collection(settings, live)}  # the rebuild was building beside the old one
    assistant = Assistant(settings)
    assert assistant.index.collection.count() == SECTIONS
    hits = assistant.search("第7号作业单须在多少小时内完成？")
    assert hits[0].dense_score is not None and "第7号作业单须在7小时内完成" in hits[0].chunk.text
    assert assistant.ask("第7号作业单须在多少小时内完成？").covered

    again = rag("ingest", str(path), data_dir=settings.data_dir)

    assert again.returncode == 0, again.stderr
    assert "未变 1" in again.stdout
    assert {c.name for c in chroma_client(settings).list_collections()} == {live}
    assert not (settings.data_dir / PENDING_NAME).exists()

    report = Ingestor(settings).run([path], rebuild=True)

    assert report.added == ["handbook"] and report.chunks_embedded == SECTIONS
    assistant = Assistant(settings)
    assert assistant.index.collection_name == other_collection(settings, live)
    assert {c.name for c in chroma_client(settings).list_collections()} == {assistant.index.collection_name}
    assert assistant.index.collection.count() == len(assistant.index.chunks) == SECTIONS
    assert assistant.search("第7号作业单须在多少小时内完成？")[0].dense_score is not None
