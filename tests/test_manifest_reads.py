"""The manifest is read once per committed file: a second read returns what the first did, as the caller's own
copy, and a file another process replaced is read afresh, with the records of its generation."""

import json
import os

import pytest

from rag.chunkstore import ChunkStore
from rag.errors import IndexCorruptError
from rag.manifest import MANIFEST_NAME, Manifest, load_manifest, save_manifest
from rag.models import DocumentRecord


def record(doc_id: str, chunks: int) -> DocumentRecord:
    ids = tuple(f"{doc_id}-{n}" for n in range(chunks))
    return DocumentRecord(doc_id, doc_id, f"{doc_id}.txt", "hash-" + doc_id, ids, "2026-12-06T00:00:00")


def commit(data_dir, generation: int, records: dict[str, DocumentRecord], retired: tuple[str, ...] = ()) -> None:
    """What a writer does: the generation's rows first, then the manifest naming it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = ChunkStore(data_dir)
    store.retire(generation, (), retired)
    store.stage(generation, [], records.values())
    save_manifest(data_dir, Manifest(embedder="e", generation=generation, documents=records))


def test_a_second_read_is_equal_and_the_callers_own(tmp_path):
    commit(tmp_path, 3, {"a": record("a", 2)})
    first = load_manifest(tmp_path)
    first.documents.pop("a")
    second = load_manifest(tmp_path)
    assert list(second.documents) == ["a"] and second.documents["a"].chunk_ids == ("a-0", "a-1")
    assert second.generation == 3


def test_a_file_replaced_by_another_writer_is_read_afresh(tmp_path):
    commit(tmp_path, 1, {"a": record("a", 1)})
    assert load_manifest(tmp_path).generation == 1
    ChunkStore(tmp_path).stage(2, [], [record("b", 1)])
    path = tmp_path / MANIFEST_NAME
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["generation"], raw["documents"] = 2, 2
    tmp = path.with_name("other-writer.tmp")
    tmp.write_text(json.dumps(raw), encoding="utf-8")
    os.replace(tmp, path)  # as another process commits: a new inode
    again = load_manifest(tmp_path)
    assert again.generation == 2 and sorted(again.documents) == ["a", "b"]


def test_a_damaged_file_is_still_reported(tmp_path):
    save_manifest(tmp_path, Manifest(embedder="e", generation=1))
    load_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text("{", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=MANIFEST_NAME):
        load_manifest(tmp_path)
