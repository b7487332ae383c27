"""Document records live in the chunk store by generation: a commit writes only the records it changes, a reader
that knows an earlier generation reads only those, a lost record is reported, and a format-3 manifest (records in
the manifest itself) is read and moved into the store by the next commit."""

import json
import shutil

import pytest

from rag.chunkstore import ChunkStore
from rag.errors import IndexCorruptError
from rag.ingest import Ingestor
from rag.manifest import MANIFEST_NAME, Manifest, load_manifest, save_manifest
from rag.models import DocumentRecord
from rag.service import Assistant

from .test_manifest_reads import commit, record


def test_a_reader_of_an_earlier_generation_reads_only_the_changes(tmp_path):
    commit(tmp_path, 1, {"a": record("a", 1), "b": record("b", 2)})
    earlier = load_manifest(tmp_path)
    commit(tmp_path, 2, {"a": record("a", 1), "c": record("c", 3)}, retired=("b",))
    rewritten = DocumentRecord(**{**vars(record("a", 1)), "revision": 2})
    commit(tmp_path, 3, {"a": rewritten, "c": record("c", 3)}, retired=("a",))
    caught_up = load_manifest(tmp_path, since=earlier)
    assert caught_up.documents == {"a": rewritten, "c": record("c", 3)}
    assert earlier.documents.keys() == {"a", "b"}  # the reader's own copy is left as it was
    assert ChunkStore(tmp_path).documents(3) == caught_up.documents


def test_a_lost_record_is_reported_not_taken_for_a_removed_document(tmp_path):
    commit(tmp_path / "written", 1, {"a": record("a", 1), "b": record("b", 1)})
    shutil.copytree(tmp_path / "written", tmp_path / "copied")  # as another process finds it: not read before
    with ChunkStore(tmp_path / "copied")._connect() as db:
        db.execute("delete from documents where doc_id = 'b'")
    with pytest.raises(IndexCorruptError, match="2 documents committed, 1 found"):
        load_manifest(tmp_path / "copied")


def test_an_index_write_stores_only_the_records_it_changes(index_copy):
    before = load_manifest(index_copy.data_dir)
    (index_copy.data_dir / "new").mkdir()
    extra = index_copy.data_dir / "new" / "值班制度.txt"
    extra.write_text("值班制度\n第一条 值班人员应提前十分钟到岗。\n", encoding="utf-8")
    Ingestor(index_copy).run([extra])
    after = load_manifest(index_copy.data_dir)
    with ChunkStore(index_copy.data_dir)._connect() as db:
        written = db.execute("select doc_id from documents where added = ?", (after.generation,)).fetchall()
    assert [w[0] for w in written] == ["值班制度"]
    assert after.documents.keys() == before.documents.keys() | {"值班制度"}
    manifest_file = json.loads((index_copy.data_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest_file["documents"] == len(after.documents)  # a count, not the records


def test_a_format_3_manifest_is_read_and_moved_into_the_store(index_copy):
    data_dir = index_copy.data_dir
    committed = load_manifest(data_dir)
    legacy = {
        "version": 3,
        "embedder": committed.embedder,
        "normalize": committed.normalize,
        "generation": committed.generation,
        "chunking": committed.chunking,
        "collection": committed.collection,
        "documents": {d: vars(r) for d, r in committed.documents.items()},
    }
    with ChunkStore(data_dir)._connect() as db:
        db.execute("delete from documents")  # a store of that release holds no records
    (data_dir / MANIFEST_NAME).write_text(json.dumps(legacy, ensure_ascii=False), encoding="utf-8")
    assistant = Assistant(index_copy)
    assert assistant.index.manifest.documents == committed.documents
    assert assistant.ask("客户服务的响应时间标准是多少？").covered

    doc_id = sorted(committed.documents)[0]
    Ingestor(index_copy).remove([doc_id])
    migrated = load_manifest(data_dir)
    assert json.loads((data_dir / MANIFEST_NAME).read_text(encoding="utf-8"))["version"] == 4
    assert migrated.documents.keys() == committed.documents.keys() - {doc_id}
    assert ChunkStore(data_dir).documents(migrated.generation) == migrated.documents


def test_an_empty_manifest_needs_no_store(tmp_path):
    save_manifest(tmp_path, Manifest(embedder="e"))
    assert load_manifest(tmp_path).documents == {}
