"""Text normalisation for *matching* only; displayed and cited text stays as the document wrote it.

Scraped pages sometimes carry pinyin readings after characters (`規(guī)范`), and documents mix
Traditional and Simplified script, so a Simplified question would miss a Traditional passage.
Chunks and queries go through the same `normalize` so their tokens and vectors meet.
"""

import re
import unicodedata
from functools import cache

import opencc

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A parenthesised pinyin syllable right after a CJK character, with at least one tone mark,
# so that `(StepbyStep)` or `(KPI)` are left alone.
PINYIN_ANNOTATION = re.compile(rf"(?<=[\u3400-\u9fff])\((?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}\)")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def strip_annotations(text: str) -> str:
    """Remove pinyin readings; this is also how text is *displayed*, since readers never want them."""
    return PINYIN_ANNOTATION.sub("", text)


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def normalize(text: str, enabled: bool = True) -> str:
    """Matching form: annotations stripped, Simplified script, half-width, lower-case Latin."""
    text = strip_annotations(text)
    if not enabled:
        return text
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()
