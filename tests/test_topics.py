"""学习目录: the topic map built from the section tree, GET /topics, `rag topics`, and /ask restricted to a section."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.config import ApiKey
from rag.ingest import IngestOptions, Ingestor
from rag.load import load_file
from rag.normalize import strip_annotations, to_simplified
from rag.service import Assistant, Engine
from rag.tokenize import shared_tokenizer
from rag.topics import UnknownSectionError, build_topics, chunks_under, suggested_question

from .conftest import DEMO_VOCABULARY, settings_for

INSPECTION = """巡检规范
机房巡检由运维部负责，本规范说明巡检的频次、内容和人员。
一、巡检频次
机房每日巡检两次，节假日每日巡检一次。
二、巡检内容
（一）温度
机房温度应保持在18至25摄氏度之间。
（二）湿度
相对湿度应保持在40%至60%之间。
三、哪些人可以巡检
持有上岗证的运维人员可以独立巡检。
"""
SALARY = """薪酬保密规定
一、年终奖
年终奖金按绩效系数发放，绩效系数最高为三倍月薪。
二、保密义务
员工不得向他人透露本人薪酬。
"""
KEYS = [
    ApiKey(key="admin-key", name="admin", admin=True),
    ApiKey(key="staff-key", name="staff", groups=["public"]),
    ApiKey(key="hr-key", name="hr", groups=["public", "hr"]),
]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def within(section: str, path: str) -> bool:
    return path == section or path.startswith(section + " > ")


@pytest.fixture(scope="module")
def inspection(tmp_path_factory):
    path = tmp_path_factory.mktemp("topics") / "巡检规范.txt"
    path.write_text(INSPECTION, encoding="utf-8")
    document = load_file(path)
    return document, Chunker(shared_tokenizer(None), 160, 24).run(Cleaner().run(document))


@pytest.fixture(scope="module")
def demo(corpus_index):
    return Assistant(engine=Engine(corpus_index))


def test_headings_become_questions_without_their_numbering():
    assert suggested_question("服务响应时限") == "服务响应时限是怎么规定的？"
    assert suggested_question("（二）操作流程規范") == "操作流程规范是怎么规定的？"  # numbering off, Simplified
    assert suggested_question("第三章 安全管理") == "安全管理是怎么规定的？"
    assert suggested_question("1.2 备份策略") == "备份策略是怎么规定的？"
    assert suggested_question("5G网络建设") == "5G网络建设是怎么规定的？"  # a number that is part of the name stays
    assert suggested_question("运营交付标准有哪些内容") == "运营交付标准有哪些内容？"  # it asks already
    assert suggested_question("客户投诉多久必须处理：") == "客户投诉多久必须处理？"
    assert suggested_question("（一）温度", "二、巡检内容") == "巡检内容的温度是怎么规定的？"  # short: with its parent
    assert suggested_question("一、") is None


def test_a_document_maps_to_its_topics_sections_summaries_and_headings(inspection):
    document, chunks = inspection
    [mapped] = build_topics(chunks)
    assert (mapped.doc_id, mapped.title) == ("巡检规范", "巡检规范")
    assert mapped.overview.summary == "机房巡检由运维部负责，本规范说明巡检的频次、内容和人员。"
    assert [t.section.labels for t in mapped.topics] == [("一、巡检频次",), ("二、巡检内容",), ("三、哪些人可以巡检",)]
    content = mapped.topics[1]
    assert [s.path for s in content.sections] == [
        "巡检规范 > 二、巡检内容 > （一）温度",
        "巡检规范 > 二、巡检内容 > （二）湿度",
    ]
    assert content.section.summary == "机房温度应保持在18至25摄氏度之间。"  # the headings above it are left out
    assert content.questions == [
        "巡检内容是怎么规定的？",
        "巡检内容的温度是怎么规定的？",
        "巡检内容的湿度是怎么规定的？",
    ]
    assert mapped.topics[2].questions == ["哪些人可以巡检？"]
    for section in (mapped.topics[0].section, content.section, *content.sections):
        assert document.text[section.start : section.end] == section.labels[-1]  # opens at its heading line


def test_a_section_is_its_chunks_and_those_below_it(inspection):
    _, chunks = inspection
    by_path = {c.section_path: c.chunk_id for c in chunks}
    assert chunks_under(chunks, "巡检规范 > 二、巡检内容") == {
        by_path["巡检规范 > 二、巡检内容 > （一）温度"],
        by_path["巡检规范 > 二、巡检内容 > （二）湿度"],
    }
    assert chunks_under(chunks, " 巡检规范 ") == {c.chunk_id for c in chunks}  # the title alone: the document
    for unknown in ("巡检规范 > 二、巡检", "巡检规范 > 四、附则", "薪酬保密规定"):  # a prefix of a label is no section
        with pytest.raises(UnknownSectionError, match="没有可查阅的章节"):
            chunks_under(chunks, unknown)


def test_every_demo_section_opens_at_its_own_heading_in_document_order(demo):
    documents = demo.topics()
    assert [d.doc_id for d in documents] == [r.doc_id for r in demo.documents()]
    for document in documents:
        text = demo.text(document.doc_id)
        starts = [t.section.start for t in document.topics]
        assert starts == sorted(starts)
        for topic in document.topics:
            for section in (topic.section, *topic.sections):
                assert strip_annotations(text[section.start : section.end]).startswith(section.labels[-1])
                assert section.summary and section.question == to_simplified(section.question)
            assert all(s.start > topic.section.start for s in topic.sections)
    # A page that repeats its outline ahead of the text still lists its topics where their text begins.
    [repeated] = [d for d in documents if d.doc_id.startswith("004")]
    assert [t.section.labels[0][:2] for t in repeated.topics] == ["一、", "二、", "三、"]


def test_most_suggested_questions_are_answered_from_their_own_section(demo):
    documents = demo.topics()
    sections = [s for d in documents for t in d.topics for s in (t.section, *t.sections)]
    sections += [d.overview for d in documents if d.overview]
    answers = [demo.ask(s.question) for s in sections]
    covered = sum(a.covered for a in answers) / len(answers)
    own = sum(any(within(s.path, c.section) for c in a.citations) for s, a in zip(sections, answers, strict=True))
    assert len(sections) > 50 and covered >= 0.9, covered
    assert own / len(sections) >= 0.5, own / len(sections)
    for section in sections[::7]:  # asked within its own section, a question is answered from there alone
        restricted = demo.ask(section.question, section=section.path)
        assert all(within(section.path, c.section) for c in restricted.citations)
        assert all(within(section.path, t) for t in restricted.closest_topics)


def test_a_refusal_can_be_asked_again_within_one_of_its_closest_topics(demo):
    declined = demo.ask("公司年假有几天？")
    assert not declined.covered and declined.closest_topics
    topic = declined.closest_topics[0]
    hits = demo.retrieve(demo.analyze(declined.question), within=demo.section(topic))
    assert hits and all(within(topic, h.chunk.section_path) for h in hits)
    again = demo.ask(declined.question, section=topic)
    assert all(within(topic, t) for t in again.closest_topics)
    with pytest.raises(UnknownSectionError):
        demo.ask(declined.question, section="员工手册 > 年假")


@pytest.fixture
def keyed_index(index_copy, tmp_path):
    """The demo corpus plus a document only the hr group may read, served with reader, hr and admin keys."""
    path = tmp_path / "salary.txt"
    path.write_text(SALARY, encoding="utf-8")
    Ingestor(index_copy).run([path], options=IngestOptions(groups=("hr",)))
    return settings_for(index_copy.data_dir, api_keys=KEYS)


def test_get_topics_shows_only_what_the_key_may_read(client_for, keyed_index):
    client = client_for(keyed_index)
    assert client.get("/topics").status_code == 401
    staff = client.get("/topics", headers=bearer("staff-key"))
    assert staff.status_code == 200
    staff_docs = {d["doc_id"] for d in staff.json()}
    assert len(staff_docs) == 5 and "salary" not in staff_docs
    assert "薪酬" not in staff.text and "年终奖" not in staff.text
    hr = {d["doc_id"]: d for d in client.get("/topics", headers=bearer("hr-key")).json()}
    assert hr.keys() == staff_docs | {"salary"}
    salary = hr["salary"]
    assert [t["heading"] for t in salary["topics"]] == ["一、年终奖", "二、保密义务"]
    bonus = salary["topics"][0]
    assert bonus["section"] == "薪酬保密规定 > 一、年终奖" and bonus["questions"] == ["年终奖是怎么规定的？"]
    assert SALARY[bonus["start"] : bonus["end"]] == "一、年终奖"  # the text starts at offset 0: the file as is
    # The demo documents look the same to both keys, and as the module builds them.
    assert staff.json() == [hr[d] for d in sorted(staff_docs)]
    built = {d.doc_id: d for d in Assistant(keyed_index).topics()}
    for document in staff.json():
        paths = [s.path for t in built[document["doc_id"]].topics for s in (t.section, *t.sections)]
        assert [s["section"] for t in document["topics"] for s in (t, *t["sections"])] == paths


def test_ask_within_a_section_over_http(client_for, keyed_index):
    client = client_for(keyed_index)
    section = "薪酬保密规定 > 一、年终奖"
    body = {"question": "年终奖金的绩效系数最高是多少？", "section": section}
    hidden = client.post("/ask", json=body, headers=bearer("staff-key"))
    unknown = client.post("/ask", json=body | {"section": "薪酬保密规定 > 九、不存在"}, headers=bearer("hr-key"))
    assert hidden.status_code == unknown.status_code == 422  # a section the key may not read is as unknown
    assert "没有可查阅的章节" in hidden.json()["detail"] and "相近的主题" in hidden.json()["detail"]
    blank = client.post("/ask", json=body | {"section": "  "}, headers=bearer("hr-key"))
    assert blank.status_code == 422 and "章节不能为空" in blank.json()["detail"]

    answer = client.post("/ask", json=body, headers=bearer("hr-key")).json()
    assert answer["covered"] and answer["section"] == section
    assert answer["citations"] and all(within(section, c["section"]) for c in answer["citations"])
    elsewhere = client.post("/ask", json=body | {"section": "薪酬保密规定 > 二、保密义务"}, headers=bearer("hr-key"))
    assert all(c["section"] != section for c in elsewhere.json()["citations"])

    declined = client.post("/ask", json={"question": "公司年假有几天？"}, headers=bearer("staff-key")).json()
    topic = declined["closest_topics"][0]
    again = client.post("/ask", json={"question": "公司年假有几天？", "section": topic}, headers=bearer("staff-key"))
    assert again.status_code == 200 and again.json()["section"] == topic
    assert all(within(topic, t) for t in again.json()["closest_topics"])


def rag_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    vocabulary = {f"RAG_{name.upper()}": str(path) for name, path in DEMO_VOCABULARY.items()}
    env = os.environ | vocabulary | {"RAG_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_rag_topics_prints_the_map_at_80_columns_and_as_json(corpus_index, demo):
    printed = rag_cli("topics", data_dir=corpus_index.data_dir)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80  # capped although the terminal is 200 wide
    documents = demo.topics()
    for document in documents:
        assert any(strip_annotations(document.title) in line for line in lines)
    assert "问：服务质量是怎么规定的？" in printed.stdout and "--section" in printed.stderr

    as_json = rag_cli("topics", "--json", data_dir=corpus_index.data_dir)
    rows = json.loads(as_json.stdout)
    assert [r["doc_id"] for r in rows] == [d.doc_id for d in documents]
    first = documents[0].topics[0]
    assert rows[0]["topics"][0]["section"]["path"] == first.section.path
    assert rows[0]["topics"][0]["questions"] == first.questions


def test_rag_ask_within_a_section(corpus_index):
    section = "运营保障细则内容有哪些 > 应急预案"
    answer = rag_cli("ask", "应急预案应包括哪些内容？", "--section", section, "--json", data_dir=corpus_index.data_dir)
    assert answer.returncode == 0, answer.stderr
    body = json.loads(answer.stdout)
    assert body["covered"] and all(c["section"] == section for c in body["citations"])
    unknown = rag_cli("ask", "应急预案应包括哪些内容？", "--section", "没有 > 这一节", data_dir=corpus_index.data_dir)
    assert unknown.returncode == 2 and unknown.stderr.startswith("错误：没有可查阅的章节")


def test_the_map_follows_an_upload_and_a_delete(client_for, keyed_index):
    client = client_for(keyed_index)
    admin = bearer("admin-key")

    def documents() -> set[str]:
        return {d["doc_id"] for d in client.get("/topics", headers=admin).json()}

    before = documents()
    assert documents() == before  # asked twice: the same map, built once
    files = {"files": ("巡检.txt", "仓库巡检规定\n一、巡检频次\n仓库每日巡检三次。\n".encode(), "text/plain")}
    assert client.post("/documents", files=files, headers=admin).status_code == 200
    assert documents() == before | {"巡检"}
    assert client.delete("/documents/巡检", headers=admin).status_code == 200
    assert documents() == before
