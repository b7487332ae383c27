"""Fit the "covered" model (rag/coverage.py) on dev questions only, and write it as JSON.

    .venv/bin/python eval/fit_coverage.py [--out rag/resources/coverage_model.json]

Each dev set is a question file with its corpus; only items whose `split` is `dev` are read, so the
test split and the public sets stay unseen. Each answerable dev question is also asked once more with
its gold documents left out, as a must-decline example (`_without_answer`). The threshold is the
highest one at which at most `--max-false-refusals` of the answerable dev questions are declined: a
wrongly declined everyday question costs an employee more than a cautious answer that cites its sources.
"""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.coverage import DIRECTIONS, FEATURES, coverage_features  # noqa: E402
from rag.evaluation import CONFIGS, DEFAULT_CONFIG, EvalItem, Evaluator, load_eval_set  # noqa: E402
from rag.ingest import embedder_name  # noqa: E402
from rag.normalize import normalize  # noqa: E402
from rag.service import Assistant  # noqa: E402

DEV_SETS = (
    (ROOT / "eval" / "questions.jsonl", ROOT / "corpus"),
    (ROOT / "eval" / "company" / "questions.jsonl", ROOT / "eval" / "company" / "corpus"),
    # Employee questions over 40 real regulations, all dev: many documents, lay wording, named near misses.
    (ROOT / "eval" / "regulations" / "questions.jsonl", ROOT / "eval" / "regulations" / "corpus"),
)


def dev_assistant(corpus: Path, work_dir: Path) -> Assistant:
    """The default configuration over a dev corpus, its index under `work_dir` brought up to date."""
    config = CONFIGS[DEFAULT_CONFIG]
    evaluator = Evaluator([corpus], work_dir, progress=lambda m: print(m, file=sys.stderr))
    evaluator.build(config)
    return Assistant(evaluator._settings(config))


def dev_features(questions: Path, corpus: Path, work_dir: Path) -> tuple[list[list[float]], list[int]]:
    items = load_eval_set(questions, split="dev")
    assistant = dev_assistant(corpus, work_dir)
    texts = {d: normalize(assistant.index.text_of(r)) for d, r in assistant.index.manifest.documents.items()}
    rows, labels = [], []
    for item in items:
        rows.append(_features(assistant, item.question))
        labels.append(int(item.answerable))
        if (rest := _without_answer(item, texts)) is not None:
            held_out = Assistant(engine=assistant.engine)
            held_out.readable = rest
            rows.append(_features(held_out, item.question))
            labels.append(0)
    return rows, labels


def _features(assistant: Assistant, question: str) -> list[float]:
    analysis = assistant.analyze(question)
    retrieved = assistant.retrieve(analysis)
    scored = assistant.scorer.run(analysis, retrieved)
    features = coverage_features(analysis, retrieved, scored[0] if scored else None, assistant.index.tokenizer)
    return [features[name] or 0.0 for name in FEATURES]


def _without_answer(item: EvalItem, texts: dict[str, str]) -> frozenset[str] | None:
    """The documents other than an answerable question's gold ones, when none of them states its key
    points: asked of those, the question is about a topic the corpus lacks and must be declined (how
    the public sets build their must-decline items). Near misses are rare in hand-written dev sets;
    these give the model as many must-decline examples as answerable ones, from the same questions."""
    if not item.answerable or not item.key_points:
        return None
    gold = {d for d in texts if any(label.names(d) for label in item.relevant)}
    rest = frozenset(texts) - gold
    points = [normalize(point) for point in item.key_points]
    if not gold or not rest or any(point in texts[d] for point in points for d in rest):
        return None
    return rest


def fit_monotone_logistic(
    features: np.ndarray,
    truth: np.ndarray,
    directions: list[int],
    c: float = 1.0,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression (sklearn's objective; class-balanced unless `sample_weight` is
    given) whose i-th weight keeps the sign `directions[i]` (or is 0): scikit-learn's LogisticRegression
    has no bounds, so the same loss is minimised by L-BFGS-B with them. Returns the weights and the intercept."""
    if sample_weight is None:
        sample_weight = compute_sample_weight("balanced", truth)
    signed = np.where(truth == 1, 1.0, -1.0)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights, intercept = theta[:-1], theta[-1]
        margin = signed * (features @ weights + intercept)
        # d/dz log(1 + e^(-m)) = -σ(-m)
        slope = -sample_weight * signed / (1.0 + np.exp(margin))
        value = float(c * sample_weight @ np.logaddexp(0.0, -margin) + 0.5 * weights @ weights)
        gradient = np.append(c * features.T @ slope + weights, c * slope.sum())
        return value, gradient

    bounds = [(0.0, None) if direction > 0 else (None, 0.0) for direction in directions] + [(None, None)]
    result = minimize(loss, np.zeros(features.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x[:-1], float(result.x[-1])


def margin_threshold(answerable: np.ndarray, max_false_refusals: float) -> float:
    """The threshold that declines at most that share of the answerable dev questions, halfway between
    the last one it declines and the first it accepts: a threshold on a dev point itself is the most
    fragile choice, one that questions a hair below that point all fall under. Rounded down, so that
    no accepted dev point ends up below it."""
    if not len(answerable):
        return 0.5
    ordered = np.sort(answerable)
    allowed = int(np.floor(max_false_refusals * len(ordered)))
    accepted = ordered[allowed]
    threshold = (ordered[allowed - 1] + accepted) / 2 if allowed else accepted
    return math.floor(threshold * 1e6) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "rag" / "resources" / "coverage_model.json")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "eval" / "out" / "fit")
    parser.add_argument("--max-false-refusals", type=float, default=0.05)
    args = parser.parse_args()

    rows: list[list[float]] = []
    labels: list[int] = []
    for questions, corpus in DEV_SETS:
        if questions.exists():
            x, y = dev_features(questions, corpus, args.work_dir / questions.parent.name)
            rows += x
            labels += y
    features, truth = np.array(rows), np.array(labels)
    scaler = StandardScaler().fit(features)
    standardised = scaler.transform(features)
    weights, intercept = fit_monotone_logistic(standardised, truth, [DIRECTIONS[name] for name in FEATURES])
    probabilities = 1.0 / (1.0 + np.exp(-(standardised @ weights + intercept)))

    threshold = margin_threshold(probabilities[truth == 1], args.max_false_refusals)
    declined = probabilities < threshold
    report = {
        "dev_questions": len(truth),
        "dev_answerable": int(truth.sum()),
        "dev_false_refusal_rate": float(declined[truth == 1].mean()),
        "dev_refusal_recall": float(declined[truth == 0].mean()) if (truth == 0).any() else None,
    }
    payload = {
        "features": list(FEATURES),
        "weights": dict(zip(FEATURES, weights.round(6).tolist(), strict=True)),
        "means": dict(zip(FEATURES, scaler.mean_.round(6).tolist(), strict=True)),
        "scales": dict(zip(FEATURES, scaler.scale_.round(6).tolist(), strict=True)),
        "intercept": round(intercept, 6),
        "threshold": threshold,
        "embedder": embedder_name(Settings(_env_file=None)),
        "fitted_on": [str(q.relative_to(ROOT)) + " (split=dev)" for q, _ in DEV_SETS if q.exists()],
        "dev_report": report,
    }
    args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(payload, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
