"""Drafting standards and handbooks from the indexed documents, every clause quoted and cited.

A draft is assembled, not written: the sentences the documents already state about a topic are
gathered with the query pipeline, sorted into the conventional sections of a Chinese standard by
what they say (是指 → 术语与定义, 职责 → 职责分工, 流程 → 流程…), merged without repetition, and
cited. A section no source supports is marked as a gap for the writer instead of being filled.
Where sources give different time limits for the same requirement, the clause offers each as an
option for the reviewer to choose.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from rag.answer import jaccard
from rag.errors import RagError
from rag.evidence import DURATION, ScoredSentence
from rag.llm import ClauseRewriter
from rag.models import Citation, RetrievedChunk
from rag.normalize import strip_annotations
from rag.service import Assistant

GAP_MARK = "【待补充：现有文档未覆盖】"
_TOPIC_MIN_COVERAGE = 0.5  # share of the topic's weighted terms a sentence (with its headings) must carry
_MIN_CLAUSE_CHARS = 8
_MAX_CLAUSES = {"内容与要求": 10}
_DEFAULT_MAX_CLAUSES = 5
_DUPLICATE_JACCARD = 0.6
_SECTION_HITS = 8


class DraftSection(StrEnum):
    """The conventional sections of a Chinese standard, in their usual order."""

    PURPOSE = "目的"
    SCOPE = "适用范围"
    TERMS = "术语与定义"
    RESPONSIBILITIES = "职责分工"
    REQUIREMENTS = "内容与要求"
    PROCESS = "流程"
    ASSESSMENT = "考核与改进"
    SUPPLEMENTARY = "附则"


DEFAULT_OUTLINE: tuple[DraftSection, ...] = tuple(DraftSection)
_OPTIONAL = {DraftSection.TERMS}  # "where relevant": left out, not reported, when nothing defines the topic

# How each section asks the documents about the topic; 附则 (解释权, 生效日期) is the writer's own.
_QUERIES: dict[DraftSection, str] = {
    DraftSection.PURPOSE: "{topic}的目的和意义是什么？",
    DraftSection.SCOPE: "{topic}适用于哪些范围和对象？",
    DraftSection.TERMS: "什么是{topic}？",
    DraftSection.RESPONSIBILITIES: "{topic}中各部门和岗位的职责如何划分？",
    DraftSection.REQUIREMENTS: "{topic}包括哪些内容和要求？",
    DraftSection.PROCESS: "{topic}的流程和步骤是什么？",
    DraftSection.ASSESSMENT: "{topic}如何考核、评估和持续改进？",
}

# What a sentence says decides its section; checked in this order, the rest are requirements.
_CUES: tuple[tuple[DraftSection, re.Pattern[str]], ...] = (
    (DraftSection.TERMS, re.compile(r"是指|指的是|定义为|所谓")),
    (DraftSection.PROCESS, re.compile(r"→|->|步骤|首先|然后|依次|流程[:：]")),
    (DraftSection.REQUIREMENTS, re.compile(r"(包括|包含|分为)[^。]*、")),  # an enumeration of contents
    (DraftSection.RESPONSIBILITIES, re.compile(r"职责|负责|责任主体|分工|权限")),
    (DraftSection.ASSESSMENT, re.compile(r"考核|评估|评价|改进|监督|审计|绩效|指标|kpi", re.IGNORECASE)),
    (DraftSection.SCOPE, re.compile(r"适用|范围|对象|针对")),
    (DraftSection.PURPOSE, re.compile(r"目的|旨在|意义|有助于|为了|通过.+(能够|可以)")),
    (DraftSection.PROCESS, re.compile(r"流程|环节|程序")),
)
# Transitions that state nothing on their own (以下是…内容:, 总之…).
_TRANSITION = re.compile(r"^(以下|下面|以上|总之|综上|总体来说|总而言之)|[:：]$")
_ENUMERATOR = re.compile(r"^\s*(?:\d+[.、．]|[（(]\d+[)）]|[一二三四五六七八九十]+、)\s*")  # renumbered by the draft
# The requirement a time limit belongs to: two different limits for the same one are options.
_REQUIREMENT_KIND = re.compile(r"响应|恢复|解决|处理|回复|答复|到场|交付")


def parse_outline(names: Sequence[str] | None) -> tuple[DraftSection, ...]:
    """The caller's outline, in the caller's order; an unknown name is an error listing the valid ones."""
    if not names:
        return DEFAULT_OUTLINE
    valid = {s.value: s for s in DraftSection}
    unknown = [n for n in names if n.strip() not in valid]
    if unknown:
        raise InvalidDraftError(f"未知的章节：{'、'.join(unknown)}。可用的章节：{'、'.join(valid)}")
    return tuple(dict.fromkeys(valid[n.strip()] for n in names))


class InvalidDraftError(RagError):
    pass


class TopicNotCoveredError(RagError):
    pass


@dataclass(frozen=True)
class Clause:
    """One numbered clause: a quoted sentence, or, when sources disagree, the options to choose from."""

    text: str
    citation_ids: tuple[int, ...]
    options: tuple["Clause", ...] = ()


@dataclass
class DraftPart:
    section: DraftSection
    clauses: list[Clause] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return not self.clauses


@dataclass
class Draft:
    topic: str
    parts: list[DraftPart]
    citations: list[Citation]
    notes: list[str] = field(default_factory=list)

    @property
    def gaps(self) -> list[DraftSection]:
        return [p.section for p in self.parts if p.is_gap]


@dataclass
class Handbook:
    title: str
    chapters: list[Draft]
    citations: list[Citation]  # one numbering across all chapters


class CitationRegistry:
    """Numbers quoted spans once per document, however many clauses or chapters cite them."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._ids: dict[tuple[str, int, int], int] = {}

    def cite(self, sentence: ScoredSentence) -> int:
        key = (sentence.chunk.doc_id, sentence.start, sentence.end)
        if key not in self._ids:
            self._ids[key] = len(self.citations) + 1
            self.citations.append(
                Citation.of(
                    self._ids[key], sentence.chunk, sentence.start, sentence.end, sentence.quote, sentence.score
                )
            )
        return self._ids[key]


def clause_text(sentence: ScoredSentence) -> str:
    """The quote as a clause reads it: annotations and the source's own list number removed."""
    return _ENUMERATOR.sub("", strip_annotations(sentence.quote).strip())


def section_of(normalized: str) -> DraftSection:
    return next((section for section, cue in _CUES if cue.search(normalized)), DraftSection.REQUIREMENTS)


def _durations(sentence: ScoredSentence) -> tuple[str, frozenset[str]] | None:
    kind = _REQUIREMENT_KIND.search(sentence.normalized)
    values = frozenset(m.group(0) for m in DURATION.finditer(sentence.normalized))
    return (kind.group(0), values) if kind and values else None


class Drafter:
    """Pipeline stage: topic (+ outline) → Draft, one section at a time so callers can show progress."""

    def __init__(self, assistant: Assistant, rewriter: ClauseRewriter | None = None) -> None:
        self.assistant = assistant
        self.rewriter = rewriter  # opt-in LLM wording; the extractive draft is the default

    def _rewrite(self, part: DraftPart, registry: CitationRegistry, notes: list[str], number: int) -> DraftPart:
        """Normative wording for each plain clause; one whose rewrite its sources do not support keeps
        the quoted text and is reported."""
        if self.rewriter is None:
            return part
        quotes = {c.id: c.quote for c in registry.citations}
        clauses = []
        for n, clause in enumerate(part.clauses, 1):
            if not clause.options:
                rewritten = self.rewriter.run(clause.text, [quotes[i] for i in clause.citation_ids])
                if rewritten is None:
                    notes.append(f"条款 {number}.{n} 的改写无法在来源中核实，已保留原文。")
                else:
                    clause = replace(clause, text=rewritten)
            clauses.append(clause)
        return DraftPart(part.section, clauses)

    def check_topic(self, topic: str) -> None:
        """Refuse an empty topic, or one the documents do not cover, before any drafting."""
        if not topic.strip():
            raise InvalidDraftError("主题不能为空。")
        analysis = self.assistant.analyze(topic)
        retrieved = self.assistant.retrieve(analysis)
        decision = self.assistant.judge(analysis, retrieved)
        # A topic is a short name of what to draft: every thing it names must be in the sources.
        if not decision.covered or decision.features.get("missing_subject"):
            topics = "；".join(dict.fromkeys(h.chunk.section_path for h in retrieved[:3]))
            hint = f"相近的主题有：{topics}。" if topics else ""
            raise TopicNotCoveredError(f"现有文档未覆盖主题“{topic}”，无法起草。{hint}")

    def _candidates(self, topic: str) -> list[ScoredSentence]:
        """Sentences about the topic from every section's retrieval, best first, each once."""
        chunks: dict[str, RetrievedChunk] = {}
        for template in _QUERIES.values():
            for hit in self.assistant.search(template.format(topic=topic), top_k=_SECTION_HITS):
                chunks.setdefault(hit.chunk.chunk_id, hit)
        topic_analysis = self.assistant.analyze(topic)
        scored = self.assistant.scorer.run(topic_analysis, list(chunks.values()))
        return [
            s
            for s in scored
            if s.coverage >= _TOPIC_MIN_COVERAGE
            and len(clause_text(s)) >= _MIN_CLAUSE_CHARS
            and not _TRANSITION.search(s.normalized.strip())
        ]

    def _clauses(self, sentences: list[ScoredSentence], registry: CitationRegistry) -> list[Clause]:
        """Clauses in reading order; time limits that differ for the same requirement become options."""
        ordered = sorted(sentences, key=lambda s: (s.chunk.doc_id, s.start))
        clauses: list[Clause] = []
        grouped: dict[str, list[ScoredSentence]] = {}
        for sentence in ordered:
            if limits := _durations(sentence):
                grouped.setdefault(limits[0], []).append(sentence)
        conflicting = {
            kind: members
            for kind, members in grouped.items()
            if len({_durations(m)[1] for m in members}) > 1 and len({m.chunk.doc_id for m in members}) > 1
        }
        placed: set[str] = set()
        for sentence in ordered:
            limits = _durations(sentence)
            if limits and limits[0] in conflicting:
                if limits[0] in placed:
                    continue
                placed.add(limits[0])
                options = tuple(Clause(clause_text(m), (registry.cite(m),)) for m in conflicting[limits[0]])
                ids = tuple(i for option in options for i in option.citation_ids)
                prompt = f"【待评审】关于{limits[0]}时限，来源规定不一致，请选定其一："
                clauses.append(Clause(prompt, ids, options))
            else:
                clauses.append(Clause(clause_text(sentence), (registry.cite(sentence),)))
        return clauses

    def sections(
        self,
        topic: str,
        outline: Sequence[DraftSection] = DEFAULT_OUTLINE,
        registry: CitationRegistry | None = None,
        notes: list[str] | None = None,
    ) -> Iterator[DraftPart]:
        """The draft's parts, as each is ready; rewrite notes are appended to `notes`."""
        notes = notes if notes is not None else []
        topic = topic.strip()
        self.check_topic(topic)
        registry = registry if registry is not None else CitationRegistry()
        by_section: dict[DraftSection, list[ScoredSentence]] = {s: [] for s in DraftSection}
        kept: list[ScoredSentence] = []
        for sentence in self._candidates(topic):
            if any(jaccard(sentence.normalized, k.normalized) >= _DUPLICATE_JACCARD for k in kept):
                continue
            section = section_of(sentence.normalized)
            if section not in outline:
                section = DraftSection.REQUIREMENTS
            limit = _MAX_CLAUSES.get(section, _DEFAULT_MAX_CLAUSES)
            if len(by_section[section]) < limit:
                by_section[section].append(sentence)
                kept.append(sentence)
        number = 0
        for section in outline:
            part = DraftPart(section, self._clauses(by_section[section], registry))
            if part.is_gap and section in _OPTIONAL and tuple(outline) == DEFAULT_OUTLINE:
                continue
            number += 1
            yield self._rewrite(part, registry, notes, number)

    def run(
        self,
        topic: str,
        outline: Sequence[DraftSection] = DEFAULT_OUTLINE,
        progress: Callable[[str, int, int], None] = lambda *_: None,
        registry: CitationRegistry | None = None,
    ) -> Draft:
        registry = registry if registry is not None else CitationRegistry()
        parts: list[DraftPart] = []
        notes: list[str] = []
        for part in self.sections(topic, outline, registry, notes):
            parts.append(part)
            progress(topic, len(parts), len(outline))
        return Draft(topic.strip(), parts, registry.citations, notes)

    def handbook(
        self, title: str, topics: Sequence[str], progress: Callable[[str, int, int], None] = lambda *_: None
    ) -> Handbook:
        """Several topics as chapters of one handbook, with one source list. A topic the documents do not
        cover stays as a chapter of gaps with the reason, so the writer sees what is missing."""
        topics = [t.strip() for t in topics if t.strip()]
        if not title.strip() or not topics:
            raise InvalidDraftError("手册需要标题和至少一个主题。")
        registry = CitationRegistry()
        chapters = []
        for done, topic in enumerate(topics, 1):
            try:
                chapters.append(self.run(topic, registry=registry))
            except TopicNotCoveredError as error:
                gaps = [DraftPart(section) for section in DEFAULT_OUTLINE if section not in _OPTIONAL]
                chapters.append(Draft(topic, gaps, [], notes=[str(error)]))
            progress("handbook", done, len(topics))
        return Handbook(title.strip(), chapters, registry.citations)
