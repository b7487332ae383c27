"""The coverage fit's threshold: at most the allowed share of answerable dev questions declined, and not
sitting on a dev point, so that a question a hair below that point is not declined with it."""

import numpy as np

from eval.fit_coverage import margin_threshold


def test_it_lies_halfway_between_the_last_declined_and_the_first_accepted_question():
    answerable = np.array(
        [0.9, 0.1, 0.5, 0.3, 0.7, 0.8, 0.6, 0.65, 0.75, 0.85, 0.95, 0.55, 0.45, 0.35, 0.25, 0.2, 0.15, 0.4, 0.05, 0.99]
    )  # 20 questions: 5% allows one to be declined
    threshold = margin_threshold(answerable, 0.05)
    assert 0.05 < threshold < 0.1
    assert threshold == 0.075
    assert (answerable < threshold).sum() == 1


def test_with_no_refusal_allowed_every_answerable_question_is_accepted():
    answerable = np.array([0.312181777, 0.4, 0.9])
    threshold = margin_threshold(answerable, 0.0)
    assert threshold <= answerable.min()  # rounded down: the lowest is not declined by rounding
    assert (answerable < threshold).sum() == 0


def test_no_answerable_dev_question_leaves_an_even_threshold():
    assert margin_threshold(np.array([]), 0.05) == 0.5
