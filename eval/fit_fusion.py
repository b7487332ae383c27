"""Calibrate fusion on dev questions only: BM25's weight against the dense retriever's, and how much
the fused rank counts against sentence evidence when reranking.

    .venv/bin/python eval/fit_fusion.py

Prints MRR@10 and hit@5 on the dev split of each dev set for every pair on a small grid, and the
pair with the best mean MRR@10; the defaults in `rag/config.py` (`bm25_weight`, `rank_weight`)
are set from its output. Test splits and public sets are never read.
"""

import itertools
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.fit_coverage import DEV_SETS  # noqa: E402
from rag.evaluation import CONFIGS, DEFAULT_CONFIG, Evaluator, load_eval_set, retrieval_scores  # noqa: E402
from rag.service import Assistant  # noqa: E402

BM25_WEIGHTS = (0.25, 0.5, 1.0, 2.0)
RANK_WEIGHTS = (0.25, 0.5, 1.0, 2.0)


def main() -> None:
    work_dir = ROOT / "eval" / "out" / "fit"
    sets = []
    for questions, corpus in DEV_SETS:
        if not questions.exists():
            continue
        items = [i for i in load_eval_set(questions, split="dev") if i.answerable]
        evaluator = Evaluator([corpus], work_dir / questions.parent.name, progress=lambda m: print(m, file=sys.stderr))
        config = CONFIGS[DEFAULT_CONFIG]
        evaluator.build(config)
        sets.append((questions.parent.name, items, evaluator._settings(config)))
    results = []
    for bm25_weight, rank_weight in itertools.product(BM25_WEIGHTS, RANK_WEIGHTS):
        per_set = []
        for name, items, settings in sets:
            assistant = Assistant(settings.model_copy(update={"bm25_weight": bm25_weight, "rank_weight": rank_weight}))
            chunks = list(assistant.index.chunks.values())
            scores = []
            for item in items:
                relevant = {c.chunk_id for c in chunks if any(label.matches(c) for label in item.relevant)}
                ranked = [r.chunk for r in assistant.retrieve(assistant.analyze(item.question), top_k=10)]
                scores.append(retrieval_scores(ranked, relevant))
            mrr = statistics.fmean(s["mrr@10"] for s in scores)
            hit5 = statistics.fmean(s["hit@5"] for s in scores)
            per_set.append(mrr)
            print(f"bm25_weight={bm25_weight} rank_weight={rank_weight} {name}: mrr@10 {mrr:.3f} hit@5 {hit5:.3f}")
        results.append((statistics.fmean(per_set), bm25_weight, rank_weight))
    best = max(results)
    print(f"best: bm25_weight={best[1]} rank_weight={best[2]} (mean dev mrr@10 {best[0]:.3f})")


if __name__ == "__main__":
    main()
