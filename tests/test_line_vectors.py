"""Line vectors live and die with their chunk: written beside it, regrouped with it, removed with it."""

from rag.access import Access
from rag.ingest import IngestOptions, Ingestor
from rag.lines import chunk_of, line_texts
from rag.service import Assistant
from rag.vectors import GROUP_KEY

from .conftest import settings_for

REIMBURSE = (
    "报销管理办法\n"
    "第八条 下列费用不予报销：\n（一）私人宴请的；\n（二）无发票的；\n（三）超标准住宿的。\n"
    "第九条 报销单须经部门负责人签字后提交财务部。\n"
)


def stored(assistant: Assistant) -> dict[str, dict]:
    found = assistant.index.collection.get(include=["metadatas"])
    return dict(zip(found["ids"], found["metadatas"], strict=True))


def expected_lines(assistant: Assistant) -> int:
    return sum(len(line_texts(c)) for c in assistant.index.chunks.values())


def test_each_line_of_a_chunk_is_stored_beside_it_with_its_groups(tmp_path):
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "报销管理办法.txt"
    path.write_text(REIMBURSE, encoding="utf-8")

    report = Ingestor(settings).run([path], options=IngestOptions(groups=("finance",)))

    assistant = Assistant(settings)
    vectors = stored(assistant)
    assert report.lines_embedded == expected_lines(assistant) > 0
    assert len(vectors) == len(assistant.index.chunks) + report.lines_embedded
    assert {chunk_of(v) for v in vectors} == set(assistant.index.chunks)
    assert all(m[GROUP_KEY + "finance"] is True and m["chunk"] == chunk_of(v) for v, m in vectors.items())

    travel = tmp_path / "差旅办法.txt"
    travel.write_text("差旅办法\n出差须提前一天申请。\n", encoding="utf-8")
    Ingestor(settings).run([travel], options=IngestOptions(groups=("finance",)))
    Ingestor(settings).run([path], options=IngestOptions(groups=("hr",)))

    regrouped = {v: m for v, m in stored(Assistant(settings)).items() if m["doc_id"] == "报销管理办法"}
    assert len(regrouped) == len(vectors)
    assert all(m[GROUP_KEY + "hr"] is True and m[GROUP_KEY + "finance"] is False for m in regrouped.values())
    finance = Assistant(settings, access=Access("finance", frozenset({"finance"}), admin=False))
    hits = finance.engine.retriever.dense(finance.analyze("无发票能报销吗？"), finance.readable)
    travel_chunks = Assistant(settings).index.manifest.documents["差旅办法"].chunk_ids
    assert [chunk_of(h.chunk_id) for h in hits] == list(travel_chunks)


def test_replacing_or_removing_a_document_leaves_no_line_of_its_old_chunks(tmp_path):
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "报销管理办法.txt"
    path.write_text(REIMBURSE, encoding="utf-8")
    Ingestor(settings).run([path])

    path.write_text(REIMBURSE.replace("私人宴请", "个人娱乐"), encoding="utf-8")
    report = Ingestor(settings).run([path])

    assistant = Assistant(settings)
    vectors = stored(assistant)
    assert report.chunks_reused >= 1
    assert {chunk_of(v) for v in vectors} == set(assistant.index.chunks)
    assert len(vectors) == len(assistant.index.chunks) + expected_lines(assistant)

    Ingestor(settings).remove(["报销管理办法"])

    assert Assistant(settings).index.collection.count() == 0


def test_a_question_about_one_list_item_finds_its_chunk_by_the_line(tmp_path):
    settings = settings_for(tmp_path / "index")
    path = tmp_path / "报销管理办法.txt"
    path.write_text(REIMBURSE, encoding="utf-8")
    Ingestor(settings).run([path])

    hits = Assistant(settings).search("住宿超过标准了还能报吗？")

    assert "超标准住宿" in hits[0].chunk.text
    assert hits[0].dense_score is not None


def test_line_vectors_can_be_turned_off_for_a_cheaper_ingest(tmp_path):
    settings = settings_for(tmp_path / "index", line_vectors=False)
    path = tmp_path / "报销管理办法.txt"
    path.write_text(REIMBURSE, encoding="utf-8")

    report = Ingestor(settings).run([path])

    assistant = Assistant(settings)
    assert report.lines_embedded == 0
    assert assistant.index.collection.count() == len(assistant.index.chunks) == report.chunks_embedded
    assert "超标准住宿" in " ".join(h.chunk.text for h in assistant.search("住宿超过标准了还能报吗？"))
