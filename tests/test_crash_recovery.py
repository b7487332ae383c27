"""A real `rag ingest` process killed mid-ingest leaves the index as it was, and the next run finishes the job."""

import os
import signal
import subprocess
import sys

import pytest

from rag.errors import EmptyIndexError
from rag.index import PENDING_NAME, SNAPSHOTS_DIR
from rag.ingest import Ingestor
from rag.service import Assistant

from .conftest import settings_for

SECTIONS = 48


def handbook(limit_word: str) -> str:
    clause = "第{n}条 第{n}号作业单须在{n}小时内{limit}，逾期由值班主管登记原因并通报。"
    clauses = "\n".join(clause.format(n=n, limit=limit_word) for n in range(1, SECTIONS + 1))
    return f"作业时限手册\n{clauses}\n"


def start_ingest(path, data_dir) -> subprocess.Popen:
    env = os.environ | {"RAG_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ingest", str(path)],
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


def test_killed_replacement_leaves_the_old_version_and_recovers(tmp_path):
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "docs" / "handbook.txt"
    path.parent.mkdir()
    path.write_text(handbook("完成"), encoding="utf-8")
    Ingestor(settings).run([path])
    committed = (settings.data_dir / "manifest.json").read_bytes()

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
    assert len(list((settings.data_dir / SNAPSHOTS_DIR).iterdir())) <= 2


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
