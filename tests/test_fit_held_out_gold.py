"""The coverage fit's must-decline examples: an answerable dev question asked without its gold
documents, only when no other document states its answer."""

from eval.fit_coverage import _without_answer
from rag.evaluation import EvalItem, Label

TEXTS = {"leave_a": "年休假10天。", "travel_b": "住宿标准400元/晚。", "travel_c": "出差须事先审批。"}


def item(key_point: str, doc: str = "travel_b", **extra: object) -> EvalItem:
    return EvalItem("q", "问题？", "company", (Label(quote="", doc=doc),), (key_point,), **extra)


def test_the_gold_document_is_left_out():
    assert _without_answer(item("400元/晚"), TEXTS) == frozenset({"leave_a", "travel_c"})


def test_no_example_when_another_document_states_the_answer():
    texts = TEXTS | {"travel_d": "一线城市住宿400元/晚。"}
    assert _without_answer(item("400元/晚"), texts) is None


def test_no_example_from_a_must_decline_item_or_one_without_key_points():
    assert _without_answer(item("400元/晚", refusal="not_covered"), TEXTS) is None
    assert _without_answer(EvalItem("q", "问题？", "company", (Label(quote="", doc="travel_b"),)), TEXTS) is None
