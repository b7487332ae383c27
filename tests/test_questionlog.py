"""The question log (retention, off switch, failures swallowed), the insights built from it, `rag insights`."""

import logging
from datetime import UTC, datetime, timedelta

from rich.cells import cell_len
from typer.testing import CliRunner

from rag.cli import app
from rag.insights import cluster_declined, question_key
from rag.questionlog import LOG_NAME, LoggedQuestion, QuestionLog
from rag.tokenize import Tokenizer

from .conftest import DEMO_VOCABULARY, settings_for


def test_a_question_is_recorded_and_read_back(tmp_path):
    log = QuestionLog(tmp_path / LOG_NAME, retention_days=30)
    entry = LoggedQuestion("年假有几天？", "hr", False, ("c1",), ("制度",), ("制度 > 休假",), 12.5)
    log_id = log.record(entry)
    assert log_id is not None
    [read] = log.entries()
    assert (read.id, read.question, read.caller, read.covered) == (log_id, "年假有几天？", "hr", False)
    assert (read.chunk_ids, read.doc_ids, read.sections, read.latency_ms) == (
        ("c1",),
        ("制度",),
        ("制度 > 休假",),
        12.5,
    )


def test_rows_past_retention_are_purged_on_write(tmp_path):
    log = QuestionLog(tmp_path / LOG_NAME, retention_days=30)
    old = log.record(LoggedQuestion("旧问题", "a", True, asked_at=datetime.now(UTC) - timedelta(days=31)))
    log.record(LoggedQuestion("新问题", "a", True))
    assert [e.question for e in log.entries()] == ["新问题"]
    assert not log.rate(old, 1, None, None)  # purged: nothing to rate
    assert log.record(LoggedQuestion("再问", "a", True)) > old  # ids are not reused


def test_the_log_can_be_switched_off(tmp_path):
    assert QuestionLog.from_settings(settings_for(tmp_path, question_log=False)) is None
    assert QuestionLog.from_settings(settings_for(tmp_path, question_log_days=7)).retention == timedelta(days=7)


def test_a_write_failure_is_logged_and_swallowed(tmp_path, caplog):
    (tmp_path / LOG_NAME).mkdir()  # a directory where the database file should be
    with caplog.at_level(logging.WARNING, logger="rag.questionlog"):
        assert QuestionLog(tmp_path / LOG_NAME, 30).record(LoggedQuestion("问题", "a", True)) is None
    assert "问题记录写入失败" in caplog.text


def test_feedback_belongs_to_the_caller_who_asked(tmp_path):
    log = QuestionLog(tmp_path / LOG_NAME, 30)
    log_id = log.record(LoggedQuestion("问题", "staff", True))
    assert not log.rate(log_id, -1, "不对", "someone-else")
    assert log.rate(log_id, -1, "不对", "staff")
    assert (log.entries()[0].rating, log.entries()[0].comment) == (-1, "不对")


def test_declined_questions_cluster_by_shared_words():
    questions = ["公司年假有几天？", "年假怎么申请？", "年假可以累积到明年吗", "公司年假有几天", "报销发票怎么开？"]
    entries = [LoggedQuestion(q, "a", False) for q in questions] + [LoggedQuestion("年假", "a", True)]
    clusters = cluster_declined(entries, Tokenizer(DEMO_VOCABULARY["user_dict"]))
    assert clusters[0].words[0] == "年假" and clusters[0].count == 4 and len(clusters[0].questions) == 3
    assert set(clusters[1].words) == {"报销", "发票"} and clusters[1].questions == ("报销发票怎么开？",)
    assert question_key("年假有幾天？") == question_key("年假有几天")


def test_cli_insights_fits_80_columns(tmp_path, monkeypatch):
    log = QuestionLog(tmp_path / LOG_NAME, 90)
    for question in ["公司年假有几天？", "年假怎么申请？很长的一个问题，说明了很多背景和具体的情况以便测试折行"]:
        log.record(LoggedQuestion(question, "anonymous", False))
    rated = log.record(LoggedQuestion("客服响应时间？", "anonymous", True))
    log.rate(rated, -1, "没有说节假日怎么办", None)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["insights"])
    assert result.exit_code == 0, result.output
    assert "年假" in result.output and "没有说节假日怎么办" in result.output
    assert max(cell_len(line) for line in result.output.splitlines()) <= 80  # CJK is two columns wide
