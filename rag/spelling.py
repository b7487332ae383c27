"""Homophone typo correction against the corpus vocabulary.

Chinese typos come from pinyin input methods: the wrong character with the right sound
(满易度 for 满意度, 服物 for 服务). Such a typo is no word of the corpus or of the language, so
neither BM25 nor the coverage check can match it; replacing it with the corpus word that sounds
the same restores both. Real words are never touched.

Candidates are looked up per question, not indexed per corpus: a typo differs from its word in
one character, so the words to try are the question's 2–4 character spans with one character
swapped for a homophone (pypinyin's own character table, inverted once per process). That costs
microseconds per question, where reading the sound of every vocabulary word cost seconds per
access scope at each index change (7 s at 10k chunks).
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import lru_cache

from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_LENGTHS = (4, 3, 2)  # longest first: 满易度 → 满意度 before 易度 is considered


def _single_characters(words: list[str]) -> int:
    return sum(1 for word in words if len(word) == 1)


def _toneless(reading: str) -> str:
    """lǜ → lv, as lazy_pinyin writes it."""
    reading = reading.replace("ü", "v")
    return "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _characters_by_sound() -> dict[str, tuple[str, ...]]:
    """Every CJK character under each of its toneless readings (a superset: matches are checked by word)."""
    found: dict[str, list[str]] = defaultdict(list)
    for code, readings in pinyin_dict.items():
        character = chr(code)
        if _CJK_RUN.fullmatch(character * 2):
            for reading in {_toneless(r) for r in readings.split(",")}:
                found[reading].append(character)
    return {reading: tuple(characters) for reading, characters in found.items()}


class HomophoneCorrector:
    """Pipeline stage: normalised question → the same with sound-alike typos replaced.

    A replacement must make the question read better: fewer stray single characters in its
    segmentation (服/物流/程 → 服务/流程), so real words stay (数据备份 is not 数具备份).
    """

    def __init__(self, document_frequencies: Mapping[str, int], segment: Callable[[str], list[str]]) -> None:
        self.segment = segment
        self.frequencies = document_frequencies

    def _sound_alike(self, candidate: str, sound: list[str]) -> str | None:
        """The most frequent corpus word that sounds like `candidate` (`sound`, one syllable per character) and
        differs from it in one character."""
        by_sound = _characters_by_sound()
        words = {
            candidate[:i] + other + candidate[i + 1 :]
            for i, reading in enumerate(sound)
            for other in by_sound.get(reading, ())
            if other != candidate[i]
        }
        found = [w for w in words if self.frequencies.get(w, 0) > 0 and lazy_pinyin(w) == sound]
        return min(found, key=lambda w: (-self.frequencies[w], w)) if found else None

    def _replacement(self, run: str, start: int, length: int, stray: set[int]) -> str | None:
        candidate = run[start : start + length]
        if stray.isdisjoint(range(start, start + length)) or candidate in self.frequencies:
            return None
        sound = lazy_pinyin(candidate)
        if len(sound) != length:
            return None
        match = self._sound_alike(candidate, sound)
        if match is None:
            return None
        corrected = run[:start] + match + run[start + length :]
        better = _single_characters(self.segment(corrected)) < _single_characters(self.segment(run))
        return match if better else None

    def _stray_characters(self, run: str) -> set[int]:
        """Positions of the run's one-character words: a typo leaves its word in pieces (服/物/流程, 满/易度),
        so only a span holding one can be a typo that makes the question read better."""
        stray, position = set(), 0
        for word in self.segment(run):
            if len(word) == 1:
                stray.add(position)
            position += len(word)
        return stray

    def _correct_run(self, run: str) -> str:
        i, stray = 0, self._stray_characters(run)
        while i < len(run):
            for length in _LENGTHS:
                if i + length <= len(run) and (match := self._replacement(run, i, length, stray)):
                    run = run[:i] + match + run[i + length :]
                    stray = self._stray_characters(run)
                    i += length
                    break
            else:
                i += 1
        return run

    def run(self, normalized: str) -> str:
        return _CJK_RUN.sub(lambda m: self._correct_run(m.group(0)), normalized)
