"""The draft quality check (issue 14): are a draft's clauses about the topic, in the right section, and
said once?

Drafts are regenerated from a spec (topics over three corpora, a few the drafter must decline) and scored
against labels a reviewer wrote by reading the documents, not the drafts:

- relevance, per topic and section: which (document, section path) parts are about drafting the topic, or,
  where one section is about many things, which of its sentences are. A clause is relevant when every
  source it cites lies inside one, so the labels stay valid whatever the drafter picks;
- placement, per source sentence (document and quote, whitespace ignored): the draft sections a careful
  writer would accept it in. A relevant clause without a label counts as misplaced until someone labels it;
- duplicates: a clause whose cited span, or near-identical text, was already used earlier in the same draft
  or the same handbook (one per corpus, its covered topics as chapters).

A clause with options (a 【待评审】 prompt) is scored by its options, the clauses a reviewer chooses from; a list
by its lead-in and each of its items.

Each topic belongs to a split: "dev" (the default), the topics the drafter's rules were developed on, or "test",
topics added later and labelled blind, whose drafts nobody tuned on. Figures are reported for each split and for
all topics together; the spec's bars gate the dev split and all, never the test split alone, so held-out figures
are reported, not tuned on. Handbooks are made per corpus and split (a dev handbook from the dev topics only).
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.answer import jaccard
from rag.draft import Clause, Draft, Drafter, DraftSection, Handbook, TopicNotCoveredError
from rag.errors import RagError
from rag.models import Citation
from rag.normalize import normalize, strip_annotations
from rag.sentences import split_sentences
from rag.service import Assistant
from rag.topics import within

SECTION_NAMES = frozenset(s.value for s in DraftSection)
SPLITS = ("dev", "test")  # a topic's split; "all" is both together
DUPLICATE_JACCARD = 0.6


@dataclass(frozen=True)
class CorpusSpec:
    paths: list[Path]
    handbook: str  # the title of the handbook its covered topics make
    user_dict: Path | None = None
    synonyms: Path | None = None


@dataclass(frozen=True)
class TopicSpec:
    topic: str
    corpus: str
    must_decline: bool = False  # the corpus does not cover it: refused, or drafted with a thin-draft warning
    split: str = "dev"  # "test": held out, labelled blind, reported but never gated on alone


@dataclass(frozen=True)
class Bars:
    min_relevance: float
    min_placement: float
    max_duplicate_rate: float


@dataclass(frozen=True)
class DraftSpec:
    corpora: dict[str, CorpusSpec]
    topics: list[TopicSpec]
    bars: Bars

    @classmethod
    def load(cls, path: Path) -> "DraftSpec":
        raw = json.loads(path.read_text(encoding="utf-8"))
        corpora = {
            name: CorpusSpec(
                [Path(p) for p in c["paths"]],
                c["handbook"],
                *(Path(c[k]) if c.get(k) else None for k in ("user_dict", "synonyms")),
            )
            for name, c in raw["corpora"].items()
        }
        topics = [
            TopicSpec(t["topic"], t["corpus"], t.get("must_decline", False), t.get("split", "dev"))
            for t in raw["topics"]
        ]
        if unknown := {t.corpus for t in topics} - corpora.keys():
            raise RagError(f"{path}：主题引用了未定义的文档集 {sorted(unknown)}")
        if bad := {t.split for t in topics} - set(SPLITS):
            raise RagError(f"{path}：split 须为 {' 或 '.join(SPLITS)}，不能是 {sorted(bad)}")
        return cls(corpora, topics, Bars(**raw["bars"]))


def sentence_key(doc_id: str, quote: str) -> tuple[str, str]:
    """A source sentence, whatever line breaks or spaces its extraction left in it."""
    return doc_id, "".join(quote.split())


def sentences_of(quote: str) -> list[str]:
    """The sentences a cited span consists of: a drafter may quote a whole article where labels name its
    sentences one by one."""
    return [quote[start:end] for start, end in split_sentences(quote)]


@dataclass(frozen=True)
class RelevanceLabel:
    topic: str
    doc_id: str
    section: str  # a section path prefix
    quote: str | None  # one sentence of that section; None: all of it
    reason: str

    def covers(self, citation: Citation) -> bool:
        if citation.doc_id != self.doc_id or not within(citation.section, self.section):
            return False
        if self.quote is None:
            return True
        quotes = {citation.quote, *sentences_of(citation.quote)}
        return sentence_key(self.doc_id, self.quote) in {sentence_key(citation.doc_id, q) for q in quotes}


@dataclass(frozen=True)
class PlacementLabel:
    doc_id: str
    quote: str
    sections: frozenset[str]  # the draft sections a careful writer would accept the sentence in
    reason: str


@dataclass(frozen=True)
class Labels:
    relevance: dict[str, list[RelevanceLabel]]  # topic → its labels
    placement: dict[tuple[str, str], PlacementLabel]  # sentence_key → label

    @classmethod
    def load(cls, path: Path) -> "Labels":
        relevance: dict[str, list[RelevanceLabel]] = {}
        placement: dict[tuple[str, str], PlacementLabel] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            if raw["kind"] == "relevance":
                label = RelevanceLabel(raw["topic"], raw["doc_id"], raw["section"], raw.get("quote"), raw["reason"])
                relevance.setdefault(label.topic, []).append(label)
            else:
                sections = frozenset(raw["sections"] or ())
                if not sections or sections - SECTION_NAMES:
                    raise RagError(
                        f"{path}:{number}：sections 须为以下章节之一或几个：{'、'.join(sorted(SECTION_NAMES))}"
                    )
                placement[sentence_key(raw["doc_id"], raw["quote"])] = PlacementLabel(
                    raw["doc_id"], raw["quote"], sections, raw["reason"]
                )
        return cls(relevance, placement)

    def relevant(self, topic: str, citation: Citation) -> bool:
        return any(label.covers(citation) for label in self.relevance.get(topic, ()))

    def accepted(self, citations: Sequence[Citation]) -> frozenset[str] | None:
        """Sections every cited span may go in (a span without a label of its own: every one of its sentences);
        None when a span or one of its sentences has no label yet."""
        labels = []
        for c in citations:
            whole = self.placement.get(sentence_key(c.doc_id, c.quote))
            parts = [whole] if whole else [self.placement.get(sentence_key(c.doc_id, q)) for q in sentences_of(c.quote)]
            labels += parts
        if not labels or None in labels:
            return None
        return frozenset.intersection(*(label.sections for label in labels))


@dataclass(frozen=True)
class ScoredClause:
    topic: str
    section: str  # where the draft placed it
    text: str
    citations: tuple[Citation, ...]
    relevant: bool
    accepted: frozenset[str] | None
    unit: int = 0  # the numbered clause it belongs to (a prompt's options, or a list and its items, share one)

    @property
    def placed(self) -> bool:
        """Unlabelled counts as misplaced: a drafter cannot pass by citing sentences nobody has judged."""
        return self.accepted is not None and self.section in self.accepted

    def record(self) -> dict:
        return {
            "section": self.section,
            "text": self.text,
            "relevant": self.relevant,
            "accepted": sorted(self.accepted) if self.accepted is not None else None,
            "placed": self.placed,
            "citations": [
                {"doc_id": c.doc_id, "section": c.section, "quote": c.quote, "start": c.start, "end": c.end}
                for c in self.citations
            ],
        }


def real_clauses(draft: Draft) -> Iterator[tuple[int, str, Clause]]:
    """(unit, section, clause) for every clause a reader would adopt: a prompt's options instead of the prompt,
    and a list's items after its lead-in (each quotes its own sentence); `unit` numbers the draft's clauses."""
    clauses = ((str(part.section), clause) for part in draft.parts for clause in part.clauses)
    for unit, (section, clause) in enumerate(clauses):
        for real in clause.options or (clause,):
            yield unit, section, real
            for item in getattr(real, "items", ()):
                yield unit, section, item


def score_draft(
    topic: str, draft: Draft, labels: Labels, citations: Sequence[Citation] | None = None
) -> list[ScoredClause]:
    """`citations` is the numbering the clause ids refer to: a handbook's shared list, or the draft's own."""
    by_id = {c.id: c for c in (draft.citations if citations is None else citations)}
    scored = []
    for unit, section, clause in real_clauses(draft):
        cited = tuple(by_id[i] for i in clause.citation_ids)
        relevant = bool(cited) and all(labels.relevant(topic, c) for c in cited)
        scored.append(ScoredClause(topic, section, clause.text, cited, relevant, labels.accepted(cited), unit))
    return scored


def _comparable(text: str) -> str:
    return "".join(normalize(strip_annotations(text)).split())


def find_duplicates(clauses: Sequence[ScoredClause]) -> list[ScoredClause]:
    """The clauses that say again what an earlier one said: the same cited span, or near-identical text
    (bigram Jaccard ≥ 0.6, or one text inside the other). Texts within one numbered clause are not compared:
    a prompt's options differ in one figure and a list's items share its wording by design."""
    seen_spans: set[tuple[str, int, int]] = set()
    seen_texts: list[tuple[int, str]] = []
    found = []
    for clause in clauses:
        spans = {(c.doc_id, c.start, c.end) for c in clause.citations}
        text = _comparable(clause.text)
        if spans & seen_spans or any(
            unit != clause.unit and (text in other or other in text or jaccard(text, other) >= DUPLICATE_JACCARD)
            for unit, other in seen_texts
        ):
            found.append(clause)
        seen_spans |= spans
        seen_texts.append((clause.unit, text))
    return found


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass
class TopicResult:
    spec: TopicSpec
    clauses: list[ScoredClause] = field(default_factory=list)
    declined: str | None = None  # the refusal, when the drafter raised TopicNotCoveredError
    warnings: list[str] = field(default_factory=list)

    @property
    def handled(self) -> bool:
        """A must-decline topic is refused or flagged thin; any other topic is drafted."""
        if self.spec.must_decline:
            return self.declined is not None or bool(self.warnings)
        return self.declined is None

    @property
    def duplicates(self) -> list[ScoredClause]:
        return find_duplicates(self.clauses)


@dataclass
class HandbookResult:
    corpus: str
    title: str
    clauses: list[ScoredClause]
    split: str = "dev"

    @property
    def duplicates(self) -> list[ScoredClause]:
        return find_duplicates(self.clauses)


def score_handbook(corpus: str, handbook: Handbook, labels: Labels, split: str = "dev") -> HandbookResult:
    """The chapters' clauses in order, numbered through the handbook so that no two chapters share a unit."""
    clauses: list[ScoredClause] = []
    for chapter in handbook.chapters:
        first = clauses[-1].unit + 1 if clauses else 0
        scored = score_draft(chapter.topic, chapter, labels, handbook.citations)
        clauses += [replace(c, unit=c.unit + first) for c in scored]
    return HandbookResult(corpus, handbook.title, clauses, split)


@dataclass
class DraftReview:
    topics: list[TopicResult]
    handbooks: list[HandbookResult]

    def split(self, name: str) -> "DraftReview":
        """The topics and handbooks of one split; "all" is the whole review."""
        if name == "all":
            return self
        topics = [t for t in self.topics if t.spec.split == name]
        return DraftReview(topics, [h for h in self.handbooks if h.split == name])

    @property
    def clauses(self) -> list[ScoredClause]:
        """The clauses relevance and placement are measured on: must-decline topics have none to judge."""
        return [c for t in self.topics if not t.spec.must_decline for c in t.clauses]

    @property
    def relevant(self) -> list[ScoredClause]:
        return [c for c in self.clauses if c.relevant]

    @property
    def relevance(self) -> float:
        return share(len(self.relevant), len(self.clauses))

    @property
    def placement(self) -> float:
        return share(sum(c.placed for c in self.relevant), len(self.relevant))

    @property
    def unlabelled(self) -> list[ScoredClause]:
        return [c for c in self.relevant if c.accepted is None]

    @property
    def draft_duplicate_rate(self) -> float:
        return share(sum(len(t.duplicates) for t in self.topics if not t.spec.must_decline), len(self.clauses))

    @property
    def handbook_duplicate_rate(self) -> float:
        return share(sum(len(h.duplicates) for h in self.handbooks), sum(len(h.clauses) for h in self.handbooks))

    def metric_failures(self, bars: Bars, prefix: str = "") -> list[str]:
        """The spec's bars, checked on this review's figures."""
        failures = []
        if self.relevance < bars.min_relevance:
            failures.append(f"{prefix}条款相关率 {self.relevance:.1%} 低于 {bars.min_relevance:.0%}")
        if self.placement < bars.min_placement:
            failures.append(
                f"{prefix}章节位置正确率 {self.placement:.1%} 低于 {bars.min_placement:.0%}（未标注计为不正确）"
            )
        for name, rate in (("单篇", self.draft_duplicate_rate), ("手册", self.handbook_duplicate_rate)):
            if rate > bars.max_duplicate_rate:
                failures.append(f"{prefix}{name}重复率 {rate:.1%} 高于 {bars.max_duplicate_rate:.0%}")
        return failures

    def failures(self, bars: Bars) -> list[str]:
        """The bars on the dev split and on all topics, and every dev topic handled; the test split is reported
        (see `totals`), never gated on alone, so that nobody tunes the drafter to it."""
        dev = self.split("dev")
        failures = dev.metric_failures(bars, "开发集") + self.metric_failures(bars, "全部主题")
        for t in dev.topics:
            if not t.handled:
                expected = "应拒绝或提示内容单薄" if t.spec.must_decline else "应起草，却被拒绝"
                failures.append(f"主题“{t.spec.topic}”（{t.spec.corpus}）{expected}")
        return failures

    def totals(self) -> dict:
        return {
            "topics": len(self.topics),
            "clauses": len(self.clauses),
            "relevant": len(self.relevant),
            "relevance": round(self.relevance, 4),
            "placement": round(self.placement, 4),
            "unlabelled": len(self.unlabelled),
            "draft_duplicate_rate": round(self.draft_duplicate_rate, 4),
            "handbook_duplicate_rate": round(self.handbook_duplicate_rate, 4),
            "must_decline_handled": sum(t.handled for t in self.topics if t.spec.must_decline),
            "must_decline": sum(t.spec.must_decline for t in self.topics),
            "drafted": sum(t.handled for t in self.topics if not t.spec.must_decline),
            "to_draft": sum(not t.spec.must_decline for t in self.topics),
        }

    def to_json(self, bars: Bars) -> dict:
        return {
            "totals": {name: self.split(name).totals() for name in (*SPLITS, "all")},
            "bars": vars(bars),
            "gated": ["dev", "all"],
            "failures": self.failures(bars),
            "topics": [
                {
                    "topic": t.spec.topic,
                    "corpus": t.spec.corpus,
                    "split": t.spec.split,
                    "must_decline": t.spec.must_decline,
                    "declined": t.declined,
                    "warnings": t.warnings,
                    "handled": t.handled,
                    "duplicates": [c.text for c in t.duplicates],
                    "clauses": [c.record() for c in t.clauses],
                }
                for t in self.topics
            ],
            "handbooks": [
                {
                    "corpus": h.corpus,
                    "split": h.split,
                    "title": h.title,
                    "clauses": len(h.clauses),
                    "duplicates": [c.text for c in h.duplicates],
                }
                for h in self.handbooks
            ],
        }


def run_review(spec: DraftSpec, labels: Labels, assistants: Mapping[str, Assistant]) -> DraftReview:
    """Draft every topic on its corpus, then one handbook per corpus and split from the topics it covers (so the
    dev handbooks are what they were before held-out topics were added)."""
    topics = []
    for topic in spec.topics:
        result = TopicResult(topic)
        try:
            draft = Drafter(assistants[topic.corpus]).run(topic.topic)
        except TopicNotCoveredError as error:
            result.declined = str(error)
        else:
            result.clauses = score_draft(topic.topic, draft, labels)
            result.warnings = list(getattr(draft, "warnings", []))  # the thin-draft warning, where the drafter has it
        topics.append(result)
    handbooks = []
    for split in SPLITS:
        for name, corpus in spec.corpora.items():
            chapters = [t.topic for t in spec.topics if t.corpus == name and t.split == split and not t.must_decline]
            if chapters:
                handbook = Drafter(assistants[name]).handbook(corpus.handbook, chapters)
                handbooks.append(score_handbook(name, handbook, labels, split))
    return DraftReview(topics, handbooks)


def unlabelled_records(clauses: Iterable[ScoredClause], labels: Labels) -> list[dict]:
    """The cited sentences still to be labelled, once each, in the label format with `sections` left null."""
    records: dict[tuple[str, str], dict] = {}
    for clause in clauses:
        for c in clause.citations:
            key = sentence_key(c.doc_id, c.quote)
            if key not in records and labels.accepted([c]) is None:
                records[key] = {
                    "kind": "placement",
                    "doc_id": c.doc_id,
                    "quote": c.quote,
                    "sections": None,
                    "reason": "",
                    "topic": clause.topic,
                    "placed": clause.section,
                    "source_section": c.section,
                }
    return list(records.values())
