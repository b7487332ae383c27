"""Quiz items for trainees, made from the documents' own clauses with no LLM, and the checking of answers.

A clause about the topic (found by the query pipeline, so a caller only ever gets clauses it may read,
and kept only above an absolute relevance bar) becomes a cloze: its key figure (2小时, 30%, 六个月) or
the term it defines or glosses (`X是指…`, `X：…`) is blanked. Where sibling clauses of the same section
or document hold other values of the same kind (other durations, other defined terms), the item is
multiple choice with those as distractors: each wrong option is plausible, and the cited clause
contradicts it.

Answers are checked on the server: an item's `ref` locates its clause and blank in the document, so
the checker rebuilds the item from the index rather than trusting a key sent to the browser. A ref is a
locator, not a secret: the quiz is open-book, over documents the caller may read anyway.
"""

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from rag.draft import TopicNotCoveredError
from rag.errors import InvalidQuestionError, RagError
from rag.evidence import ScoredSentence
from rag.models import Chunk
from rag.normalize import normalize, strip_annotations
from rag.sentences import split_sentences
from rag.service import Assistant

BLANK = "____"
MAX_ITEMS = 20
_LEAD = re.compile(r"^\s*(?:\d+[.、．]|[（(]\d+[)）]|[一二三四五六七八九十]+、)\s*")  # a list number, not content
_NUMERALS = "零一二两三四五六七八九十百"
_FIGURE = re.compile(
    rf"(?<![0-9A-Za-z.])(\d+(?:\.\d+)?|[{_NUMERALS}]+)\s*(%|％|分钟|个小时|小时|个工作日|工作日|天|周|个月|年)(?![前后度])"
)
_TERM = r"[^\s，,。；;：:、()（）“”\"'《》]{2,12}"
_GLOSS = re.compile(rf"({_TERM})\s*[:：]\s*\S.{{6,}}")  # 代码风格指南: 确保团队成员遵循…
_DEFINITION = re.compile(rf"({_TERM})(?:是指|指的是|定义为)\S.{{4,}}")  # 客户服务标准是指…
# An enumeration after 包括/分为/如…: its members are a list the clause states in full.
_LIST = re.compile(
    r"(?:包括|包含|涵盖|分为|主要有|如)[:：]?((?:[^、，,。；;：:()（）等]{2,10}、){2,}[^、，,。；;：:()（）等]{2,20})"
)
_MEMBER = re.compile(r"[^的了对在是为将把被从]{2,8}")
_LAST_MEMBERS = re.compile(r"以及|和|及")
_DANGLING = re.compile(r"它|这|那|比如")  # the list's subject is in an earlier sentence
_NOT_A_TERM = re.compile(r"^(?:[这那该其它此如]|例如|比如|包括|首先|其次|最后|注意|总之|总的来说|以下|下面)")
_MINUTES = {"分钟": 1, "小时": 60, "天": 1440, "周": 10080, "个月": 43200, "年": 525600}
_UNIT_ALIAS = {"个小时": "小时", "个工作日": "工作日", "％": "%"}
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_REF = re.compile(
    r"^(?P<doc>.+):(?P<revision>\d+):(?P<start>\d+)-(?P<end>\d+):(?P<blank_start>\d+)-(?P<blank_end>\d+)$"
)


class ItemKind(StrEnum):
    CLOZE = "cloze"  # fill in the blank
    CHOICE = "choice"  # pick the blank's value among the options


class BlankKind(StrEnum):
    FIGURE = "figure"  # a duration or a percentage
    TERM = "term"  # the term a clause defines or glosses
    MEMBER = "member"  # one member of the enumeration a clause states


class StaleItemError(RagError):
    """The item's document changed after the quiz was made: its clause may say something else now."""


@dataclass(frozen=True)
class Clause:
    """The cited sentence, as /ask cites one: verbatim, with offsets into the document's text."""

    doc_id: str
    title: str
    section: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class Blank:
    """A span of a sentence worth asking for; blanks of the same `family` are each other's distractors."""

    kind: BlankKind
    family: str  # "duration", "percent", "term" or "member" (of an enumeration)
    start: int  # offsets into the document
    end: int
    text: str  # as displayed: pinyin readings dropped


@dataclass(frozen=True)
class QuizItem:
    key: str  # stable across re-indexing: what the eval's labels are matched on
    ref: str  # where the checker finds the clause and the blank again
    kind: ItemKind
    blank: BlankKind
    stem: str
    options: tuple[str, ...]  # empty for a cloze
    answer: str
    citation: Clause


@dataclass(frozen=True)
class QuizSet:
    topic: str
    seed: int  # the same topic, count and seed give the same items again
    items: list[QuizItem]


@dataclass(frozen=True)
class CheckResult:
    correct: bool
    given: str
    answer: str
    explanation: str
    citation: Clause


def _arabic(number: str) -> str:
    """二十四 → 24, 两 → 2; an Arabic number as it is."""
    if number[0].isdigit():
        return number
    total = current = 0
    for char in number:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:  # 十 or 百
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
    return str(total + current)


def answer_form(text: str) -> str:
    """What two answers must share to be the same one: width, script, case, spacing, punctuation, Chinese
    numerals (两小时 = 2小时), 个小时 for 小时 and a trailing 内/以内 do not matter."""
    text = _FIGURE.sub(lambda m: _arabic(m.group(1)) + _unit(m), normalize(text))
    text = re.sub(r"[\W_]+", "", text.replace("%", "pct"))
    return re.sub(r"(?:以内|之内|内)$", "", text)


def _unit(figure: re.Match[str]) -> str:
    return _UNIT_ALIAS.get(figure.group(2), figure.group(2))


def _minutes(figure: str) -> float | None:
    """A duration's length, so that a distractor equal to the answer (1天 for 24小时) is left out."""
    match = _FIGURE.fullmatch(normalize(figure))
    if not match or _unit(match) not in _MINUTES:
        return None
    return float(_arabic(match.group(1))) * _MINUTES[_unit(match)]


def item_key(quote: str, answer: str) -> str:
    return hashlib.sha1(f"{quote}\x1f{answer}".encode()).hexdigest()[:12]


def blanks_in(sentence: str, start: int) -> list[Blank]:
    """The askable spans of `sentence` (found at document offset `start`), the better kinds first: its
    figures, the term it opens by defining or glossing, the members of an enumeration it states."""
    lead = _LEAD.match(sentence)
    body = lead.end() if lead else 0

    def blank(kind: BlankKind, family: str, begin: int, end: int) -> Blank:
        return Blank(kind, family, start + begin, start + end, strip_annotations(sentence[begin:end]))

    blanks = [
        blank(BlankKind.FIGURE, "percent" if m.group(2) in "%％" else "duration", m.start(), m.end())
        for m in _FIGURE.finditer(sentence, body)
    ]
    for pattern in (_DEFINITION, _GLOSS):
        match = pattern.match(sentence, body)
        if match and not _NOT_A_TERM.match(match.group(1)):
            blanks.append(blank(BlankKind.TERM, "term", *match.span(1)))
            break
    for match in _LIST.finditer(sentence, body) if not _DANGLING.match(sentence, body) else ():
        members = _members(match.group(1), match.start(1))
        if len(members) >= 3 and all(_MEMBER.fullmatch(sentence[b:e]) for b, e in members):
            blanks.extend(blank(BlankKind.MEMBER, "member", b, e) for b, e in members)
    return blanks


def _members(listed: str, offset: int) -> list[tuple[int, int]]:
    """Spans of the members of `A、B、C和D` (found at `offset`)."""
    spans, position = [], offset
    pieces = listed.split("、")
    for number, piece in enumerate(pieces):
        parts = _LAST_MEMBERS.split(piece) if number == len(pieces) - 1 else [piece]
        for part in parts:
            begin = listed.index(part, position - offset) + offset
            spans.append((begin, begin + len(part)))
            position = begin + len(part)
    return spans


def stem_of(sentence: str, start: int, blank: Blank) -> str:
    """The sentence as it reads (no list number, no pinyin readings) with the blank for the answer."""
    before, after = sentence[: blank.start - start], sentence[blank.end - start :]
    return _LEAD.sub("", strip_annotations(before), count=1) + BLANK + strip_annotations(after)


def _ref(doc_id: str, revision: int, clause: Clause, blank: Blank) -> str:
    return f"{doc_id}:{revision}:{clause.start}-{clause.end}:{blank.start}-{blank.end}"


def _sentences(chunks: list[Chunk]) -> Iterator[Clause]:
    """Each sentence of a document once (chunks overlap), read in the first chunk that holds it."""
    seen: set[int] = set()
    for chunk in sorted(chunks, key=lambda c: c.start):
        for s, e in split_sentences(chunk.text):
            if chunk.start + s not in seen:
                seen.add(chunk.start + s)
                yield _clause(chunk, chunk.start + s, chunk.start + e)


def _clause(chunk: Chunk, start: int, end: int) -> Clause:
    quote = chunk.text[start - chunk.start : end - chunk.start]
    return Clause(chunk.doc_id, chunk.title, chunk.section_path, quote, start, end)


def _clause_in(chunks: list[Chunk], start: int, end: int) -> Clause | None:
    """The sentence start:end as read in the first chunk that holds it whole (a later one may hold it as its
    overlap, under the next section's path), so generating and checking cite it alike; None: no sentence."""
    for chunk in sorted(chunks, key=lambda c: c.start):
        if chunk.start <= start and end <= chunk.end:
            if (start - chunk.start, end - chunk.start) in split_sentences(chunk.text):
                return _clause(chunk, start, end)
    return None


def _gives_away(clause: Clause, blank: Blank) -> bool:
    """Whether the stem states the answer itself (`应急预案：制定应急预案…`)."""
    return answer_form(blank.text) in answer_form(stem_of(clause.quote, clause.start, blank))


class QuizMaker:
    """Pipeline stage: topic → QuizSet, from the clauses of the documents the assistant's caller may read."""

    def __init__(
        self,
        assistant: Assistant,
        passages: int = 12,
        min_coverage: float = 0.5,
        options: int = 4,
        min_distractors: int = 2,
    ) -> None:
        self.assistant = assistant
        self.passages = passages  # retrieved chunks the clauses are drawn from
        self.min_coverage = min_coverage  # share of the topic's weighted terms a clause must hold
        self.options = options  # of a multiple-choice item, the answer included
        self.min_distractors = min_distractors  # with fewer siblings than this, an item stays a cloze

    def _relevant(self, topic: str) -> list[ScoredSentence]:
        """The sentences about the topic, best first; a topic the documents do not cover is refused."""
        rag = self.assistant
        analysis = rag.analyze(topic)
        retrieved = rag.retrieve(analysis, self.passages)
        decision = rag.judge(analysis, retrieved)
        # A topic is a short name: every thing it names must be in the documents (as for a draft).
        if not decision.covered or decision.features.get("missing_subject"):
            topics = "；".join(dict.fromkeys(h.chunk.section_path for h in retrieved[:3]))
            hint = f"相近的主题有：{topics}。" if topics else ""
            raise TopicNotCoveredError(f"现有文档未涉及“{topic}”，无法出题。{hint}")
        return [s for s in rag.scorer.run(analysis, retrieved) if s.coverage >= self.min_coverage]

    def _siblings(self, doc_id: str) -> list[tuple[Blank, str]]:
        """Every blank of the document, with the section path of its clause."""
        chunks = self.assistant.index.get(self.assistant.document(doc_id).chunk_ids)
        return [
            (blank, clause.section) for clause in _sentences(chunks) for blank in blanks_in(clause.quote, clause.start)
        ]

    def _distractors(self, answer: Blank, clause: Clause, stem: str, rng: random.Random) -> list[str]:
        """Other values of the answer's family from the same document, its section's first (a list member's
        from other sections), none of which the clause allows."""
        form, minutes, in_stem = answer_form(answer.text), _minutes(answer.text), answer_form(stem)
        near: list[str] = []
        far: list[str] = []
        seen = {form}
        for blank, section in self._siblings(clause.doc_id):
            other = answer_form(blank.text)
            if blank.family != answer.family or other in seen or other in in_stem:
                continue
            if blank.kind is not BlankKind.FIGURE and (other in form or form in other):
                continue  # 持续改进 for 持续改进机制 would be half right
            if minutes is not None and _minutes(blank.text) == minutes:
                continue  # 1天 for 24小时 would be right too
            if blank.family == "member" and section == clause.section:
                continue  # the section's other lists may name the same subject's parts: right too
            seen.add(other)
            (near if section == clause.section else far).append(blank.text)
        rng.shuffle(near)
        rng.shuffle(far)
        return (near + far)[: self.options - 1]

    def _item(self, clause: Clause, blank: Blank, rng: random.Random) -> QuizItem:
        stem = stem_of(clause.quote, clause.start, blank)
        distractors = self._distractors(blank, clause, stem, rng)
        choice = len(distractors) >= self.min_distractors
        options = [blank.text, *distractors] if choice else []
        rng.shuffle(options)
        return QuizItem(
            key=item_key(clause.quote, blank.text),
            ref=_ref(clause.doc_id, self.assistant.document(clause.doc_id).revision, clause, blank),
            kind=ItemKind.CHOICE if choice else ItemKind.CLOZE,
            blank=blank.kind,
            stem=stem,
            options=tuple(options),
            answer=blank.text,
            citation=clause,
        )

    def run(self, topic: str, count: int = 5, seed: int | None = None) -> QuizSet:
        topic = topic.strip()
        if not topic:
            raise InvalidQuestionError("主题不能为空。")
        if not 1 <= count <= MAX_ITEMS:
            raise InvalidQuestionError(f"题目数须在 1 到 {MAX_ITEMS} 之间。")
        seed = random.randrange(2**31) if seed is None else seed
        rng = random.Random(seed)
        candidates: dict[str, tuple[Clause, Blank]] = {}  # by key: a clause repeated in the document is one item
        for sentence in self._relevant(topic):
            chunks = self.assistant.index.get(self.assistant.document(sentence.chunk.doc_id).chunk_ids)
            clause = _clause_in(chunks, sentence.start, sentence.end) or _clause(
                sentence.chunk, sentence.start, sentence.end
            )
            blanks = [b for b in blanks_in(clause.quote, clause.start) if not _gives_away(clause, b)]
            if blanks and clause.start not in {c.start for c, _ in candidates.values() if c.doc_id == clause.doc_id}:
                blank = rng.choice([b for b in blanks if b.kind is blanks[0].kind])
                candidates.setdefault(item_key(clause.quote, blank.text), (clause, blank))
        if not candidates:
            raise TopicNotCoveredError(f"关于“{topic}”的条款中没有可出题的数字或术语，请换一个更具体的主题。")
        pool = list(candidates.values())
        rng.shuffle(pool)
        first: dict[str, tuple[Clause, Blank]] = {}  # a term the documents define thrice is asked once, if enough
        for candidate in pool:
            first.setdefault(answer_form(candidate[1].text), candidate)
        picked = [*first.values(), *(c for c in pool if c not in first.values())][:count]
        return QuizSet(topic, seed, [self._item(clause, blank, rng) for clause, blank in picked])


class AnswerChecker:
    """Pipeline stage: (ref, answer) → CheckResult, the item rebuilt from the documents the caller may read."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def _locate(self, ref: str) -> tuple[Clause, Blank]:
        match = _REF.match(ref.strip())
        if not match:
            raise InvalidQuestionError("题目编号无效，请重新生成测验。")
        doc_id, (revision, start, end, blank_start, blank_end) = match["doc"], map(int, match.groups()[1:])
        record = self.assistant.document(doc_id)  # unreadable: as unknown as a missing document
        if record.revision != revision:
            raise StaleItemError("题目所依据的文档已更新，请重新生成测验。")
        if clause := _clause_in(self.assistant.index.get(record.chunk_ids), start, end):
            for blank in blanks_in(clause.quote, start):
                if (blank.start, blank.end) == (blank_start, blank_end):
                    return clause, blank
        raise InvalidQuestionError("题目编号无效，请重新生成测验。")

    def run(self, ref: str, answer: str) -> CheckResult:
        if not answer.strip():
            raise InvalidQuestionError("请先作答。")
        clause, blank = self._locate(ref)
        correct = answer_form(answer) == answer_form(blank.text)
        verdict = "回答正确。" if correct else f"回答错误，正确答案是“{blank.text}”。"
        source = strip_annotations(f"依据《{clause.title}》{clause.section.removeprefix(clause.title)}：")
        explanation = f"{verdict}{source.replace('》 > ', '》')}“{strip_annotations(clause.quote)}”"
        return CheckResult(correct, answer.strip(), blank.text, explanation, clause)
