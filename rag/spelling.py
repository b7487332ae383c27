"""Homophone typo correction against the corpus vocabulary.

Chinese typos come from pinyin input methods: the wrong character with the right sound
(满易度 for 满意度, 服物 for 服务). Such a typo is no word of the corpus or of the language, so
neither BM25 nor the coverage check can match it; replacing it with the corpus word that sounds
the same restores both. Real words are never touched.
"""

import re
from collections.abc import Callable, Mapping

from pypinyin import lazy_pinyin

_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_LENGTHS = (4, 3, 2)  # longest first: 满易度 → 满意度 before 易度 is considered


def _single_characters(words: list[str]) -> int:
    return sum(1 for word in words if len(word) == 1)


class HomophoneCorrector:
    """Pipeline stage: normalised question → the same with sound-alike typos replaced.

    A replacement must make the question read better: fewer stray single characters in its
    segmentation (服/物流/程 → 服务/流程), so real words stay (数据备份 is not 数具备份).
    """

    def __init__(self, document_frequencies: Mapping[str, int], segment: Callable[[str], list[str]]) -> None:
        self.segment = segment
        self._by_sound: dict[tuple[str, ...], str] = {}
        for word, _ in sorted(document_frequencies.items(), key=lambda item: -item[1]):
            if len(word) in _LENGTHS and _CJK_RUN.fullmatch(word):
                self._by_sound.setdefault(tuple(lazy_pinyin(word)), word)

    def _replacement(self, run: str, start: int, length: int) -> str | None:
        candidate = run[start : start + length]
        match = self._by_sound.get(tuple(lazy_pinyin(candidate)))
        if match is None or match == candidate or sum(a != b for a, b in zip(candidate, match, strict=True)) > 1:
            return None
        corrected = run[:start] + match + run[start + length :]
        better = _single_characters(self.segment(corrected)) < _single_characters(self.segment(run))
        return match if better else None

    def _correct_run(self, run: str) -> str:
        i = 0
        while i < len(run):
            for length in _LENGTHS:
                if i + length <= len(run) and (match := self._replacement(run, i, length)):
                    run = run[:i] + match + run[i + length :]
                    i += length
                    break
            else:
                i += 1
        return run

    def run(self, normalized: str) -> str:
        return _CJK_RUN.sub(lambda m: self._correct_run(m.group(0)), normalized)
