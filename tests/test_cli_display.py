"""What `rag list`, `rag search` and `rag draft` print for a person at an 80-column terminal: every
line fits, ids stay whole, snippets are one clean line cut with "…", drafts are rendered, not Markdown."""

import os
import subprocess
import sys

import pytest
from rich.cells import cell_len

from .conftest import DEMO_VOCABULARY

LONG_TITLE = "星河物流有限公司客户服务质量与投诉处理管理办法（二〇二四年修订版）"
ANNOTATED = (
    LONG_TITLE
    + "\n第一条 客服人员应在两小时内响应客户咨询，並按規(guī)范記錄每一次溝通的內(nèi)容、處理結果和回訪時間；"
    + "重大投訴須在當日上報部門負責人，並在三個工作日內給出書面答覆，答覆內容應包括原因分析與整改措施。\n"
)


def rag(*args: str, data_dir, columns: int = 80) -> subprocess.CompletedProcess:
    vocabulary = {f"RAG_{name.upper()}": str(path) for name, path in DEMO_VOCABULARY.items()}
    env = os.environ | vocabulary | {"RAG_DATA_DIR": str(data_dir), "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs")
    (docs / "customer_service_quality_and_complaints.txt").write_text(ANNOTATED, encoding="utf-8")
    data = tmp_path_factory.mktemp("index")
    assert rag("ingest", str(docs), data_dir=data).returncode == 0
    return data


def fits(output: str, columns: int = 80) -> bool:
    return all(cell_len(line) <= columns for line in output.splitlines())


def test_the_document_list_fits_80_columns_with_whole_ids(index):
    listing = rag("list", data_dir=index)
    assert listing.returncode == 0, listing.stderr
    assert fits(listing.stdout)
    assert "customer_service_quality_and_complaints" in listing.stdout


def test_a_wide_terminal_also_shows_format_and_dates(index):
    wide = rag("list", data_dir=index, columns=160).stdout
    assert "格式" in wide and "txt" in wide
    assert "格式" not in rag("list", data_dir=index).stdout


def test_search_snippets_have_no_pinyin_and_end_with_an_ellipsis(index):
    search = rag("search", "客服响应", data_dir=index)
    assert search.returncode == 0, search.stderr
    assert fits(search.stdout)
    assert "guī" not in search.stdout and "nèi" not in search.stdout
    assert "…" in search.stdout


def test_a_draft_is_printed_rendered_not_as_markdown(corpus_index, tmp_path):
    result = rag("draft", "客户服务标准", "--out", str(tmp_path), data_dir=corpus_index.data_dir)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "客户服务标准.md").read_text(encoding="utf-8").startswith("# 客户服务标准")
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "客户服务标准" in result.stdout
    assert not any(line.startswith("#") for line in lines) and "**" not in result.stdout
