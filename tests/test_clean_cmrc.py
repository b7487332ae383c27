"""A CMRC-style file (title line, then one paragraph of text) keeps all of its text, and never crashes."""

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.models import SourceDocument
from rag.tokenize import Tokenizer


def run(text):
    clean = Cleaner().run(SourceDocument("d", "d.txt", text, "h"))
    return clean, Chunker(Tokenizer(None), 160, 24).run(clean)


def test_text_that_opens_with_the_title_is_kept_whole():
    clean, chunks = run("北京大学\n北京大学是中国近代第一所国立综合性大学，创办于1898年。\n")
    assert clean.title == "北京大学"
    assert chunks[0].text == "北京大学是中国近代第一所国立综合性大学，创办于1898年。"


def test_a_title_that_matches_only_after_normalisation_does_not_crash():
    text = "2007-08年全球粮食价格危机\n2007－08年全球粮食价格危机是指2007年至2008年期间全球粮食价格上升。\n"
    clean, chunks = run(text)
    assert clean.title == "2007-08年全球粮食价格危机"
    assert chunks[0].text.startswith("2007－08年全球粮食价格危机是指")


def test_a_title_glued_to_the_first_heading_is_cut_off():
    clean, chunks = run("运营方案\n运营方案一、概述\n本方案规定了运营的基本要求和各部门的职责分工。\n")
    assert chunks[0].section == ("一、概述",) and chunks[0].text.startswith("一、概述")
