"""Drafting standards and handbooks from the indexed documents, every clause quoted and cited.

A draft is assembled, not written: the sentences the documents already state about a topic are
gathered with the query pipeline, sorted into the conventional sections of a Chinese standard by
what they say (是指 → 术语与定义, 职责 → 职责分工, 流程 → 流程…), merged without repetition, and
cited. A section no source supports is marked as a gap for the writer instead of being filled.
Where sources define one term differently, or give different time limits for the same requirement,
the clause offers each as an option for the reviewer to choose.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from rag.clauses import (
    ENUMERATOR,
    ListSpan,
    Voice,
    addresses_authority,
    defined_term,
    is_document_field,
    lists_in,
    repeats,
    units_of,
    voice_of,
)
from rag.errors import RagError
from rag.evidence import DURATION, ScoredSentence, is_bare_heading
from rag.llm import ClauseRewriter
from rag.models import Chunk, Citation, RetrievedChunk
from rag.normalize import normalize, strip_annotations
from rag.service import Assistant
from rag.topicmatch import TopicMatch, subject_of, with_composed_synonyms
from rag.topics import SEPARATOR, chunks_under

GAP_MARK = "【待补充：现有文档未覆盖】"
_MIN_CLAUSE_CHARS = 8
_MAX_CLAUSES = {"内容与要求": 20, "说明": 6}
_DEFAULT_MAX_CLAUSES = 5
_SECTION_HITS = 8
_WHOLE_SECTIONS = 3  # documents or sections named after the topic, read whole
_SECTION_CHUNKS = 40  # most chunks read from each


class DraftSection(StrEnum):
    """The conventional sections of a Chinese standard, in their usual order; 说明 holds the sources'
    examples and explanations, which are background for the writer, not requirements."""

    PURPOSE = "目的"
    SCOPE = "适用范围"
    TERMS = "术语与定义"
    RESPONSIBILITIES = "职责分工"
    REQUIREMENTS = "内容与要求"
    PROCESS = "流程"
    ASSESSMENT = "考核与改进"
    NOTES = "说明"
    SUPPLEMENTARY = "附则"


DEFAULT_OUTLINE: tuple[DraftSection, ...] = tuple(DraftSection)
_OPTIONAL = {DraftSection.NOTES}  # background: left out when empty, never a gap

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
    (DraftSection.PURPOSE, re.compile(r"制定本(?:办法|制度|规定|标准|规范|细则|准则|守则|规程)")),
    (DraftSection.SUPPLEMENTARY, re.compile(r"起施行|负责解释|解释权|同时废止|自发布之日")),
    (DraftSection.SCOPE, re.compile(r"适用于")),
    (DraftSection.TERMS, re.compile(r"是指|指的是|定义为|所谓")),
    (DraftSection.PROCESS, re.compile(r"→|->|步骤|首先|然后|依次|流程[:：]")),
    (DraftSection.REQUIREMENTS, re.compile(r"(包括|包含|分为)[^。]*、")),  # an enumeration of contents
    (DraftSection.RESPONSIBILITIES, re.compile(r"职责|负责(?!人)|责任主体|分工|归口")),
    (
        DraftSection.ASSESSMENT,
        re.compile(r"考核|评估|评价|改进|监督|审计|绩效|指标|kpi|违反本|处罚|处分|奖惩", re.IGNORECASE),
    ),
    (DraftSection.SCOPE, re.compile(r"适用|范围(?:为|是|包括)|对象(?:为|是|包括)")),
    (DraftSection.PURPOSE, re.compile(r"目的|旨在|意义|有助于|为了|通过.+(能够|可以)")),
    (DraftSection.PROCESS, re.compile(r"流程|程序")),
)
_PROCESS_LIST = re.compile(r"流程|步骤|程序|环节|→|->")  # a numbered list of these is the process itself
# Transitions that state nothing on their own (以下是…内容:, 总之…).
_TRANSITION = re.compile(r"^(以下|下面|以上|总之|综上|总体来说|总而言之)|[:：]$")
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
    """One numbered clause: a quoted sentence; or, when sources disagree, the options to choose from; or a
    list's lead-in with its items, whole and in the source's order."""

    text: str
    citation_ids: tuple[int, ...]
    options: tuple["Clause", ...] = ()
    items: tuple["Clause", ...] = ()


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
    warnings: list[str] = field(default_factory=list)  # a thin draft says so here

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


def clause_text(quote: str) -> str:
    """The quote as a clause reads it: annotations and the source's own list number removed."""
    return ENUMERATOR.sub("", strip_annotations(quote).strip())


def section_of(normalized: str) -> DraftSection:
    return next((section for section, cue in _CUES if cue.search(normalized)), DraftSection.REQUIREMENTS)


def _durations(sentence: ScoredSentence) -> tuple[str, frozenset[str]] | None:
    kind = _REQUIREMENT_KIND.search(sentence.normalized)
    values = frozenset(m.group(0) for m in DURATION.finditer(sentence.normalized))
    return (kind.group(0), values) if kind and values else None


@dataclass(frozen=True)
class _Candidate:
    """A sentence the draft may quote, or a list (its lead-in, then its items) it quotes whole."""

    head: ScoredSentence
    items: tuple[ScoredSentence, ...] = ()

    @property
    def spans(self) -> list[ScoredSentence]:
        return [self.head, *self.items]

    @property
    def normalized(self) -> str:
        return "\n".join(s.normalized for s in self.spans)


class Drafter:
    """Pipeline stage: topic (+ outline) → Draft, one section at a time so callers can show progress.

    A clause must be about the topic by an absolute bar, as an answer sentence must be about the question:
    it (with its headings) holds `draft_min_relevance` of the weighted terms of the topic's subject, so a
    passage that ranked well for the section's query but is about pay or IT outages stays out.
    """

    def __init__(self, assistant: Assistant, rewriter: ClauseRewriter | None = None) -> None:
        self.assistant = assistant
        self.rewriter = rewriter  # opt-in LLM wording; the extractive draft is the default
        self.min_relevance = assistant.settings.draft_min_relevance
        self.min_clauses = assistant.settings.draft_min_clauses

    def _rewrite(self, part: DraftPart, registry: CitationRegistry, notes: list[str], number: int) -> DraftPart:
        """Normative wording for each plain clause; one whose rewrite its sources do not support keeps
        the quoted text and is reported."""
        if self.rewriter is None:
            return part
        quotes = {c.id: c.quote for c in registry.citations}
        clauses = []
        for n, clause in enumerate(part.clauses, 1):
            if not clause.options and not clause.items:
                rewritten = self.rewriter.run(clause.text, [quotes[i] for i in clause.citation_ids])
                if rewritten is None:
                    notes.append(f"条款 {number}.{n} 的改写无法在来源中核实，已保留原文。")
                else:
                    clause = replace(clause, text=rewritten)
            clauses.append(clause)
        return DraftPart(part.section, clauses)

    def check_topic(self, topic: str) -> None:
        """Refuse an empty topic, or one the documents do not cover, before any drafting: covered when some
        passage found for it holds a clause about its subject by the relevance bar."""
        if not topic.strip():
            raise InvalidDraftError("主题不能为空。")
        retrieved = self.assistant.search(topic)
        match = self._match(topic)
        if not any(
            match.relevant(hit.chunk.text[slice(*u)], hit.chunk) for hit in retrieved for u in units_of(hit.chunk.text)
        ):
            raise self._not_covered(topic, retrieved)

    @staticmethod
    def _not_covered(topic: str, retrieved: list[RetrievedChunk]) -> TopicNotCoveredError:
        topics = "；".join(dict.fromkeys(h.chunk.section_path for h in retrieved[:3]))
        hint = f"相近的主题有：{topics}。" if topics else ""
        return TopicNotCoveredError(f"现有文档未覆盖主题“{topic}”，无法起草。{hint}")

    def _match(self, topic: str) -> TopicMatch:
        engine = self.assistant.engine
        subject = with_composed_synonyms(self.assistant.analyze(subject_of(topic)), engine.tokenizer, engine.synonyms)
        return TopicMatch(
            subject,
            engine.tokenizer,
            self._normalize,
            lambda doc_id: self.assistant.index.get(self.assistant.document(doc_id).chunk_ids),
            self.min_relevance,
        )

    def _candidates(self, topic: str) -> list[_Candidate]:
        """Sentences and lists about the topic from every section's retrieval, best first, each once."""
        chunks: dict[str, RetrievedChunk] = {}
        for template in _QUERIES.values():
            for hit in self.assistant.search(template.format(topic=topic), top_k=_SECTION_HITS):
                chunks.setdefault(hit.chunk.chunk_id, hit)
        match = self._match(topic)
        candidates: list[_Candidate] = []
        for rank, chunk in enumerate(self._with_whole_sections(match, [h.chunk for h in chunks.values()])):
            lists: list[ListSpan] = []  # quoted whole
            covered: list[ListSpan] = []  # those and an authority's: their items are not quoted alone
            for found in lists_in(chunk.text):
                lead_in = chunk.text[slice(*found.lead_in)]
                if addresses_authority(self._normalize(lead_in)):
                    covered.append(found)
                elif match.relevant(lead_in, chunk):
                    lists.append(found)
                    covered.append(found)
            for found in lists:
                lead = self._span(match, chunk, rank, found.lead_in)
                candidates.append(_Candidate(lead, tuple(self._span(match, chunk, rank, i) for i in found.items)))
            for span in units_of(chunk.text):
                quote = chunk.text[slice(*span)]
                normalized = self._normalize(quote)
                if (
                    any(found.lead_in[0] <= span[0] < found.items[-1][1] for found in covered)
                    or addresses_authority(normalized)
                    or is_bare_heading(quote)
                    or len(clause_text(quote)) < _MIN_CLAUSE_CHARS
                    or _TRANSITION.search(normalized.strip())
                    or is_document_field(normalized)
                    or not match.relevant(quote, chunk)
                ):
                    continue
                candidates.append(_Candidate(self._span(match, chunk, rank, span)))
        return sorted(candidates, key=lambda c: c.head.score, reverse=True)

    def _with_whole_sections(self, match: TopicMatch, retrieved: list[Chunk]) -> list[Chunk]:
        """The retrieved chunks, then every other chunk of the (at most `_WHOLE_SECTIONS`) documents or
        sections whose title or heading names the whole subject: their clauses are all about it, though the
        section queries rank only some of them high (第八条 连续5次输错密码的… in 信息安全管理规定)."""
        sections: dict[str, str] = {}  # path → doc_id
        for chunk in retrieved:
            if (labels := match.named_section(chunk)) and len(sections) < _WHOLE_SECTIONS:
                sections.setdefault(SEPARATOR.join(labels), chunk.doc_id)
        seen = {c.chunk_id for c in retrieved}
        extra: list[Chunk] = []
        for path, doc_id in sections.items():
            chunks = sorted(match.chunks_of(doc_id), key=lambda c: c.chunk_id)
            under = chunks_under(chunks, path)
            extra += [c for c in chunks if c.chunk_id in under and c.chunk_id not in seen][:_SECTION_CHUNKS]
            seen |= under
        return retrieved + sorted(extra, key=lambda c: (c.doc_id, c.start))

    def _span(self, match: TopicMatch, chunk: Chunk, rank: int, span: tuple[int, int]) -> ScoredSentence:
        """A sentence or line of `chunk` (offsets into its text) as a quotable sentence, scored by how much
        of the subject it and its headings hold, then it alone, then its passage's retrieval rank."""
        quote = chunk.text[slice(*span)]
        joint, own = match.relevance(quote, chunk)
        start, end = chunk.start + span[0], chunk.start + span[1]
        score = joint + own / 2 + 0.1 / (1 + rank)
        return ScoredSentence(chunk, rank, start, end, quote, self._normalize(quote), joint, score)

    def _normalize(self, text: str) -> str:
        return normalize(text, self.assistant.settings.normalize)

    def _section(self, candidate: _Candidate, outline: Sequence[DraftSection]) -> DraftSection | None:
        """Where a candidate goes: a numbered process to 流程, an example or hedge to 说明 (or nowhere
        when the outline has no 说明), the rest by what it says; None when the outline has no place."""
        head = candidate.head
        if candidate.items and _PROCESS_LIST.search(" ".join((candidate.normalized, *head.chunk.section))):
            section = DraftSection.PROCESS
        elif voice_of(head.normalized, self.assistant.engine.tokenizer.words(head.normalized)) is Voice.DESCRIPTIVE:
            return DraftSection.NOTES if DraftSection.NOTES in outline else None
        else:
            section = section_of(head.normalized)
        if section in outline:
            return section
        return DraftSection.REQUIREMENTS if DraftSection.REQUIREMENTS in outline else None

    def _clauses(self, candidates: list[_Candidate], registry: CitationRegistry, rules: bool = True) -> list[Clause]:
        """Clauses in reading order. Among `rules` (not 说明's background), definitions of one term that
        differ, and time limits that differ for the same requirement across documents, become options for
        the reviewer."""
        ordered = sorted(candidates, key=lambda c: (c.head.chunk.doc_id, c.head.start))
        sentences = [c.head for c in ordered if not c.items] if rules else []
        conflicts: dict[str, tuple[str, list[ScoredSentence]]] = {}
        by_term: dict[str, list[ScoredSentence]] = {}
        by_kind: dict[str, list[tuple[ScoredSentence, frozenset[str]]]] = {}
        for sentence in sentences:
            if term := defined_term(sentence.normalized):
                by_term.setdefault(term, []).append(sentence)
            elif limits := _durations(sentence):
                by_kind.setdefault(limits[0], []).append((sentence, limits[1]))
        for term, members in by_term.items():
            if len(members) > 1:
                conflicts[f"def:{term}"] = (f"【待评审】“{term}”的定义，来源表述不一致，请选定其一：", members)
        for kind, limited in by_kind.items():
            if len({values for _, values in limited}) > 1 and len({m.chunk.doc_id for m, _ in limited}) > 1:
                members = [m for m, _ in limited]
                conflicts[f"time:{kind}"] = (f"【待评审】关于{kind}时限，来源规定不一致，请选定其一：", members)
        conflict_of = {id(m): key for key, (_, members) in conflicts.items() for m in members}
        clauses: list[Clause] = []
        placed: set[str] = set()
        for candidate in ordered:
            head = candidate.head
            if key := conflict_of.get(id(head)):
                if key not in placed:
                    placed.add(key)
                    prompt, members = conflicts[key]
                    options = tuple(Clause(clause_text(m.quote), (registry.cite(m),)) for m in members)
                    clauses.append(Clause(prompt, tuple(i for o in options for i in o.citation_ids), options))
                continue
            items = tuple(Clause(clause_text(i.quote), (registry.cite(i),)) for i in candidate.items)
            clauses.append(Clause(clause_text(head.quote), (registry.cite(head),), items=items))
        return clauses

    def sections(
        self,
        topic: str,
        outline: Sequence[DraftSection] = DEFAULT_OUTLINE,
        registry: CitationRegistry | None = None,
        notes: list[str] | None = None,
        warnings: list[str] | None = None,
    ) -> Iterator[DraftPart]:
        """The draft's parts, as each is ready; rewrite notes go to `notes`, a thin draft's to `warnings`.
        What an earlier chapter of the same handbook (sharing `registry`) already quotes is left out."""
        notes = notes if notes is not None else []
        warnings = warnings if warnings is not None else []
        topic = topic.strip()
        self.check_topic(topic)
        registry = registry if registry is not None else CitationRegistry()
        earlier = [self._normalize(c.quote) for c in registry.citations]
        by_section: dict[DraftSection, list[_Candidate]] = {s: [] for s in DraftSection}
        kept: list[str] = []
        repeated = 0
        for candidate in self._candidates(topic):
            text = candidate.normalized
            if any(repeats(text, k) for k in kept):
                continue
            if any(repeats(s.normalized, e) for s in candidate.spans for e in earlier):
                repeated += 1
                continue
            section = self._section(candidate, outline)
            if section is not None and len(by_section[section]) < _MAX_CLAUSES.get(section, _DEFAULT_MAX_CLAUSES):
                by_section[section].append(candidate)
                kept.append(text)
        if repeated:
            notes.append(f"有 {repeated} 条来源内容已在前面章节引用，本章不再重复。")
        supported = sum(len(found) for section, found in by_section.items() if section is not DraftSection.NOTES)
        if supported == 0 and not repeated:
            raise self._not_covered(topic, self.assistant.search(topic))
        if supported < self.min_clauses:
            warnings.append(
                f"本稿只有 {supported} 条有来源支持的条款（少于 {self.min_clauses} 条）："
                f"现有文档对“{topic}”的规定很少，请补充资料或缩小主题后再用作初稿。"
            )
        number = 0
        for section in outline:
            part = DraftPart(section, self._clauses(by_section[section], registry, section is not DraftSection.NOTES))
            if part.is_gap and section in _OPTIONAL:
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
        warnings: list[str] = []
        for part in self.sections(topic, outline, registry, notes, warnings):
            parts.append(part)
            progress(topic, len(parts), len(outline))
        return Draft(topic.strip(), parts, registry.citations, notes, warnings)

    def handbook(
        self, title: str, topics: Sequence[str], progress: Callable[[str, int, int], None] = lambda *_: None
    ) -> Handbook:
        """Several topics as chapters of one handbook, with one source list; a clause is quoted in the first
        chapter that needs it only. A topic the documents do not cover stays as a chapter of gaps with the
        reason, so the writer sees what is missing."""
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
