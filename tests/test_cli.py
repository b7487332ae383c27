"""The `rag` command as a user runs it: a real subprocess with a real index."""

import json
import os
import subprocess
import sys

from .conftest import DEMO_VOCABULARY, settings_for

POLICY = "客服规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n"


def rag(*args: str, data_dir) -> subprocess.CompletedProcess:
    vocabulary = {f"RAG_{name.upper()}": str(path) for name, path in DEMO_VOCABULARY.items()}
    env = os.environ | vocabulary | {"RAG_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_ingest_ask_list_and_search(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy.txt").write_text(POLICY, encoding="utf-8")
    data = tmp_path / "index"

    ingest = rag("ingest", str(docs), data_dir=data)
    assert ingest.returncode == 0, ingest.stderr
    assert "新增 1" in ingest.stdout

    again = rag("ingest", str(docs), data_dir=data)
    assert "未变 1" in again.stdout and "向量化 0 段" in again.stdout

    answer = rag("ask", "客服多久响应？", "--json", data_dir=data)
    assert answer.returncode == 0, answer.stderr
    body = json.loads(answer.stdout)
    assert body["covered"] and body["citations"][0]["quote"] == "客服人员应在两小时内响应客户咨询。"

    table = rag("ask", "客服多久响应？", data_dir=data)
    assert "[1]" in table.stdout and "来源" in table.stdout

    listing = rag("list", data_dir=data)
    assert "policy" in listing.stdout

    search = rag("search", "响应", "--json", data_dir=data)
    assert json.loads(search.stdout)[0]["doc_id"] == "policy"


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    empty = rag("ask", "客服多久响应？", data_dir=tmp_path / "none")
    assert empty.returncode == 2
    assert empty.stderr.strip().startswith("错误：索引为空") and len(empty.stderr.strip().splitlines()) == 1

    blank = rag("ask", "   ", data_dir=tmp_path / "none")
    assert blank.returncode == 2 and "问题不能为空" in blank.stderr

    missing = rag("ingest", str(tmp_path / "nope"), data_dir=tmp_path / "none")
    assert missing.returncode == 2 and "路径不存在" in missing.stderr


def test_groups_version_and_remove(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy.txt").write_text(POLICY, encoding="utf-8")
    data = tmp_path / "index"
    ingest = rag(
        "ingest", str(docs), "--groups", "hr,public", "--version", "V3", "--effective-date", "2025-01-01", data_dir=data
    )
    assert ingest.returncode == 0, ingest.stderr
    [record] = json.loads(rag("list", "--json", data_dir=data).stdout)
    assert (record["groups"], record["version"], record["effective_date"]) == (["hr", "public"], "V3", "2025-01-01")

    bad_date = rag("ingest", str(docs), "--effective-date", "明天", data_dir=data)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    bad_groups = rag("ingest", str(docs), "--groups", "a b", data_dir=data)
    assert bad_groups.returncode == 2 and bad_groups.stderr.startswith("错误：访问组名称无效")

    unknown = rag("remove", "nope", data_dir=data)
    assert unknown.returncode == 2 and unknown.stderr.startswith("错误：没有这些文档：nope")
    removed = rag("remove", "policy", data_dir=data)
    assert removed.returncode == 0 and "已删除 1 个文档" in removed.stdout
    assert json.loads(rag("list", "--json", data_dir=data).stdout) == []


def test_bad_file_in_batch_exits_1_and_indexes_the_rest(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(POLICY, encoding="utf-8")
    (docs / "empty.txt").write_text("", encoding="utf-8")
    result = rag("ingest", str(docs), data_dir=tmp_path / "index")
    assert result.returncode == 1
    assert "新增 1" in result.stdout and "empty.txt" in result.stderr


def test_corrupt_index_names_the_fix(tmp_path):
    data = tmp_path / "index"
    data.mkdir()
    (data / "manifest.json").write_text("{", encoding="utf-8")
    result = rag("ask", "应急预案", data_dir=data)
    assert result.returncode == 2 and "rag ingest --rebuild" in result.stderr
    assert settings_for(data).data_dir == data


def test_draft_writes_markdown_and_docx_and_declines_uncovered_topics(corpus_index, tmp_path):
    out = tmp_path / "drafts"
    result = rag("draft", "客户服务标准", "--out", str(out), data_dir=corpus_index.data_dir)
    assert result.returncode == 0, result.stderr
    assert (out / "客户服务标准.md").read_text(encoding="utf-8").startswith("# 客户服务标准")
    assert (out / "客户服务标准.docx").stat().st_size > 0
    declined = rag("draft", "年假管理制度", "--out", str(out), data_dir=corpus_index.data_dir)
    assert declined.returncode == 2 and declined.stderr.startswith("错误：") and len(declined.stderr.splitlines()) == 1
    assert not (out / "年假管理制度.md").exists()


def test_handbook_from_a_topics_file(corpus_index, tmp_path):
    topics = tmp_path / "topics.txt"
    topics.write_text("客户服务标准\n应急预案\n\n", encoding="utf-8")
    out = tmp_path / "drafts"
    result = rag(
        "handbook", "新员工运营手册", "--topics-file", str(topics), "--out", str(out), data_dir=corpus_index.data_dir
    )
    assert result.returncode == 0, result.stderr
    markdown = (out / "新员工运营手册.md").read_text(encoding="utf-8")
    assert "第一章 客户服务标准" in markdown and "第二章 应急预案" in markdown
