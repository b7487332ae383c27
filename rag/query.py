"""Query analysis: the weighted terms a question asks about, shared by BM25 and the answer stage."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from rag.normalize import normalize
from rag.spelling import HomophoneCorrector
from rag.synonyms import Synonyms
from rag.tokenize import WORD_CHAR, Tokenizer

_QUANTITY = re.compile(r"多久|多长|多快|多少|几[天小分个周月年次]|时限|时效|how long|how many|how much|how soon|within")
_LIST = re.compile(r"哪些|什么内容|包括什么|包含什么|有什么|列举|几个方面|what are|which|list")
_PROCESS = re.compile(r"流程|步骤|怎么做|如何做|怎么办|顺序|process|steps|procedure")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_A_NOT_A = re.compile(r"([\u3400-\u9fff])[不没]\1")  # 满不满意 → 满意, 有没有 → 有
# "几次 / 多少天 / 多少钱": a count in a unit, which only a passage stating such a count answers.
_ASKED_UNIT = re.compile(r"(?:多少|几)个?(分钟|小时|工作日|天|日|周|月|年|次|元|块钱|钱|人|倍)")
_UNIT_FORMS = {"钱": "元|块|万", "块钱": "元|块|万", "日": "日|天", "天": "天|日|工作日", "月": "个?月"}
_ABSENT = "\x00"  # a term no corpus contains: its idf is the highest possible
_SPECIFIC_GENERAL_IDF = 9.0  # general-language idf from which a word counts as fully specific
_SINGLE_CHAR_WEIGHT = 1.0  # a lone character (满, 管, 过) is too ambiguous to decide anything
_NOUN_FLAGS = ("n", "eng", "j")  # jieba's nouns (n, nr, ns…), Latin words, abbreviations
# A name (person, place, organisation, product, code like VPN or 95M) is a thing a passage either
# mentions or does not; a common noun (宠物, 妻子) is often a lay word for the corpus's own (动物, 配偶).
_NAME_FLAGS = ("nr", "ns", "nt", "nz", "eng")
# A place or organisation (jieba's ns, nt; its nr also tags common words such as 顾客, 宝宝) that the
# question is about: its opening words or the owner of what it asks (北京今年的最低工资, 深圳的公积金),
# not where its action happens (在北京工作, 去上海出差). jieba tags some common words ns as well (东西,
# 城市), which in any other position (买东西金额) are left alone.
_PLACE_FLAGS = ("ns", "nt")
_LOCATIVE = re.compile(r"(?:在|去|到|来|从|回|赴|于|往)$")
# A verb or adverb the corpus lacks (附带, 快要, 保留) is phrasing more often than topic; capped so
# that it cannot outweigh the topic words the passage does share.
_ABSENT_NON_NOUN_WEIGHT = 3.0


@dataclass(frozen=True)
class QueryTerm:
    forms: frozenset[str]  # normalised alternatives, any of which counts as a match
    weight: float
    # Not a word of the language (a typo, or jieba cutting across words as in 时要): it matches
    # wherever all its characters occur, so it neither decides nor blocks coverage on its own.
    loose: bool = False
    noun: bool = False  # names a thing (年假, 公积金): the subject a passage must mention
    named: bool = False  # a proper name or code, or a word general Chinese lacks: no paraphrase of it exists
    absent: bool = False  # no indexed chunk contains it
    place: bool = False  # a place or organisation the question is about, not where it happens

    def occurs(self, text: str, tokens: frozenset[str]) -> bool:
        if self.loose:
            return all(char in text for form in self.forms for char in form)
        return any(form in tokens or (len(form) > 2 and form in text) for form in self.forms)


@dataclass(frozen=True)
class QueryAnalysis:
    question: str
    normalized: str
    terms: tuple[QueryTerm, ...]
    bm25_tokens: tuple[str, ...]
    wants_quantity: bool
    wants_list: bool
    wants_process: bool
    asked_unit: str | None = None  # 天 in 多少天: the answer must state a count in it

    def states_asked_count(self, text: str) -> bool:
        """Whether `text` gives a number in the unit the question asks for (3天, 一次, 1万元)."""
        if self.asked_unit is None:
            return True
        unit = _UNIT_FORMS.get(self.asked_unit, self.asked_unit)
        return re.search(rf"[\d一二两三四五六七八九十百千万半]\s*(?:{unit})", text) is not None

    def missing_subjects(self, text: str, tokens: frozenset[str]) -> list[QueryTerm]:
        """Nouns no indexed chunk contains that the text lacks too: a question about 年假 is not
        answered by a passage about 休假制度, however much else matches."""
        return [t for t in self.terms if t.noun and t.absent and not t.loose and not t.occurs(text, tokens)]

    def coverage(self, text: str, tokens: frozenset[str]) -> float:
        """Share of the question's weight whose terms (or synonyms) occur in normalised `text`.

        A word matches as a token of the text (or a compound's part), so `试用` does not match inside
        `测试用例` nor `假` inside `休假`; a longer phrase may also span tokens (`响应时间` in `响应/时间`).
        """
        total = sum(t.weight for t in self.terms)
        if total == 0:
            return 0.0
        return sum(t.weight for t in self.terms if t.occurs(text, tokens)) / total


def _asked_about(normalized: str, word: str) -> bool:
    """Whether the question's first mention of `word` opens it or owns what follows (X的), and is not
    the place its action happens in."""
    position = normalized.find(word)
    if position < 0:
        return False
    before, after = normalized[:position], normalized[position + len(word) :]
    return not _LOCATIVE.search(before) and (not WORD_CHAR.search(before) or after.startswith("的"))


@cache
def _general_idf() -> tuple[dict[str, float], float]:
    from jieba.analyse import default_tfidf

    return default_tfidf.idf_freq, default_tfidf.median_idf


def is_general_word(word: str) -> bool:
    return word in _general_idf()[0]


def general_idf(word: str) -> float:
    """jieba's idf over a general Chinese corpus; unknown words (typos, rare terms) get the median."""
    frequencies, median = _general_idf()
    return frequencies.get(word, median)


class QueryAnalyzer:
    def __init__(
        self,
        tokenizer: Tokenizer,
        synonyms: Synonyms,
        idf: Callable[[str], float],
        normalize_enabled: bool = True,
        corrector: HomophoneCorrector | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.corrector = corrector
        self.synonyms = synonyms
        self.idf = idf
        self.normalize_enabled = normalize_enabled

    def _weight(self, term: str) -> float:
        """Corpus idf; for a word the corpus lacks, how specific it is in general Chinese, so a common
        word (时候) matters little and a specific one (年假, 公积金) decides coverage."""
        idf, absent = self.idf(term), self.idf(_ABSENT)
        if idf >= absent:
            idf = absent * min(1.0, general_idf(term) / _SPECIFIC_GENERAL_IDF)
        return min(idf, _SINGLE_CHAR_WEIGHT) if len(term) == 1 else idf

    def run(self, question: str) -> QueryAnalysis:
        normalized = normalize(question, self.normalize_enabled)
        if self.corrector is not None:
            normalized = self.corrector.run(normalized)
        normalized = _A_NOT_A.sub(r"\1", normalized)
        expansion = self.synonyms.expand(normalized)
        words = list(dict.fromkeys(self._split_unknown(self.tokenizer.content_words(expansion.residual))))
        names = self.tokenizer.unknown_names(expansion.residual)
        words = [(word, flag) for word, flag in words if not any(word in name for name in names)]
        # A name is matched whole, as text (it is no index token), and is never a missing *subject*:
        # whether some chunk holds it cannot be told from the index's tokens.
        terms: list[QueryTerm] = [
            QueryTerm(frozenset({name}), self._weight(name), noun=True, named=True) for name in names
        ]
        for group in expansion.groups:
            if not any(group & term.forms for term in terms):
                weight, absent = min(self._weight(m) for m in group), not self._present(group)
                if absent:
                    weight = min(weight, _ABSENT_NON_NOUN_WEIGHT)
                terms.append(QueryTerm(group, weight, absent=absent))
        for word, flag in words:
            forms = self.synonyms.forms(word)
            if any(forms & term.forms for term in terms):
                continue
            noun = flag.startswith(_NOUN_FLAGS)
            named = noun and (flag.startswith(_NAME_FLAGS) or not is_general_word(word))
            absent = not self._present(forms)
            loose = absent and bool(_CJK.fullmatch(word)) and not is_general_word(word)
            weight = self._weight(word)
            if absent and not noun:
                weight = min(weight, _ABSENT_NON_NOUN_WEIGHT)
            place = flag.startswith(_PLACE_FLAGS) and _asked_about(normalized, word)
            terms.append(QueryTerm(forms, weight, loose=loose, noun=noun, named=named, absent=absent, place=place))
        bm25_tokens = self.tokenizer.tokens(expansion.residual) + [
            t for group in expansion.groups for member in sorted(group) for t in self.tokenizer.tokens(member)
        ]
        return QueryAnalysis(
            question=question,
            normalized=normalized,
            terms=tuple(terms),
            bm25_tokens=tuple(bm25_tokens),
            wants_quantity=bool(_QUANTITY.search(normalized)),
            wants_list=bool(_LIST.search(normalized)),
            wants_process=bool(_PROCESS.search(normalized)),
            asked_unit=unit.group(1) if (unit := _ASKED_UNIT.search(normalized)) else None,
        )

    def _present(self, forms: frozenset[str]) -> bool:
        return any(self.idf(form) < self.idf(_ABSENT) for form in forms)

    def _split_unknown(self, words: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """A word the corpus lacks that jieba glued from dictionary words (服务满意, 恢复过来) is
        asked about as those words, each keeping the whole word's part of speech."""
        out: list[tuple[str, str]] = []
        for word, flag in words:
            parts = self.tokenizer.sub_words(word)
            if parts and not self._present(self.synonyms.forms(word)):
                out.extend((part, flag) for part in parts if part not in self.tokenizer.stopwords)
            else:
                out.append((word, flag))
        return out
