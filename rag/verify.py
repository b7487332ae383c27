"""Does a cited span support a sentence? Used to check LLM output and to score citations in eval.

Support means: most of the sentence's content (character bigrams, after normalisation) is found in
the source, and every number the sentence states appears in the source. A sentence that adds a
figure or a claim its source does not contain fails.
"""

import re

from rag.normalize import normalize

_CITATION_MARK = re.compile(r"\[\d+\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NON_CONTENT = re.compile(r"[\W_]+")
MIN_SUPPORT = 0.5
# Connective words an LLM adds around quoted content; they are no claim of their own.
_FILLER = re.compile(
    r"根据|资料|文档|来源|显示|指出|提到|规定|要求|其中|此外|同时|并且|以及|例如|应当|应|须|需要|可以|能够"
)


def _content(text: str) -> str:
    return _NON_CONTENT.sub("", _FILLER.sub("", normalize(_CITATION_MARK.sub("", text))))


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)] or ([text] if text else [])


def support_score(sentence: str, source: str) -> float:
    """Share of the sentence's content bigrams that occur in the source."""
    claim = _bigrams(_content(sentence))
    if not claim:
        return 1.0
    evidence = _content(source)
    return sum(1 for bigram in claim if bigram in evidence) / len(claim)


def numbers_supported(sentence: str, source: str) -> bool:
    stated = set(_NUMBER.findall(normalize(_CITATION_MARK.sub("", sentence))))
    return stated <= set(_NUMBER.findall(normalize(source)))


def is_supported(sentence: str, source: str, threshold: float = MIN_SUPPORT) -> bool:
    return numbers_supported(sentence, source) and support_score(sentence, source) >= threshold
