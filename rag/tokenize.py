"""jieba tokenisation over normalised text, shared by chunk sizing, BM25 and query analysis.

One `jieba.Tokenizer` instance per user dictionary: the global one would leak domain terms
between indexes with different dictionaries.
"""

import logging
import re
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

_RESOURCES = files("rag") / "resources"
_WORD = re.compile(r"[\w\u3400-\u9fff]")


def _resource_lines(name: str) -> list[str]:
    text = (_RESOURCES / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


class Tokenizer:
    """Search-style jieba tokens (`应急预案` → 应急, 预案, 应急预案), stopwords removed."""

    def __init__(self, user_dict: Path | None = None) -> None:
        self._user_dict = user_dict
        self.stopwords = frozenset(_resource_lines("stopwords.txt"))

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for line in _resource_lines("userdict.txt"):
            tokenizer.add_word(*line.split()[:1])
        if self._user_dict is not None:
            tokenizer.load_userdict(str(self._user_dict))
        return tokenizer

    def words(self, normalized: str) -> list[str]:
        """Plain segmentation, punctuation dropped; used to size chunks."""
        return [w for w in self._jieba.lcut(normalized) if _WORD.search(w)]

    def tokens(self, normalized: str) -> list[str]:
        """Index and query terms: search-mode segmentation without stopwords or punctuation."""
        return [
            w
            for w in self._jieba.lcut_for_search(normalized)
            if _WORD.search(w) and w not in self.stopwords and not w.isspace()
        ]
