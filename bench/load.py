"""Bounded load on 127.0.0.1: N mixed requests from C concurrent clients against `rag serve` on the demo corpus,
with uploads replacing a document while the reads run. Prints status counts (any 5xx is a failure), latency
percentiles per route and the server's RSS after the first and the last write.

Run: .venv/bin/python bench/load.py [--requests 10000] [--clients 20] [--writes 50]
     (prints figures; writes bench/out/load.json; exits 1 on any 5xx)
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench import RAG, ROOT, percentile, read_questions, rss_mb, start_server, timed  # bench/ is the script's folder

BAD_BODIES = [
    {"question": ""},
    {"question": "问" * 600},
    {"question": 42},
    {"query": ""},
    {"topic": "", "format": "docx"},
]


def read_request(client: httpx.Client, rng: random.Random, questions: list[str]) -> tuple[str, int]:
    """One request of the mix: mostly questions, some searches, document reads and bad input."""
    roll = rng.random()
    if roll < 0.55:
        return "/ask", client.post("/ask", json={"question": rng.choice(questions)}).status_code
    if roll < 0.75:
        return "/search", client.post("/search", json={"query": rng.choice(questions)}).status_code
    if roll < 0.85:
        return "/documents", client.get("/documents").status_code
    if roll < 0.9:
        return "/health", client.get("/health").status_code
    route = rng.choice(["/ask", "/search", "/draft"])
    return f"{route} (bad)", client.post(route, json=rng.choice(BAD_BODIES)).status_code


def version(n: int) -> bytes:
    return f"仓储作业手册\n第一条 第{n}版：入库单须在{n % 5 + 1}小时内复核。\n第二条 复核记录保存三年。\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--writes", type=int, default=50)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rag-load-"))
    env = os.environ | {"RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    questions = read_questions(ROOT / "eval" / "questions.jsonl")
    statuses: Counter[tuple[str, int]] = Counter()
    latencies: dict[str, list[float]] = {}
    lock = threading.Lock()
    remaining = iter(range(args.requests))
    figures: dict[str, float] = {}
    try:
        timed([*RAG, "ingest", "corpus"], env)
        server, client, _ = start_server(env)
        try:

            def reader(seed: int) -> None:
                rng = random.Random(seed)
                with httpx.Client(base_url=client.base_url, timeout=60) as own:
                    while True:
                        with lock:
                            if next(remaining, None) is None:
                                return
                        started = time.perf_counter()
                        try:
                            route, status = read_request(own, rng, questions)
                        except httpx.HTTPError as error:
                            route, status = type(error).__name__, 599
                        with lock:
                            statuses[(route, status)] += 1
                            latencies.setdefault(route, []).append((time.perf_counter() - started) * 1000)

            threads = [threading.Thread(target=reader, args=(n,)) for n in range(args.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for n in range(args.writes):  # replacements of one document while the reads run
                response = client.post("/documents", files={"files": ("仓储作业手册.txt", version(n))}, timeout=120)
                statuses[("/documents (upload)", response.status_code)] += 1
                if n == 0:
                    figures["rss_after_first_write_mb"] = rss_mb(server.pid)
            for thread in threads:
                thread.join()
            figures["wall_s"] = time.perf_counter() - started
            figures["rss_after_last_write_mb"] = rss_mb(server.pid)
            figures["documents_after"] = len(client.get("/documents").json())
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    figures["requests"] = sum(statuses.values())
    figures["server_errors_5xx"] = sum(n for (_, status), n in statuses.items() if status >= 500)
    for route, values in sorted(latencies.items()):
        figures[f"{route} p50_ms"] = statistics.median(values)
        figures[f"{route} p95_ms"] = percentile(values, 0.95)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "figures": figures,
        "statuses": {f"{route} {status}": n for (route, status), n in sorted(statuses.items())},
    }
    (out / "load.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    for name, value in figures.items():
        print(f"{name:32s} {value:10.1f}")
    for key, n in report["statuses"].items():
        print(f"  {key:32s} {n}")
    sys.exit(1 if figures["server_errors_5xx"] else 0)


if __name__ == "__main__":
    main()
