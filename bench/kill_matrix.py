"""SIGKILL matrix: a server upload, a CLI ingest and a CLI rebuild, each killed at several points of its run,
then a fresh `rag serve` (which recovers at start-up) and a rerun of the same job.

Each cell checks what the reliability issue asks: the server starts and answers, no committed document is lost,
no vector is left that no committed chunk names (nor a half-built rebuild collection), and the rerun lands.
Kill points are fractions of the job's own unkilled duration, measured first, so the matrix hits early, middle
and late phases (chunking, embedding, commit) on any machine.

Run: .venv/bin/python bench/kill_matrix.py [--points 0.15,0.4,0.65,0.9]
     (prints one row per cell; writes bench/out/kill_matrix.json; exits 1 if any cell fails)
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from bench import RAG, ROOT, start_server, timed  # bench/ is the script's folder
from rag.manifest import PENDING_NAME

JOBS = ("upload", "ingest", "rebuild")
CLAUSES = 160  # some seconds of embedding on 2 cores: long enough to land kills inside it


@dataclass
class Cell:
    job: str
    kill_at_s: float
    killed: bool  # False: the job had finished before the kill
    interrupted_write: bool  # the kill left a write half done (its pending marker): recovery had work to do
    stray_before_recovery: int
    served: bool  # the restarted server said ok and found a demo passage
    documents_lost: int
    stray_vectors: int
    leftover_collections: int
    rerun_landed: bool

    @property
    def ok(self) -> bool:
        no_leftovers = not (self.documents_lost or self.stray_vectors or self.leftover_collections)
        return self.served and no_leftovers and self.rerun_landed


def handbook_text() -> str:
    clause = "第{n}条 第{n}号作业单须在{n}小时内完成复核，逾期由值班主管登记原因并通报。"
    return "作业时限手册\n" + "\n".join(clause.format(n=n) for n in range(1, CLAUSES + 1)) + "\n"


def committed_ids(data_dir: Path) -> set[str]:
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    return set(manifest["documents"])


def vector_leftovers(data_dir: Path) -> tuple[int, int]:
    """Vectors in the live collection that no committed chunk names, and collections besides the live one."""
    from rag.config import Settings
    from rag.manifest import load_manifest
    from rag.vectors import chroma_client, refresh_vector_store

    settings = Settings(data_dir=data_dir)
    refresh_vector_store(settings)  # this process may have read the store before the server changed it
    manifest = load_manifest(data_dir)
    committed = {cid for record in manifest.documents.values() for cid in record.chunk_ids}
    client = chroma_client(settings)
    live = manifest.collection or settings.collection
    stored = client.get_collection(live).get(include=[])["ids"]
    others = [c.name for c in client.list_collections() if c.name != live]
    return len(set(stored) - committed), len(others)


class Job:
    """One write, started and killed in the way a user's process would die."""

    def __init__(self, name: str, data_dir: Path, handbook: Path, env: dict[str, str]) -> None:
        self.name, self.data_dir, self.handbook, self.env = name, data_dir, handbook, env

    def start(self) -> tuple[subprocess.Popen, threading.Thread | None]:
        """The process to kill, and for an upload the thread whose request it cuts."""
        if self.name == "upload":
            server, client, _ = start_server(self.env)
            payload = {"files": (self.handbook.name, self.handbook.read_bytes())}
            request = threading.Thread(target=_post_ignoring_errors, args=(client, payload), daemon=True)
            request.start()
            return server, request
        paths = ["--rebuild", "corpus", str(self.handbook)] if self.name == "rebuild" else [str(self.handbook)]
        command = [*RAG, "ingest", *paths]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        return subprocess.Popen(command, env=self.env, cwd=ROOT, **quiet), None

    def finish(self) -> None:
        """The job run to its end (an upload reruns through the CLI: the server path was covered by the kill)."""
        paths = ["--rebuild", "corpus", str(self.handbook)] if self.name == "rebuild" else [str(self.handbook)]
        timed([*RAG, "ingest", *paths], self.env)


def _post_ignoring_errors(client: httpx.Client, payload: dict) -> None:
    try:
        client.post("/documents", files=payload, timeout=300)
    except httpx.HTTPError:  # the server was killed under it: that is the point
        pass


def unkilled_duration(job: Job) -> float:
    """Seconds from the job's start to its end (for an upload: from the request to its answer)."""
    process, request = job.start()
    started = time.perf_counter()
    if request is not None:
        request.join()
        elapsed = time.perf_counter() - started
        process.terminate()
        process.wait(timeout=30)
        return elapsed
    process.wait()
    return time.perf_counter() - started


def run_cell(job: Job, kill_at: float, before: set[str]) -> Cell:
    process, _ = job.start()
    time.sleep(kill_at)
    finished = process.poll() is not None and job.name != "upload"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    interrupted = (job.data_dir / PENDING_NAME).exists()
    stray_before, _ = vector_leftovers(job.data_dir)
    served = False
    server, client, _ = start_server(job.env)  # recovers what the killed writer left
    try:
        hits = client.post("/search", json={"query": "客服响应时间"}).json()
        documents = {d["doc_id"] for d in client.get("/documents").json()}
        served = bool(hits.get("hits"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    stray, leftover = vector_leftovers(job.data_dir)
    job.finish()
    return Cell(
        job=job.name,
        kill_at_s=round(kill_at, 2),
        killed=not finished,
        interrupted_write=interrupted,
        stray_before_recovery=stray_before,
        served=served,
        documents_lost=len(before - documents),
        stray_vectors=stray,
        leftover_collections=leftover,
        rerun_landed=_landed(before, committed_ids(job.data_dir)),
    )


def fresh_job(name: str, label: str, work: Path, baseline: Path, handbook: Path, env: dict[str, str]) -> Job:
    """The job on its own copy of the baseline index."""
    data_dir = work / f"{name}-{label}"
    shutil.copytree(baseline, data_dir)
    return Job(name, data_dir, handbook, env | {"RAG_DATA_DIR": str(data_dir)})


def _landed(before: set[str], after: set[str]) -> bool:
    """Every earlier document is still there, and the handbook is there too (under its CLI or upload id)."""
    return before <= after and any("作业时限手册" in doc_id for doc_id in after - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="0.15,0.4,0.65,0.9", help="kill points, as fractions of the job's run")
    args = parser.parse_args()
    points = [float(p) for p in args.points.split(",")]

    work = Path(tempfile.mkdtemp(prefix="rag-kill-"))
    try:
        baseline = work / "baseline"
        handbook = work / "docs" / "作业时限手册.txt"
        handbook.parent.mkdir()
        handbook.write_text(handbook_text(), encoding="utf-8")
        base_env = os.environ | {"HF_HUB_OFFLINE": "1"}
        timed([*RAG, "ingest", "corpus"], base_env | {"RAG_DATA_DIR": str(baseline)})
        before = committed_ids(baseline)
        cells: list[Cell] = []
        for name in JOBS:
            duration = unkilled_duration(fresh_job(name, "unkilled", work, baseline, handbook, base_env))
            print(f"{name}: {duration:.1f} s unkilled", flush=True)
            for point in points:
                job = fresh_job(name, f"{point}", work, baseline, handbook, base_env)
                cell = run_cell(job, point * duration, before)
                cells.append(cell)
                print(json.dumps(asdict(cell) | {"ok": cell.ok}, ensure_ascii=False), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "kill_matrix.json").write_text(
        json.dumps([asdict(c) | {"ok": c.ok} for c in cells], indent=1, ensure_ascii=False), encoding="utf-8"
    )
    columns = ("job", "kill at", "killed", "pending", "stray0", "served", "lost", "stray", "left", "rerun")
    print(" ".join(f"{c:>8s}" for c in columns))
    for c in cells:
        row = (
            c.job,
            f"{c.kill_at_s:.1f}s",
            "yes" if c.killed else "done",
            c.interrupted_write,
            c.stray_before_recovery,
        )
        row += (c.served, c.documents_lost, c.stray_vectors, c.leftover_collections, c.rerun_landed)
        print(" ".join(f"{value!s:>8s}" for value in row))
    sys.exit(0 if all(c.ok for c in cells) else 1)


if __name__ == "__main__":
    main()
