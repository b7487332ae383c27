"""Query analysis: the weighted terms a question asks about, shared by BM25 and the answer stage."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.normalize import normalize
from rag.synonyms import Synonyms
from rag.tokenize import Tokenizer

_QUANTITY = re.compile(r"多久|多长|多少|几[天小分个周月年次]|时限|时效|how long|how many|how much|how soon|within")
_LIST = re.compile(r"哪些|什么内容|包括什么|包含什么|有什么|列举|几个方面|what are|which|list")
_PROCESS = re.compile(r"流程|步骤|怎么做|如何做|怎么办|顺序|process|steps|procedure")
_ABSENT = "\x00"  # a term no corpus contains: its idf is the highest possible


@dataclass(frozen=True)
class QueryTerm:
    forms: frozenset[str]  # normalised alternatives, any of which counts as a match
    weight: float


@dataclass(frozen=True)
class QueryAnalysis:
    question: str
    normalized: str
    terms: tuple[QueryTerm, ...]
    bm25_tokens: tuple[str, ...]
    wants_quantity: bool
    wants_list: bool
    wants_process: bool

    def coverage(self, text: str, tokens: frozenset[str]) -> float:
        """Share of the question's weight whose terms (or synonyms) occur in normalised `text`.

        Words match as substrings (`客户服务` inside `客户服务领域`); a single character must be a
        token of its own, or `假` would match `休假`.
        """
        total = sum(t.weight for t in self.terms)
        if total == 0:
            return 0.0
        matched = sum(t.weight for t in self.terms if any(_occurs(f, text, tokens) for f in t.forms))
        return matched / total


def _occurs(form: str, text: str, tokens: frozenset[str]) -> bool:
    return form in tokens if len(form) == 1 else form in text


class QueryAnalyzer:
    def __init__(
        self,
        tokenizer: Tokenizer,
        synonyms: Synonyms,
        idf: Callable[[str], float],
        normalize_enabled: bool = True,
    ) -> None:
        self.tokenizer = tokenizer
        self.synonyms = synonyms
        self.idf = idf
        self.normalize_enabled = normalize_enabled

    def run(self, question: str) -> QueryAnalysis:
        normalized = normalize(question, self.normalize_enabled)
        expansion = self.synonyms.expand(normalized)
        tokens = list(dict.fromkeys(self.tokenizer.tokens(expansion.residual)))
        terms: list[QueryTerm] = []
        absent = self.idf(_ABSENT)
        for group in expansion.groups:
            known = [idf for idf in map(self.idf, group) if idf < absent]
            terms.append(QueryTerm(group, min(known) if known else absent))
        for token in tokens:
            forms = self.synonyms.forms(token)
            if any(forms <= term.forms for term in terms):
                continue
            terms.append(QueryTerm(forms, self.idf(token)))
        bm25_tokens = tokens + [
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
        )
