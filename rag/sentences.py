"""Sentence spans: the unit an answer quotes and a citation points at."""

import re

_SENTENCE = re.compile(r"[^。！？；!?;\r\n]+(?:[。！？；!?;]+[”’」』）)]*)?")
_LEADING_MARK = re.compile(r"^[\s\u3000\-–—•·*>]+")
CONTENT_CHAR = re.compile(r"[\w\u3400-\u9fff]")
# A sentence that announces a list ("下列情形不予报销：") and one that is an item of it ("（三）…", "2、…").
LEAD_IN = re.compile(r"[：:]\s*$")
LIST_ITEM = re.compile(r"^[（(]?[一二三四五六七八九十\d]{1,3}[)）、.．]")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans (offsets into `text`) of the sentences in text[start:end], ended by 。！？； or a newline.

    Leading bullets and whitespace are left out of a span, so each quote reads as a sentence and
    is still a verbatim substring of the document.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(text, start, end):
        piece = match.group()
        lead = _LEADING_MARK.match(piece)
        offset = lead.end() if lead else 0
        stripped = piece[offset:].rstrip()
        if stripped and CONTENT_CHAR.search(stripped):
            s = match.start() + offset
            spans.append((s, s + len(stripped)))
    return spans
