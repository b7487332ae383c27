"""What a source sentence is, as a clause of a standard: its voice, the term it defines, the list it
belongs to, and whether it repeats another. Pure functions over normalised text, used by the drafter.

A standard states requirements. The scraped and explanatory pages a company also holds mix them with
examples and hedges ("例如，在电商行业，客户服务标准可能包括…"): such a sentence is background for the
writer (说明), not a rule to copy. Obligation words decide first, since a real clause may also give an
example ("应提供有效证件，例如身份证").
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from itertools import takewhile

from rag.answer import jaccard
from rag.clean import CLAUSE, is_metadata, is_table_row
from rag.sentences import LEAD_IN, split_sentences

# Obligation and prohibition in Chinese normative writing (GB/T 1.1: 应/不应/宜/不宜; 必须, 须, 不得…), as
# whole words: 应 inside 响应 or 应急 is no obligation.
_OBLIGATION = frozenset(
    {"应", "应当", "应该", "应予", "须", "必须", "必需", "需", "需要", "务必", "不得", "不应", "不宜", "宜"}
    | {"严禁", "禁止", "不准", "不允许"}
)
# Examples, hedges and appraisals: what explanatory prose says about a rule, not the rule.
_DESCRIPTIVE = re.compile(
    r"例如|比如|譬如|诸如|举例|可能|或许|也许|通常|往往|大多|一般来说|一般而言|"
    r"有助于|有利于|能够帮助|可以帮助|不仅能|至关重要|非常重要|十分重要|尤为重要|不可忽视|不可或缺|关键在于|意义在于|核心内容之一"
)
_DEFINITION = re.compile(
    r"^(?:所谓|本\S{0,6}?所称的?)?[“\"「]?(?P<term>[^，,。；;：:“”\"「」]{2,24}?)[”\"」]?\s*[,，]?\s*(?:是指|指的是|定义为|系指)"
)
ENUMERATOR = re.compile(
    r"^\s*(?P<mark>[（(]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[)）]|\d{1,2}[.、．](?!\d)|[一二三四五六七八九十]{1,3}、)\s*"
)
# A document's control block (文件编号：…　发布部门：…): about the file, not a clause of it.
_DOCUMENT_FIELD = re.compile(
    r"^(?:文件编号|文件号|编号|发布部门|发文部门|发布日期|印发日期|版本号?|生效日期|实施日期|修订日期|密级|页码)\s*[:：]"
)
_MAX_CLAUSE_LINE = 200  # a numbered line longer than this is a paragraph, quoted sentence by sentence
_ARTICLE = re.compile(CLAUSE.pattern + r"\s*")
# Who a statute's clause binds, in its first phrase: a public authority, or the employer and its people.
_AUTHORITY = re.compile(
    r"国务院|人民政府|行政部门|主管部门|监督管理部门|监察机构|经办机构|人民法院|人民检察院|公安机关|医疗卫生机构|鉴定委员会"
)
_ADDRESSEE = re.compile(r"用人单位|生产经营单位|企业|公司|单位|劳动者|职工|员工|从业人员")
_SUBJECT_END = re.compile(r"[，,：:；;。]")
_PUNCTUATION = re.compile(r"[\W_]+")


class Voice(StrEnum):
    NORMATIVE = "normative"  # states an obligation or prohibition
    DESCRIPTIVE = "descriptive"  # an example, a hedge, an appraisal: 说明 at most
    STATEMENT = "statement"  # a plain statement: a definition, a list of contents, a step


def voice_of(normalized: str, words: list[str]) -> Voice:
    """`words`: the sentence's plain segmentation (stopwords kept, since 应 and 须 are stopwords)."""
    if _OBLIGATION.intersection(words):
        return Voice.NORMATIVE
    if _DESCRIPTIVE.search(normalized):
        return Voice.DESCRIPTIVE
    return Voice.STATEMENT


def defined_term(normalized: str) -> str | None:
    """The term a definition sentence defines (运营交付标准 in "运营交付标准是指…"), None for others."""
    match = _DEFINITION.match(_ARTICLE.sub("", ENUMERATOR.sub("", normalized.strip())))
    return _PUNCTUATION.sub("", match.group("term")) if match else None


def is_document_field(normalized: str) -> bool:
    """A control field or an enactment line: about the file, not a clause of it."""
    return bool(_DOCUMENT_FIELD.match(normalized.strip())) or is_metadata(normalized.strip())


def addresses_authority(normalized: str) -> bool:
    """Whether a clause's subject is a public authority (县级以上人民政府劳动行政部门负责…, 职业病诊断应当由…医疗
    卫生机构承担): a statute's duty of the state, which a company's own standard does not take over."""
    subject = _SUBJECT_END.split(_ARTICLE.sub("", normalized.strip()), maxsplit=1)[0]
    found = _AUTHORITY.search(subject)
    return bool(found) and not _ADDRESSEE.search(subject[: found.start()])


def repeats(a: str, b: str, threshold: float = 0.6) -> bool:
    """Whether two normalised sentences say the same: near-identical bigrams, or one inside the other."""
    x, y = _PUNCTUATION.sub("", a), _PUNCTUATION.sub("", b)
    if not x or not y:
        return False
    shorter, longer = sorted((x, y), key=len)
    return shorter in longer or jaccard(a, b) >= threshold


def enumerator_style(line: str) -> str | None:
    """The kind of list number a line starts with ("(1)", "1.", "(一)", "一、"), so that one list's
    items are told from a nested list's; None for a line that is no list item."""
    match = ENUMERATOR.match(line)
    if not match:
        return None
    mark = match.group("mark")
    numeral = "arabic" if re.search(r"\d", mark) else "chinese"
    return ("paren-" if mark[0] in "(（" else mark[-1] + "-") + numeral


@dataclass(frozen=True)
class ListSpan:
    """A lead-in line ending in "：" and the numbered items right under it (offsets into the text)."""

    lead_in: tuple[int, int]
    items: tuple[tuple[int, int], ...]


def lists_in(text: str) -> list[ListSpan]:
    """Every lead-in line followed by at least two lines of one numbering style, or by table rows, in
    order; the list ends at the first line that is not such an item (第五条, a new lead-in, prose). A
    table without a lead-in is led by its header row."""
    lines = [m.span() for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    spans: list[ListSpan] = []
    n = 0
    while n < len(lines) - 1:
        line = text[slice(*lines[n])]
        style = _item_style(text[slice(*lines[n + 1])])
        items = []
        if style is not None and (LEAD_IN.search(line) or (style == "table" and is_table_row(line))):
            items = list(takewhile(lambda span, kind=style: _item_style(text[slice(*span)]) == kind, lines[n + 1 :]))
        if len(items) >= (1 if style == "table" else 2):
            spans.append(ListSpan(_stripped(text, *lines[n]), tuple(_stripped(text, *span) for span in items)))
            n += 1 + len(items)
        else:
            n += 1
    return spans


def _item_style(line: str) -> str | None:
    return "table" if is_table_row(line) else enumerator_style(line)


def units_of(text: str) -> list[tuple[int, int]]:
    """The spans a draft quotes: a numbered line (第五条…, （一）…) whole, since a clause is one line however
    many "；" it has, and the sentences of any other line (prose runs many sentences to a line)."""
    units: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        numbered = CLAUSE.match(line.group().strip()) or ENUMERATOR.match(line.group())
        if numbered and len(line.group()) <= _MAX_CLAUSE_LINE:
            if line.group().strip():
                units.append(_stripped(text, *line.span()))
        else:
            units.extend(split_sentences(text, *line.span()))
    return units


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), end - (len(piece) - len(piece.rstrip()))
