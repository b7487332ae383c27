"""A refresh checks only the documents a write changed, yet still finds a changed document whose chunks are missing."""

import sqlite3

import pytest

from rag.errors import IndexCorruptError
from rag.index import ChunkIndex
from rag.ingest import Ingestor
from rag.tokenize import shared_tokenizer

from .conftest import settings_for


def write(folder, name: str, text: str):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def indexed(tmp_path):
    settings = settings_for(tmp_path / "index")
    docs = tmp_path / "docs"
    docs.mkdir()
    Ingestor(settings).run([write(docs, "报销.txt", "报销规范\n第一条 报销须提供发票原件。\n")])
    reader = ChunkIndex(settings, shared_tokenizer(settings.user_dict)).load()
    return settings, docs, reader


def test_a_refresh_loads_the_new_document(indexed):
    settings, docs, reader = indexed
    Ingestor(settings).run([write(docs, "休假.txt", "休假规范\n第一条 年休假须提前三天申请。\n")])

    refreshed = reader.refreshed()

    assert {c.doc_id for c in refreshed.chunks.values()} == {"报销", "休假"}
    assert {c.doc_id for c in reader.chunks.values()} == {"报销"}  # the old one stays as its readers saw it


def test_a_changed_document_with_missing_chunks_is_reported(indexed):
    settings, docs, reader = indexed
    Ingestor(settings).run([write(docs, "休假.txt", "休假规范\n第一条 年休假须提前三天申请。\n")])
    with sqlite3.connect(settings.data_dir / "chunks.sqlite") as db:
        db.execute("delete from chunks where doc_id = '休假'")

    with pytest.raises(IndexCorruptError, match="missing"):
        reader.refreshed()
