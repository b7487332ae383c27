import itertools
from pathlib import Path

import pytest

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.load import load_file
from rag.models import SourceDocument
from rag.normalize import normalize
from rag.tokenize import Tokenizer

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


def chunks_of(path: Path, tokenizer, **options):
    return Chunker(tokenizer, **options).run(Cleaner().run(load_file(path)))


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_chunks_are_verbatim_spans_without_boilerplate(path, tokenizer):
    text = path.read_text(encoding="utf-8")
    chunks = chunks_of(path, tokenizer)
    assert chunks
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert "已被采纳为最佳回答" not in chunk.text and "年前 -" not in chunk.text
        assert "\n-\n" not in chunk.text


def test_section_paths_follow_headings(tokenizer):
    chunks = chunks_of(next(CORPUS.glob("000_*.txt")), tokenizer)
    paths = {c.section_path for c in chunks}
    assert "运营交付标准有哪些内容 > 二、时间效率" in paths
    assert "运营交付标准有哪些内容 > 一、文档和资料" in paths


def test_chunk_size_is_bounded_in_jieba_tokens(tokenizer):
    for chunk in chunks_of(next(CORPUS.glob("003_*.txt")), tokenizer, max_tokens=60, overlap_tokens=10):
        # A single sentence longer than the budget is kept whole; anything else fits.
        words = len(tokenizer.words(normalize(chunk.text)))
        assert words <= 60 or chunk.text.count("。") <= 1 or "\n" not in chunk.text


def test_consecutive_chunks_of_a_section_overlap(tokenizer):
    chunks = chunks_of(next(CORPUS.glob("003_*.txt")), tokenizer, max_tokens=60, overlap_tokens=30)
    same_section = [(a, b) for a, b in itertools.pairwise(chunks) if a.section == b.section and a.doc_id == b.doc_id]
    assert any(b.start < a.end for a, b in same_section)


def test_ids_are_stable_and_content_derived(tokenizer):
    path = next(CORPUS.glob("002_*.txt"))
    first = [c.chunk_id for c in chunks_of(path, tokenizer)]
    assert first == [c.chunk_id for c in chunks_of(path, tokenizer)]
    assert len(set(first)) == len(first)


def test_editing_one_section_keeps_the_other_ids(tokenizer):
    text = "标题\n一、甲\n甲的规定是这样的。\n二、乙\n乙的规定是那样的。\n"
    edited = text.replace("乙的规定是那样的", "乙的规定已经修改")
    chunker = Chunker(tokenizer)
    before = chunker.run(Cleaner().run(SourceDocument("d", "d.txt", text, "1")))
    after = chunker.run(Cleaner().run(SourceDocument("d", "d.txt", edited, "2")))
    assert before[0].chunk_id == after[0].chunk_id
    assert before[1].chunk_id != after[1].chunk_id


def test_empty_document_gives_no_chunks(tokenizer):
    assert Chunker(tokenizer).run(Cleaner().run(SourceDocument("d", "d.txt", "\n\n", "h"))) == []


def test_repeated_outline_clause_is_indexed_once_with_its_details(tokenizer):
    chunks = chunks_of(next(CORPUS.glob("004_*.txt")), tokenizer)
    holding = [c for c in chunks if "3.制定崗位說明書,明確各崗位的任職資格" in c.text]
    assert holding and all(c.section[-1] == "(一)組織架構與職責分配" for c in holding)  # the outline's copy is gone
    assert any("任職資格:包括教育背景" in c.text for c in holding)
