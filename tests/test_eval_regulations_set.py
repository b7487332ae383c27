"""The regulations dev set: dev only, and every label and key point is found in its gold file."""

from rag.evaluation import load_eval_set
from rag.normalize import normalize

from .conftest import ROOT

SET = ROOT / "eval" / "regulations"


def test_every_item_is_dev_and_every_label_is_in_its_gold_file():
    items = load_eval_set(SET / "questions.jsonl")
    texts = {path.stem: normalize(path.read_text(encoding="utf-8")) for path in (SET / "corpus").glob("*.md")}
    assert len(items) >= 60 and all(item.split == "dev" for item in items)
    answerable = [item for item in items if item.answerable]
    assert len(items) - len(answerable) >= 20
    for item in answerable:
        gold = [texts[label.doc] for label in item.relevant]
        assert all(normalize(label.quote) in texts[label.doc] for label in item.relevant), item.id
        assert all(any(normalize(point) in text for text in gold) for point in item.key_points), item.id
