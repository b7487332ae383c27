"""OCR of scanned PDF pages: pdfium renders a page, RapidOCR reads it, and its boxes become lines again.

RapidOCR ships its Chinese PP-OCRv4 models inside the wheel, so nothing is downloaded. The boxes are put back
into lines in reading order, so a scanned 第X条 line reaches the cleaner and the chunker as one line, exactly
as a text layer would give it.
"""

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

from rag.errors import DocumentError

if TYPE_CHECKING:
    from pypdfium2 import PdfPage
    from rapidocr_onnxruntime import RapidOCR

_RENDER_DPI = 200  # RapidOCR shrinks a page's long side to 2,000 px; A4 at 200 dpi is 2,339 px high


@dataclass(frozen=True)
class TextBox:
    """One box of recognised text, by its extent on the page (pixels, y downwards)."""

    top: float
    bottom: float
    left: float
    right: float
    text: str

    @classmethod
    def of(cls, points: list[list[float]], text: str) -> "TextBox":
        xs, ys = [x for x, _ in points], [y for _, y in points]
        return cls(min(ys), max(ys), min(xs), max(xs), text)


@cache
def _engine() -> "RapidOCR":
    """Built once per process, on the first scanned page: importing and loading the models takes seconds."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def reading_order(boxes: list[TextBox]) -> list[str]:
    """Boxes grouped into lines, top to bottom, each line read left to right.

    A box joins the line whose vertical extent holds its middle; a gap wider than the line's height (a tab
    stop, a table column) becomes a space, while boxes that meet are joined as the Chinese text they are.
    """
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: b.top):
        middle = (box.top + box.bottom) / 2
        if lines and middle <= max(b.bottom for b in lines[-1]):
            lines[-1].append(box)
        else:
            lines.append([box])
    return [_join(sorted(line, key=lambda b: b.left)) for line in lines]


def _join(line: list[TextBox]) -> str:
    height = max(b.bottom - b.top for b in line)
    text = line[0].text
    for previous, box in pairwise(line):
        text += (" " if box.left - previous.right > height else "") + box.text
    return text


def _page_boxes(page: "PdfPage") -> list[TextBox]:
    image = page.render(scale=_RENDER_DPI / 72).to_numpy()  # BGR, as RapidOCR expects
    result, _ = _engine()(image)
    return [TextBox.of(points, text) for points, text, _score in result or []]


def ocr_pages(data: bytes, name: str, pages: list[int]) -> dict[int, str]:
    """The text read on each of `pages` (numbered from 0) of the PDF, one line per text line."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise DocumentError(f"{name}: PDF 无法渲染，不能做 OCR（{error}）") from error
    try:
        return {number: "\n".join(reading_order(_page_boxes(document[number]))) for number in pages}
    finally:
        document.close()
