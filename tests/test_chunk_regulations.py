"""Every 第X条 clause and every （一） item of real regulations ends up inside a chunk."""

import re
from pathlib import Path

import pytest

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.load import load_file
from rag.tokenize import Tokenizer

REGULATIONS = Path(__file__).resolve().parents[2] / "shared" / "regulations"
CLAUSE_OR_ITEM = re.compile(r"^\s*(?:第[一二三四五六七八九十百千零〇\d]+条|[（(][一二三四五六七八九十]+[)）])")
SAMPLE = sorted(p for p in REGULATIONS.rglob("*.md") if p.name != "README.md")[::20] if REGULATIONS.is_dir() else []


@pytest.fixture(scope="module")
def chunker():
    return Chunker(Tokenizer(None), 160, 24)


@pytest.mark.skipif(not SAMPLE, reason="../shared/regulations is not available")
@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem[:20])
def test_every_clause_and_item_line_is_inside_a_chunk(path, chunker):
    document = load_file(path)
    chunks = chunker.run(Cleaner().run(document))
    text = document.text
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    for line in re.finditer(r"[^\n]+", text):
        if CLAUSE_OR_ITEM.match(line.group()):
            start = line.start() + len(line.group()) - len(line.group().lstrip())
            assert any(c.start <= start and line.end() <= c.end for c in chunks) or all(
                any(c.start <= i < c.end for c in chunks) for i in range(start, line.end()) if not text[i].isspace()
            ), line.group()


@pytest.mark.skipif(not SAMPLE, reason="../shared/regulations is not available")
def test_date_lines_are_never_section_labels(chunker):
    for path in SAMPLE:
        for chunk in chunker.run(Cleaner().run(load_file(path))):
            assert not any(re.search(r"\d{4}\s*年\s*\d{1,2}\s*月", label) for label in chunk.section), chunk.section
