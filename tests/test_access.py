"""Access groups are enforced inside retrieval: a reader's candidates never include what they may not read."""

import pytest

from rag.access import OPEN_ACCESS, Access, InvalidGroupError, KeyRing, validate_groups
from rag.config import ApiKey
from rag.draft import Drafter, TopicNotCoveredError
from rag.errors import AuthenticationError, DocumentNotFoundError, PermissionDeniedError
from rag.ingest import IngestOptions, Ingestor
from rag.service import Assistant, Engine

from .conftest import settings_for

PUBLIC = "客服规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n二、回访\n服务结束后三天内完成满意度回访。\n"
SECRET = (
    "薪酬保密规定\n一、年终奖\n年终奖金按绩效系数发放，绩效系数最高为三倍月薪。\n"
    "二、保密\n员工不得向他人透露本人薪酬。\n"
)
READER = Access("reader", frozenset({"public"}), admin=False)
HR = Access("hr", frozenset({"public", "hr"}), admin=False)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("access")
    settings = settings_for(root / "index")
    (root / "public.txt").write_text(PUBLIC, encoding="utf-8")
    (root / "salary.txt").write_text(SECRET, encoding="utf-8")
    Ingestor(settings).run([root / "public.txt"])
    Ingestor(settings).run([root / "salary.txt"], options=IngestOptions(groups=("hr",)))
    return Engine(settings)


def test_neither_retriever_returns_a_chunk_outside_the_readable_documents(engine):
    reader = Assistant(engine=engine, access=READER)
    analysis = reader.analyze("年终奖金按绩效系数发放，绩效系数最高为多少？")
    secret_ids = set(engine.index.manifest.documents["salary"].chunk_ids)
    assert secret_ids & {r.chunk_id for r in engine.retriever.bm25(analysis)}  # unfiltered, it would be found
    assert not secret_ids & {r.chunk_id for r in engine.retriever.bm25(analysis, reader.readable)}
    assert not secret_ids & {r.chunk_id for r in engine.retriever.dense(analysis, reader.readable)}


def test_a_reader_gets_no_answer_citation_or_search_hit_from_a_restricted_document(engine):
    reader = Assistant(engine=engine, access=READER)
    answer = reader.ask("年终奖金的绩效系数最高是多少？")
    assert not answer.covered and not answer.citations
    assert "薪酬" not in answer.text and "绩效" not in " ".join(answer.closest_topics)
    assert all(hit.chunk.doc_id == "public" for hit in reader.search("年终奖 绩效系数 薪酬 保密"))
    assert [r.doc_id for r in reader.documents()] == ["public"]
    with pytest.raises(DocumentNotFoundError):
        reader.text("salary")


def test_the_vocabulary_a_reader_is_judged_against_holds_no_restricted_word(engine):
    reader_words = engine.index.frequencies_within(engine.index.readable_by(READER.groups))
    all_words = engine.index.frequencies_within(None)
    assert "绩效" in all_words and "绩效" not in reader_words
    assert reader_words["客服"] == all_words["客服"]


def test_a_reader_cannot_draft_from_a_restricted_document(engine):
    with pytest.raises(TopicNotCoveredError):
        Drafter(Assistant(engine=engine, access=READER)).run("薪酬保密规定")
    draft = Drafter(Assistant(engine=engine, access=HR)).run("薪酬保密规定")
    assert {c.doc_id for c in draft.citations} == {"salary"}


def test_a_member_of_the_group_is_answered_from_it(engine):
    answer = Assistant(engine=engine, access=HR).ask("年终奖金的绩效系数最高是多少？")
    assert answer.covered and answer.citations[0].doc_id == "salary"


def test_a_key_with_no_readable_document_is_told_so(engine):
    nobody = Access("finance", frozenset({"finance"}), admin=False)
    with pytest.raises(PermissionDeniedError):
        Assistant(engine=engine, access=nobody).ask("客服多久响应？")


def test_keys_authenticate_to_their_groups():
    ring = KeyRing([ApiKey(key="r-key", groups=["public"]), ApiKey(key="a-key", name="admin", admin=True)])
    assert ring.authenticate("r-key").groups == frozenset({"public"})
    assert ring.authenticate("a-key").admin and ring.authenticate("a-key").groups is None
    for bad in (None, "", "wrong"):
        with pytest.raises(AuthenticationError):
            ring.authenticate(bad)
    assert KeyRing([]).authenticate(None) is OPEN_ACCESS


def test_group_names_are_checked():
    assert validate_groups([" hr", "public", "hr"]) == ("hr", "public")
    for bad in ([], [" "], ["../etc"], ["a b"]):
        with pytest.raises(InvalidGroupError):
            validate_groups(bad)
