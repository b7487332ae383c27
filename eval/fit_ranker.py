"""Fit the reranker (rag/rerank.py) on dev questions only, and write it as JSON.

    .venv/bin/python eval/fit_ranker.py [--out rag/resources/ranker_model.json]

Pairwise logistic regression (a RankNet-style linear ranker): for every answerable dev question, each
candidate labelled relevant against each unlabelled one, every question weighing the same, so the
weights say how much each signal should count when one chunk must outrank another; each weight is kept at or
above 0 (more of any signal never makes a chunk worse), as in the coverage fit. Before the final
fit on all dev sets it prints, for each dev set, MRR@10 and hit@5 when that set is left out of the fit:
the figure that says whether the weights carry to a corpus they were not fitted on. Test splits and
public sets are never read.
"""

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.fit_coverage import DEV_SETS, dev_assistant, fit_monotone_logistic  # noqa: E402
from rag.evaluation import load_eval_set, retrieval_scores  # noqa: E402
from rag.models import Chunk  # noqa: E402
from rag.rerank import FEATURES, rank_features  # noqa: E402

# sklearn's C, each question's pairs together weighing 1: chosen on the left-out dev sets, where 100 gave
# the same MRR@10 (.839 / .894 / .657) and 1, which shrinks the weights towards zero, lower (.804 / .893 / .655).
REGULARISATION = 10.0


@dataclass(frozen=True)
class Question:
    candidates: list[Chunk]
    features: np.ndarray  # one row per candidate, in FEATURES order
    relevant: set[str]


def dev_questions(questions: Path, corpus: Path, work_dir: Path) -> list[Question]:
    assistant = dev_assistant(corpus, work_dir)
    chunks = list(assistant.index.chunks.values())
    found = []
    for item in load_eval_set(questions, split="dev"):
        relevant = {c.chunk_id for c in item.relevant_chunks(chunks)}
        if not item.answerable or not relevant:
            continue
        analysis = assistant.analyze(item.question)
        candidates = assistant.engine.retriever.run(
            analysis, top_k=assistant.settings.candidates, readable=assistant.readable
        )
        rows = rank_features(candidates, assistant.scorer.run(analysis, candidates))
        matrix = np.array([[row[name] for name in FEATURES] for row in rows])
        found.append(Question([h.chunk for h in candidates], matrix, relevant))
    return found


def fit(questions: list[Question], regularisation: float) -> np.ndarray:
    """Weights in the features' own units (score = features @ weights)."""
    scaler = StandardScaler().fit(np.vstack([q.features for q in questions]))
    differences, weights = [], []
    for q in questions:
        standardised = scaler.transform(q.features)
        labelled = np.array([c.chunk_id in q.relevant for c in q.candidates])
        pairs = [p - n for p in standardised[labelled] for n in standardised[~labelled]]
        if not pairs:  # every candidate labelled, or none: nothing to order
            continue
        differences += pairs
        weights += [1.0 / len(pairs)] * len(pairs)
    x = np.array(differences)
    both_ways = np.vstack([x, -x])  # symmetric, so the intercept comes out 0
    coefficients, _ = fit_monotone_logistic(
        both_ways,
        np.r_[np.ones(len(x)), np.zeros(len(x))],
        [1] * len(FEATURES),  # more of any signal never makes a chunk worse
        c=regularisation,
        sample_weight=np.r_[weights, weights],
    )
    return coefficients / scaler.scale_


def scores(questions: list[Question], weights: np.ndarray) -> dict[str, float]:
    per_question = []
    for q in questions:
        order = np.argsort(-(q.features @ weights), kind="stable")
        per_question.append(retrieval_scores([q.candidates[i] for i in order], q.relevant))
    return {name: statistics.fmean(s[name] for s in per_question) for name in ("mrr@10", "hit@5")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "rag" / "resources" / "ranker_model.json")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "eval" / "out" / "fit")
    parser.add_argument("--regularisation", type=float, default=REGULARISATION, help="sklearn's C")
    args = parser.parse_args()

    sets = {
        q.parent.name: dev_questions(q, corpus, args.work_dir / q.parent.name) for q, corpus in DEV_SETS if q.exists()
    }
    left_out = {}
    for name, held in sets.items():
        rest = [q for other, qs in sets.items() if other != name for q in qs]
        left_out[name] = scores(held, fit(rest, args.regularisation)) if rest else None
        print(f"left out {name} ({len(held)} questions): {left_out[name]}", file=sys.stderr)
    weights = fit([q for qs in sets.values() for q in qs], args.regularisation)
    payload = {
        "features": list(FEATURES),
        "weights": dict(zip(FEATURES, weights.round(6).tolist(), strict=True)),
        "regularisation": args.regularisation,
        "fitted_on": [str(q.relative_to(ROOT)) + " (split=dev)" for q, _ in DEV_SETS if q.exists()],
        "dev_report": {"questions": {n: len(qs) for n, qs in sets.items()}, "left_out": left_out},
    }
    args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(payload, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
