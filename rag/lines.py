"""Line vectors: each line of a chunk embedded on its own beside the chunk (small-to-big retrieval).

A chunk of 160 tokens holds several clauses; its one vector is an average of them, so a question in
everyday words about one short clause can sit far from it while sitting close to the clause alone.
The dense retriever scores a chunk by its own vector or its best line, whichever is closer, and still
returns the chunk: the answer and its citation keep the whole passage as context.

A list item is embedded with the lead-in it completes ("下列情形不予报销：" + "（三）无发票的；"),
and every line with the innermost section label, since a one-line item alone says little.
"""

import re

from rag.models import Chunk
from rag.normalize import normalize
from rag.sentences import CONTENT_CHAR, LEAD_IN, LIST_ITEM

LINE_SEPARATOR = "#"  # chunk ids are hex, so "<chunk id>#<n>" never names a chunk
MIN_LINE_CHARS = 4  # shorter pieces ("附则", "第三条") carry no meaning of their own

# Ended by 。！？ or the line's end, not by ；: the parts of one clause stay one line.
_PIECE = re.compile(r"[^。！？!?\r\n]+[。！？!?”’」』）)]*")


def line_texts(chunk: Chunk, normalized: bool = True) -> list[str]:
    """What is embedded for each line of `chunk`, in order; empty when the chunk is a single line,
    which the chunk's own vector already is."""
    label = chunk.section[-1] if chunk.section else ""
    lines, lead_in = [], ""
    for raw in chunk.text.splitlines():
        for piece in _PIECE.findall(raw):
            piece = piece.strip()
            if len(CONTENT_CHAR.findall(piece)) < MIN_LINE_CHARS:
                continue
            context = lead_in if lead_in and LIST_ITEM.match(piece) else label
            lines.append(normalize(f"{context}\n{piece}" if context else piece, normalized))
            if LEAD_IN.search(piece):
                lead_in = piece
            elif not LIST_ITEM.match(piece):
                lead_in = ""
    return lines if len(lines) > 1 else []


def line_id(chunk_id: str, number: int) -> str:
    return f"{chunk_id}{LINE_SEPARATOR}{number}"


def chunk_of(vector_id: str) -> str:
    """The chunk a stored vector belongs to: itself, or the chunk of a line."""
    return vector_id.partition(LINE_SEPARATOR)[0]
