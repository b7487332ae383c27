"""The demo corpus still chunks, and loses no text that no reason explains."""

from pathlib import Path

import pytest

from rag.chunk import Chunker, coverage, dropped_spans
from rag.clean import Cleaner, DropReason
from rag.load import load_file
from rag.tokenize import Tokenizer

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def results():
    chunker = Chunker(Tokenizer(None), 160, 24)
    out = {}
    for path in sorted(CORPUS.glob("*.txt")):
        clean, decisions = Cleaner().analyse(load_file(path))
        chunks = chunker.run(clean)
        out[path.name[:3]] = (clean, chunks, dropped_spans(clean, decisions, chunks))
    return out


def test_every_document_gives_chunks(results):
    assert all(len(chunks) >= 5 for _, chunks, _ in results.values())
    assert sum(len(chunks) for _, chunks, _ in results.values()) >= 120


def test_nothing_is_dropped_without_a_reason(results):
    for clean, _, spans in results.values():
        assert not [s for s in spans if s.reason is DropReason.UNCHUNKED]
        assert coverage(clean, spans).lost == 0


def test_the_outline_of_the_scraped_page_is_reported_as_duplicate(results):
    clean, _, spans = results["004"]
    reasons = {s.reason for s in spans}
    assert {DropReason.BOILERPLATE, DropReason.TITLE, DropReason.DUPLICATE, DropReason.TRAILER} <= reasons
