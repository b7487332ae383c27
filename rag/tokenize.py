"""jieba tokenisation over normalised text, shared by chunk sizing, BM25 and query analysis.

One `jieba.Tokenizer` instance per user dictionary: the global one would leak domain terms
between indexes with different dictionaries. The package ships only generic resources (jieba's
dictionary, Chinese stopwords); a company's own terms come from `RAG_USER_DICT`.
"""

import logging
import re
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path

import jieba
import jieba.posseg as jieba_posseg
from jieba.posseg import POSTokenizer

jieba.setLogLevel(logging.WARNING)

_RESOURCES = files("rag") / "resources"
WORD_CHAR = re.compile(r"[\w\u3400-\u9fff]")  # a letter, digit or CJK character: text, not punctuation
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_MIN_NAME_RUN = 3  # two stray characters are as often a typo (年价) as a name
MATCH_CACHE_TEXTS = 8192  # sentences and passages whose match tokens a tokenizer keeps
_MIN_SUB_WORD_FREQ = 20  # rarer dictionary entries (发状, 按同) are segmentation noise, not words


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


class Tokenizer:
    """Search-style jieba tokens (`应急预案` → 应急, 预案, 应急预案), stopwords removed."""

    def __init__(self, user_dict: Path | None = None) -> None:
        self._user_dict = user_dict
        self.stopwords = frozenset(_lines((_RESOURCES / "stopwords.txt").read_text(encoding="utf-8")))
        # Part-of-speech tagging is most of a question's time; the same passages come back for many questions.
        self.match_tokens = lru_cache(maxsize=MATCH_CACHE_TEXTS)(self._match_tokens)

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        if self._user_dict is not None:  # a company's terms: deployment data, not code
            for line in _lines(self._user_dict.read_text(encoding="utf-8")):  # word [frequency] [tag]
                word, *rest = line.split()
                frequency = int(rest.pop(0)) if rest and rest[0].isdigit() else None
                tokenizer.add_word(word, freq=frequency, tag=rest[0] if rest else "n")
        return tokenizer

    def words(self, normalized: str, new_words: bool = True) -> list[str]:
        """Plain segmentation, punctuation dropped; used to size chunks. Without `new_words`,
        jieba's HMM does not join unknown characters into words, so a typo shows as stray characters."""
        return [w for w in self._jieba.lcut(normalized, HMM=new_words) if WORD_CHAR.search(w)]

    @cached_property
    def _tagger(self) -> POSTokenizer:
        """jieba's tagger over our tokenizer. Its word → tag table is the one `jieba.posseg` read from the same
        default dictionary when it was imported: copied, not read again (half a second of every start). A
        company's terms reach it through the tokenizer, as jieba adds them (`makesure_userdict_loaded`)."""
        if self._jieba.dictionary != jieba_posseg.dt.tokenizer.dictionary:
            return POSTokenizer(self._jieba)
        tagger = POSTokenizer.__new__(POSTokenizer)
        tagger.tokenizer, tagger.word_tag_tab = self._jieba, dict(jieba_posseg.dt.word_tag_tab)
        return tagger

    def content_words(self, normalized: str) -> list[tuple[str, str]]:
        """The words a question is about, with jieba's part-of-speech flag, stopwords removed."""
        return [
            (pair.word, pair.flag)
            for pair in self._tagger.lcut(normalized)
            if WORD_CHAR.search(pair.word) and pair.word not in self.stopwords and not pair.word.isspace()
        ]

    def tagged(self, normalized: str) -> list[tuple[str, str]]:
        """Every word with its flag, particles and punctuation included: a question's grammar, which
        `content_words` drops. The words concatenate to `normalized`."""
        return [(pair.word, pair.flag) for pair in self._tagger.lcut(normalized)]

    def unknown_names(self, normalized: str) -> list[str]:
        """Runs of characters that jieba's dictionary could only cut one by one (钩盲蛇 → 钩/盲/蛇): a
        name it lacks, which a question asks about whole rather than as ambiguous single characters."""
        names: list[str] = []
        run: list[str] = []
        for word in [*self._jieba.lcut(normalized, HMM=False), ""]:
            if len(word) == 1 and _CJK_CHAR.match(word) and word not in self.stopwords:
                run.append(word)
                continue
            if len(run) >= _MIN_NAME_RUN:
                names.append("".join(run))
            run = []
        return names

    def tokens(self, normalized: str) -> list[str]:
        """Index and query terms: content words plus their dictionary sub-words (`应急预案` → 应急,
        预案, 应急预案), so a search for part of a compound still matches. Sub-words of a stopword
        phrase (`长时间` inside `多长时间`) are not produced."""
        result: list[str] = []
        for word, _ in self.content_words(normalized):
            if len(word) > 2:
                result.extend(sub for sub in self.sub_words(word) if sub not in self.stopwords)
            result.append(word)
        return result

    def _match_tokens(self, normalized: str) -> frozenset[str]:
        """What a question term is matched against: index tokens plus every word of the plain
        segmentation, stopwords included (a question may ask about 规定 itself)."""
        return frozenset(self.tokens(normalized)) | frozenset(self.words(normalized))

    def sub_words(self, word: str) -> list[str]:
        """The dictionary words a compound splits into at one point (测试用例 → 测试, 用例), never a
        word that straddles its parts (试用), which would match a question about something else."""
        frequencies = self._jieba.FREQ
        parts: list[str] = []
        for cut in range(1, len(word)):
            head, tail = word[:cut], word[cut:]
            halves = [p for p in (head, tail) if len(p) >= 2]
            if halves and all(frequencies.get(p, 0) >= _MIN_SUB_WORD_FREQ for p in halves):
                parts.extend(p for p in halves if p not in parts)
        return parts


def shared_tokenizer(user_dict: Path | None = None) -> Tokenizer:
    """One loaded tokenizer per dictionary and process: loading jieba and its tagger costs over a second, which
    every upload and every index reload would otherwise pay. An edited dictionary file is a new one."""
    stamp = user_dict.stat().st_mtime_ns if user_dict is not None and user_dict.exists() else None
    return _tokenizer(user_dict, stamp)


@lru_cache(maxsize=4)
def _tokenizer(user_dict: Path | None, stamp: int | None) -> Tokenizer:
    return Tokenizer(user_dict)
