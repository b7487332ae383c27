"""Version and effective date, as a document states them ("版本：V2.1", "自2024年3月1日起施行").

These fill the manifest's fields when the uploader gives none; what the uploader gives wins.
"""

import re
from datetime import date

# Simplified and Traditional forms alike; the text is searched as written, so the version keeps its case.
_VERSION = re.compile(r"(?:版本[号號]?|版次)\s*[:：]?\s*([Vv]?\d+(?:\.\d+){0,3})")
_DATE = r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?"
_TAKES_EFFECT = r"(?:施行|实施|實施|生效|执行|執行)"
_EFFECTIVE = (
    re.compile(rf"{_TAKES_EFFECT}日期\s*[:：]?\s*{_DATE}"),
    re.compile(rf"{_DATE}\s*起?\s*{_TAKES_EFFECT}"),
)


def stated_version(text: str) -> str | None:
    match = _VERSION.search(text)
    return match.group(1) if match else None


def stated_effective_date(text: str) -> str | None:
    """The first stated date the document takes effect on, as ISO `YYYY-MM-DD`."""
    for pattern in _EFFECTIVE:
        for match in pattern.finditer(text):
            try:
                return date(*map(int, match.groups())).isoformat()
            except ValueError:
                continue
    return None
