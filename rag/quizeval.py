"""The quiz quality check (issue 14): of the items made over the demo corpus, how many a reviewer judged
answerable from the cited clause alone and unambiguous.

The items are regenerated from a spec (topics, counts, seed) and matched to the reviewer's labels by
their key (a hash of the cited quote and the blank), so a changed generator shows up as items without a
label, counted as not good until someone reviews them.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.quiz import QuizItem, QuizMaker
from rag.service import Assistant


@dataclass(frozen=True)
class QuizSpec:
    topics: dict[str, int]  # topic → number of items
    seed: int
    corpus: list[Path] = field(default_factory=lambda: [Path("corpus")])
    user_dict: Path | None = None
    synonyms: Path | None = None

    @classmethod
    def load(cls, path: Path) -> "QuizSpec":
        raw = json.loads(path.read_text(encoding="utf-8"))
        optional = {k: Path(raw[k]) for k in ("user_dict", "synonyms") if raw.get(k)}
        return cls(raw["topics"], raw["seed"], [Path(p) for p in raw.get("corpus", ["corpus"])], **optional)


@dataclass(frozen=True)
class QuizLabel:
    key: str
    answerable: bool  # from the cited clause alone
    unambiguous: bool  # exactly one fill, or one option, is right
    reason: str

    @property
    def good(self) -> bool:
        return self.answerable and self.unambiguous


@dataclass(frozen=True)
class QuizReview:
    items: list[tuple[str, QuizItem]]  # (topic, item)
    labels: dict[str, QuizLabel]

    @property
    def good(self) -> list[QuizItem]:
        return [item for _, item in self.items if item.key in self.labels and self.labels[item.key].good]

    @property
    def rejected(self) -> list[tuple[QuizItem, QuizLabel]]:
        return [(i, self.labels[i.key]) for _, i in self.items if i.key in self.labels and not self.labels[i.key].good]

    @property
    def unlabelled(self) -> list[QuizItem]:
        return [item for _, item in self.items if item.key not in self.labels]


def generate(assistant: Assistant, spec: QuizSpec) -> list[tuple[str, QuizItem]]:
    """Each topic's items; a clause that two topics both drew (perhaps with another blank) counted once."""
    items: dict[tuple[str, int], tuple[str, QuizItem]] = {}
    for topic, count in spec.topics.items():
        for item in QuizMaker(assistant).run(topic, count, spec.seed).items:
            items.setdefault((item.citation.doc_id, item.citation.start), (topic, item))
    return list(items.values())


def item_record(topic: str, item: QuizItem) -> dict:
    return {"topic": topic} | asdict(item)


def load_labels(path: Path) -> dict[str, QuizLabel]:
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            labels[raw["key"]] = QuizLabel(raw["key"], raw["answerable"], raw["unambiguous"], raw.get("reason", ""))
    return labels
