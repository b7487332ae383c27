"""Ingest reports kept and dropped characters per document, and one failing document spares the batch."""

from rag.clean import Cleaner
from rag.ingest import Ingestor

from .conftest import settings_for

POLICY = "客服规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n二、回访\n服务结束后三天内完成满意度回访。\n"


def test_kept_and_dropped_characters_are_counted_and_a_broken_document_fails_alone(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(POLICY, encoding="utf-8")
    (docs / "bad.txt").write_text("坏文档\n这一篇在清洗时出错。\n", encoding="utf-8")
    analyse = Cleaner.analyse

    def failing(self, document):
        if document.doc_id == "bad":
            raise StopIteration
        return analyse(self, document)

    monkeypatch.setattr(Cleaner, "analyse", failing)
    report = Ingestor(settings_for(tmp_path / "index")).run([docs])
    assert report.added == ["good"]
    assert [p.rsplit("/", 1)[-1] for p, _ in report.failed] == ["bad.txt"]
    assert report.dropped_chars["good"] == len("客服规范") and report.lost_chars["good"] == 0
    assert report.kept_chars["good"] == len("".join(POLICY.split())) - len("客服规范")
