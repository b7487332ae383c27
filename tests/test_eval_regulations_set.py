"""The regulations set: a dev split the fits read and a test split they never do, every label and key point
found in its gold file."""

from rag.evaluation import load_eval_set
from rag.normalize import normalize

from .conftest import ROOT

SET = ROOT / "eval" / "regulations"


def test_both_splits_are_there_and_every_label_is_in_its_gold_file():
    items = load_eval_set(SET / "questions.jsonl")
    texts = {path.stem: normalize(path.read_text(encoding="utf-8")) for path in (SET / "corpus").glob("*.md")}
    splits = {split: [item for item in items if item.split == split] for split in ("dev", "test")}
    assert len(splits["dev"]) >= 60 and len(splits["test"]) >= 50 and len(items) == sum(map(len, splits.values()))
    assert all(sum(not item.answerable for item in split) >= 10 for split in splits.values())
    answerable = [item for item in items if item.answerable]
    for item in answerable:
        gold = [texts[label.doc] for label in item.relevant]
        assert all(normalize(label.quote) in texts[label.doc] for label in item.relevant), item.id
        assert all(any(normalize(point) in text for text in gold) for point in item.key_points), item.id
