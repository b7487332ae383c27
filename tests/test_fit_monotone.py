"""The coverage fit keeps each weight on the side its signal points to (rag.coverage.DIRECTIONS)."""

import json
from importlib.resources import files

import numpy as np
from sklearn.linear_model import LogisticRegression

from eval.fit_coverage import fit_monotone_logistic
from rag.coverage import DIRECTIONS


def test_it_is_sklearns_fit_when_no_sign_is_in_the_way():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 3))
    truth = (features @ np.array([1.5, 0.8, -1.2]) + rng.normal(scale=0.8, size=400) > 0.3).astype(int)
    weights, intercept = fit_monotone_logistic(features, truth, [1, 1, -1])
    reference = LogisticRegression(C=1.0, class_weight="balanced").fit(features, truth)
    assert np.allclose(weights, reference.coef_[0], rtol=0.01)
    assert abs(intercept - reference.intercept_[0]) < 0.01


def test_a_signal_that_moves_with_a_stronger_one_cannot_take_the_wrong_sign():
    rng = np.random.default_rng(1)
    coverage = rng.normal(size=300)
    # "missing" is nearly minus coverage plus noise that happens to go with the label:
    truth = (coverage + rng.normal(scale=0.5, size=300) > 0).astype(int)
    missing = -0.9 * coverage + 0.6 * (truth - 0.5) + rng.normal(scale=0.2, size=300)
    features = np.column_stack([coverage, missing])
    free = LogisticRegression(C=1.0, class_weight="balanced").fit(features, truth).coef_[0]
    assert free[1] > 0  # unconstrained, a missing term would count for an answer
    weights, _ = fit_monotone_logistic(features, truth, [1, -1])
    assert weights[0] > 0 and weights[1] <= 0


def test_the_bundled_model_follows_the_directions():
    model = json.loads((files("rag") / "resources" / "coverage_model.json").read_text(encoding="utf-8"))
    assert set(model["weights"]) == set(DIRECTIONS)
    for name, weight in model["weights"].items():
        assert weight * DIRECTIONS[name] >= 0, name
