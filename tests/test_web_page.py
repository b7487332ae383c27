"""The web page at `/`, driven in Debian's headless Chromium against a real server on 127.0.0.1.

Screenshots of each tab are saved under `test-artifacts/` (or `RAG_TEST_ARTIFACTS`).
"""

import os
import shutil
from pathlib import Path

import pytest

from rag.config import ApiKey

from .conftest import ROOT, LiveServer, settings_for
from .files import write_docx

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("RAG_TEST_ARTIFACTS", ROOT / "test-artifacts"))
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser, tmp_path):
    """Start a real server for `settings` and open the page in a fresh browser context."""
    servers, contexts = [], []

    def open_page(settings, width: int = 1280, height: int = 900):
        from api.app import create_app

        server = LiveServer(create_app(settings)).__enter__()
        servers.append(server)
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(server.url + "/")
        return page

    yield open_page
    for context in contexts:
        context.close()
    for server in servers:
        server.__exit__()


def screenshot(page, name: str, full_page: bool = True) -> None:
    """The whole page, or (`full_page=False`) only what the viewport shows at its current scroll."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def ask(page, question: str):
    page.fill("#question", question)
    page.click("#ask-form button")
    page.wait_for_function("() => !document.querySelector('#ask-form button').disabled")
    return page.locator(".turn").first


def test_ask_streams_a_cited_answer_and_opens_the_source(page_for, index_copy):
    page = page_for(index_copy)
    page.click("#examples button >> nth=0")  # an example question is asked at once
    page.wait_for_function("() => !document.querySelector('#ask-form button').disabled")
    assert page.input_value("#question") == "客户服务的响应时间标准是多少？"
    turn = page.locator(".turn").first
    assert page.locator(".turn").count() == 1
    assert turn.locator(".answer p").count() >= 1
    assert turn.locator(".sources li").count() >= 1

    turn.locator(".answer a.cite").first.click()
    panel = page.locator("#source-panel")
    panel.wait_for(state="visible")
    mark = panel.locator("mark")
    mark.wait_for()
    assert mark.inner_text() in turn.locator(".answer").inner_text()  # the cited words, in their context
    assert panel.locator("#source-section").inner_text().strip()
    screenshot(page, "1-ask")

    page.click("#source-link")
    viewer = page.locator("#doc-viewer")
    viewer.wait_for(state="visible")
    assert viewer.locator("mark").inner_text() == mark.inner_text()
    page.keyboard.press("Escape")

    turn.locator("button.copy").click()
    turn.locator(".copied", has_text="已复制").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "客户服务的响应时间标准是多少？" in copied and "出处" in copied and mark.inner_text() in copied


def test_an_uncovered_question_is_declined_plainly(page_for, index_copy):
    page = page_for(index_copy)
    turn = ask(page, "公司年假有几天？")
    assert "refusal" in turn.get_attribute("class")
    assert "未涉及" in turn.inner_text() and "相近的主题" in turn.inner_text()
    assert turn.locator("a.cite").count() == 0
    page.reload()
    assert page.locator(".turn").count() == 1  # the session's history survives a reload


def test_upload_a_document_then_find_it_by_asking(page_for, index_copy, tmp_path):
    page = page_for(index_copy)
    page.click("nav button[data-tab=docs]")
    page.locator("#doc-table tbody tr").first.wait_for()
    docx = write_docx(
        tmp_path / "仓储规范.docx", "仓储服务规范", [("一、温度", ["仓库温度必须保持在18至25摄氏度之间。"])]
    )
    page.set_input_files("#upload-files", str(docx))
    page.fill("#upload-version", "V1.0")
    page.click("#upload-form button[type=submit]")
    page.locator("#upload-result", has_text="新增 1").wait_for()
    page.locator("#doc-table", has_text="仓储服务规范").wait_for()
    page.fill("#search-query", "仓库温度")
    page.click("#search-form button")
    page.locator("#search-results .hit", has_text="18至25摄氏度").first.wait_for()
    screenshot(page, "2-documents")

    page.click("nav button[data-tab=ask]")
    turn = ask(page, "仓库温度要保持在多少度？")
    assert "18至25摄氏度" in turn.locator(".answer").inner_text()
    assert "仓储服务规范" in turn.locator(".sources").inner_text()

    page.click("nav button[data-tab=docs]")
    page.click("#doc-table button.delete[data-doc=仓储规范]")
    page.click("#confirm-delete button[value=delete]")
    page.locator("#doc-table", has_text="仓储服务规范").wait_for(state="detached")
    assert page.locator("#doc-table tbody tr").count() == 5


def test_a_colliding_file_name_is_refused_until_replacing_is_ticked(page_for, index_copy, tmp_path):
    page = page_for(index_copy)
    page.click("nav button[data-tab=docs]")
    page.locator("#doc-table tbody tr").first.wait_for()
    first, second = tmp_path / "巡检 规范.txt", tmp_path / "巡检_规范.md"
    first.write_text("巡检规范\n一、频次\n机房每日巡检两次。\n", encoding="utf-8")
    second.write_text("# 巡检规范\n## 一、频次\n机房每日巡检三次。\n", encoding="utf-8")
    page.set_input_files("#upload-files", str(first))
    page.click("#upload-form button[type=submit]")
    page.locator("#upload-result", has_text="新增 1").wait_for()

    page.set_input_files("#upload-files", str(second))
    page.click("#upload-form button[type=submit]")
    page.locator("#banner", has_text="文档 ID 冲突").wait_for()

    page.check("#upload-replace")
    page.click("#upload-form button[type=submit]")
    page.locator("#upload-result", has_text="更新 1").wait_for()
    page.fill("#search-query", "机房巡检频次")
    page.click("#search-form button")
    page.locator("#search-results .hit", has_text="每日巡检三次").first.wait_for()


def draft_in_page(page, topic: str):
    page.click("nav button[data-tab=draft]")
    page.fill("#draft-topic", topic)
    page.click("#draft-form button")
    page.locator("#draft-progress", has_text="起草完成").wait_for()
    return page.locator("#draft-output")


def test_draft_a_topic_and_download_the_docx(page_for, index_copy, tmp_path):
    from docx import Document

    page = page_for(index_copy)
    output = draft_in_page(page, "客户服务标准")
    assert output.locator("h2").count() >= 3 and output.locator("sup").count() >= 1
    assert "缺口报告" in output.inner_text()
    steps = output.locator("li", has_text="用戶服務流程").locator("ol > li")  # the process, whole and in order
    assert steps.count() == 5 and steps.first.inner_text().startswith("問題受理")
    assert output.locator(".warning").count() == 0
    screenshot(page, "3-draft")

    with page.expect_download() as download:
        page.click("#download-docx")
    path = tmp_path / "draft.docx"
    download.value.save_as(path)
    assert download.value.suggested_filename == "客户服务标准.docx"
    headings = [p.text for p in Document(path).paragraphs if p.style.name.startswith("Heading")]
    assert any("目的" in h for h in headings)


def test_a_thin_draft_says_so_in_the_page(page_for, corpus_index):
    warning = draft_in_page(page_for(corpus_index), "资源调配规范").locator(".warning")
    assert warning.count() == 1 and "少于 5 条" in warning.inner_text()


def test_with_keys_the_page_asks_for_one_and_shows_api_errors(page_for, corpus_index, tmp_path):
    settings = settings_for(corpus_index.data_dir, api_keys=[ApiKey(key="staff-key", groups=["public"])])
    page = page_for(settings)
    page.locator("#key-form").wait_for(state="visible")
    ask(page, "客户服务的响应时间标准是多少？")
    banner = page.locator("#banner")
    banner.wait_for(state="visible")
    assert "API 密钥" in banner.inner_text()
    page.fill("#key-input", "staff-key")
    page.click("#key-form button")
    page.locator("#key-status", has_text="可查阅 5 个文档").wait_for()
    turn = ask(page, "客户服务的响应时间标准是多少？")
    assert turn.locator(".sources li").count() >= 1
    assert page.locator("#upload-form").is_hidden()  # a reader key may not upload
    assert page.evaluate("sessionStorage.getItem('rag-key')") == "staff-key"


def test_readable_at_phone_width(page_for, index_copy):
    page = page_for(index_copy, width=390, height=844)
    turn = ask(page, "應急預案包括哪些內容？")
    turn.locator(".answer a.cite").first.click()
    page.locator("#source-panel mark").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    screenshot(page, "4-ask-phone")
