"""Replacing, re-ingesting and removing documents keeps Chroma, BM25 and the manifest in step."""

import pytest

from rag.errors import DocumentNotFoundError
from rag.ingest import IngestOptions, Ingestor
from rag.manifest import load_manifest
from rag.service import Assistant

from .conftest import settings_for

FREIGHT = "二、运费\n质量问题的退货运费由公司承担。\n"
V1 = "退货规范\n版本：V1.0\n一、时限\n客户可在签收后七天内申请无理由退货。\n" + FREIGHT
V2 = "退货规范\n版本：V2.0\n自2025年3月1日起施行。\n一、时限\n客户可在签收后十五天内申请无理由退货。\n" + FREIGHT


@pytest.fixture
def returns(tmp_path):
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "docs" / "returns.txt"
    path.parent.mkdir()
    path.write_text(V1, encoding="utf-8")
    Ingestor(settings).run([path])
    return settings, path


def quotes(settings, question: str) -> str:
    return " ".join(c.quote for c in Assistant(settings).ask(question).citations)


def test_a_changed_file_replaces_its_old_version_everywhere(returns):
    settings, path = returns
    assert "七天内" in quotes(settings, "多少天内可以退货？")
    path.write_text(V2, encoding="utf-8")

    report = Ingestor(settings).run([path])

    assert report.updated == ["returns"]
    assert report.chunks_reused >= 1  # the unchanged 运费 clause keeps its vector
    cited = quotes(settings, "多少天内可以退货？")
    assert "十五天内" in cited and "七天内" not in cited
    assistant = Assistant(settings)
    assert not any("七天内" in c.text for c in assistant.index.chunks.values())
    assert assistant.index.stored_chunks() == set(assistant.index.chunks)  # no vector of a replaced chunk
    record = load_manifest(settings.data_dir).documents["returns"]
    assert (record.revision, record.version, record.effective_date) == (2, "V2.0", "2025-03-01")


def test_reingesting_an_unchanged_file_is_a_no_op(returns):
    settings, path = returns
    manifest = (settings.data_dir / "manifest.json").read_bytes()
    report = Ingestor(settings).run([path])
    assert report.unchanged == ["returns"] and report.chunks_embedded == 0
    assert (settings.data_dir / "manifest.json").read_bytes() == manifest


def test_new_access_groups_update_the_manifest_without_reembedding(returns):
    settings, path = returns
    report = Ingestor(settings).run([path], options=IngestOptions(groups=("hr",)))
    assert report.updated == ["returns"] and report.chunks_embedded == 0
    record = load_manifest(settings.data_dir).documents["returns"]
    assert record.groups == ("hr",) and record.revision == 1
    # Without groups given, a later ingest keeps the recorded ones.
    Ingestor(settings).run([path])
    assert load_manifest(settings.data_dir).documents["returns"].groups == ("hr",)


def test_removing_a_document_takes_it_out_of_every_store(returns, tmp_path):
    settings, _ = returns
    other = tmp_path / "docs" / "hours.txt"
    other.write_text("营业时间\n门店每天九点开门，晚上九点关门。\n", encoding="utf-8")
    Ingestor(settings).run([other])

    report = Ingestor(settings).remove(["returns"])

    assert report.removed == ["returns"]
    assistant = Assistant(settings)
    assert set(assistant.index.manifest.documents) == {"hours"}
    assert {c.doc_id for c in assistant.index.chunks.values()} == {"hours"}
    assert assistant.index.stored_chunks() == set(assistant.index.chunks)  # no vector of a replaced chunk
    assert not assistant.ask("多少天内可以退货？").covered
    assert list((settings.data_dir / "texts").iterdir()) == [
        settings.data_dir / "texts" / f"{assistant.index.manifest.documents['hours'].content_hash}.txt"
    ]


def test_removing_an_unknown_id_changes_nothing(returns):
    settings, _ = returns
    manifest = (settings.data_dir / "manifest.json").read_bytes()
    with pytest.raises(DocumentNotFoundError, match="nope"):
        Ingestor(settings).remove(["returns", "nope"])
    assert (settings.data_dir / "manifest.json").read_bytes() == manifest


def test_two_files_with_the_same_id_are_not_merged_silently(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy.md").write_text("规范甲\n客服两小时内响应。\n", encoding="utf-8")
    (docs / "policy.txt").write_text("规范乙\n客服一小时内响应。\n", encoding="utf-8")
    report = Ingestor(settings_for(tmp_path / "index")).run([docs])
    assert report.added == ["policy"]
    assert len(report.failed) == 1 and "文档 ID" in report.failed[0][1]
