"""Ingest against a real embedded Chroma and real files."""

import json
import shutil

import pytest

from rag.errors import EmbedderMismatchError, EmptyIndexError, IndexCorruptError
from rag.ingest import Ingestor
from rag.manifest import load_manifest
from rag.service import Assistant

from .conftest import CORPUS, docstore_path, settings_for

POLICY = "客服规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n二、回访\n服务结束后三天内完成满意度回访。\n"


def test_reingest_of_unchanged_corpus_embeds_nothing(index_copy):
    before = (index_copy.data_dir / "manifest.json").read_text(encoding="utf-8")
    report = Ingestor(index_copy).run([CORPUS])
    assert len(report.unchanged) == 5
    assert report.chunks_embedded == 0 and not report.added and not report.updated
    assert (index_copy.data_dir / "manifest.json").read_text(encoding="utf-8") == before


def test_changed_document_replaces_its_chunks_and_reuses_unchanged_vectors(tmp_path):
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "docs" / "policy.txt"
    path.parent.mkdir()
    path.write_text(POLICY, encoding="utf-8")
    first = Ingestor(settings).run([path.parent])
    assert first.chunks_embedded == 2

    path.write_text(POLICY.replace("两小时内", "三十分钟内"), encoding="utf-8")
    second = Ingestor(settings).run([path.parent])
    assert second.updated == ["policy"]
    assert second.chunks_embedded == 1 and second.chunks_reused == 1

    assistant = Assistant(settings)
    assert len(assistant.index.stored_chunks()) == 2
    quotes = " ".join(c.quote for c in assistant.ask("客服多久要响应？").citations)
    assert "三十分钟内" in quotes and "两小时内" not in quotes


def test_a_broken_file_is_reported_and_the_rest_indexed(tmp_path):
    settings = settings_for(tmp_path / "index")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(POLICY, encoding="utf-8")
    (docs / "empty.txt").write_text("", encoding="utf-8")
    (docs / "binary.md").write_bytes(bytes(range(256)) * 4)
    report = Ingestor(settings).run([docs])
    assert report.added == ["good"]
    assert {p.rsplit("/", 1)[-1] for p, _ in report.failed} == {"empty.txt", "binary.md"}
    assert load_manifest(settings.data_dir).documents.keys() == {"good"}


def test_asking_an_empty_index_is_a_clear_error(tmp_path):
    with pytest.raises(EmptyIndexError, match="rag ingest"):
        Assistant(settings_for(tmp_path / "nothing")).ask("客服多久响应？")


def test_corrupt_index_is_reported_with_a_rebuild_hint_and_rebuild_fixes_it(index_copy):
    docstore_path(index_copy).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        Assistant(index_copy)
    report = Ingestor(index_copy).run([next(CORPUS.glob("002_*.txt"))], rebuild=True)
    assert report.added == ["002_aae8f5016c96a838"]
    answer = Assistant(index_copy).ask("應急預案包括哪些內容？")
    assert answer.covered and {c.doc_id for c in answer.citations} == {"002_aae8f5016c96a838"}


def test_truncated_manifest_is_reported_as_corrupt(index_copy):
    (index_copy.data_dir / "manifest.json").write_text('{"version": 1', encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        Ingestor(index_copy).run([CORPUS])


def test_changing_the_embedder_requires_a_rebuild(index_copy):
    manifest = json.loads((index_copy.data_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["embedder"] = "some-other-model|normalize=True"
    (index_copy.data_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(EmbedderMismatchError, match="--rebuild"):
        Ingestor(index_copy).run([CORPUS])


def test_deleting_the_chroma_files_is_detected_as_missing_vectors(index_copy):
    shutil.rmtree(index_copy.data_dir / "chroma")
    with pytest.raises(IndexCorruptError, match="向量库只有 0 个向量"):
        Assistant(index_copy).ask("应急预案包括哪些内容？")
