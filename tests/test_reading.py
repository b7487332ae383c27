"""The reading view: the cleaned text of a document, made of pieces of the original."""

from rag.clean import Cleaner
from rag.load import load_file
from rag.normalize import strip_annotations
from rag.reading import reading_view

from .conftest import CORPUS

SCRAPED = CORPUS / "004_cbe7e9667f46007f.txt"  # a scraped page: boilerplate lines and pinyin readings


def test_the_view_drops_boilerplate_and_readings_and_keeps_every_kept_line():
    document = load_file(SCRAPED)
    view = reading_view(document)
    assert "已閱讀5頁" in document.text and "規(guī)范" in document.text
    for boilerplate in ("已閱讀", "下載本文檔", "版權(quán)說明", "文檔簡介", "(guī)"):
        assert boilerplate not in view.text
    for segment in Cleaner().run(document).segments:
        assert strip_annotations(document.text[segment.start : segment.end]) in view.text


def test_each_piece_is_the_original_text_at_both_offsets():
    document = load_file(SCRAPED)
    view = reading_view(document)
    assert view.pieces and view.pieces[0].start > 0  # the page's chrome comes first and is gone
    for piece, following in zip(view.pieces, view.pieces[1:], strict=False):
        assert piece.end <= following.start and piece.at + piece.end - piece.start <= following.at
    for piece in view.pieces:
        assert view.text[piece.at : piece.at + piece.end - piece.start] == document.text[piece.start : piece.end]


def test_a_reading_cut_out_of_a_line_leaves_the_line_whole(tmp_path):
    path = tmp_path / "规范.txt"
    path.write_text("运营规范\n一、总则\n本規(guī)范适用于全体员工，由运营部负责解释。\n", encoding="utf-8")
    view = reading_view(load_file(path))
    assert "本規范适用于全体员工，由运营部负责解释。" in view.text.splitlines()
