"""The page's source panel, document viewer and 文档 tab, driven in Debian's headless Chromium."""

import re

from rag.normalize import strip_annotations

from .files import write_docx
from .test_web_page import ask, browser, page_for, pytestmark, screenshot  # noqa: F401 (fixtures, skip mark)

PHONE = {"width": 390, "height": 844}
ANNOTATED = "004_cbe7e9667f46007f"  # the scraped page with boilerplate lines and pinyin readings


def in_viewport(locator, viewport: dict) -> bool:
    box = locator.bounding_box()
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"]
        and box["y"] + box["height"] <= viewport["height"]
    )


def test_at_phone_width_a_citation_brings_its_source_into_view(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy, **PHONE)
    ask(page, "應急預案包括哪些內容？")
    ask(page, "运营交付需要交付哪些文档？")  # the first answer is now far down the page
    older = page.locator(".turn", has_text="應急預案包括哪些內容？")
    older.locator(".answer a.cite").first.click()
    page.locator("#source-title", has_text="运营保障细则").wait_for()
    panel = page.locator("#source-panel")
    panel.locator("mark").wait_for()
    for part in ("#source-title", "#source-close", "#source-context mark"):
        assert in_viewport(page.locator(part), PHONE), part
    box = panel.bounding_box()
    assert abs(box["y"] + box["height"] - PHONE["height"]) <= 1 and box["y"] > 0  # a sheet over the bottom
    screenshot(page, "8-phone-source-sheet", full_page=False)  # the sheet over the screen, as a phone shows it
    screenshot(page, "8-phone-source")

    page.click("#source-link")
    viewer = page.locator("#doc-viewer")
    viewer.locator("mark").wait_for()
    for part in ("#viewer-title", "#doc-viewer button.close", "#viewer-toggle", "#viewer-text mark"):
        assert in_viewport(page.locator(part), PHONE), part
    screenshot(page, "9-phone-viewer")
    page.click("#doc-viewer button.close")
    viewer.wait_for(state="hidden")
    page.click("#source-close")
    panel.wait_for(state="hidden")


def test_sources_name_document_and_section_and_show_the_context_on_click(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy)
    turn = ask(page, "客户服务的响应时间标准是多少？")
    sentences = [re.sub(r"(\[\d+\])+$", "", p) for p in turn.locator(".answer p").all_inner_texts()]
    sources = turn.locator(".sources li").all_inner_texts()
    assert sentences and sources
    titles = [row["title"] for row in page.evaluate("fetch('/documents').then((r) => r.json())")]
    for source in sources:
        assert not any(sentence in source for sentence in sentences)  # no answer sentence repeated
        assert any(title in source for title in titles)
    cited = turn.locator(".answer a.cite").count()
    assert len(sources) <= cited  # one line per section, however many of its sentences are cited

    turn.locator(".sources a.cite").first.click()
    context = page.locator("#source-context")
    mark = context.locator("mark")
    mark.wait_for()
    assert mark.inner_text() in turn.locator(".answer").inner_text()
    assert len(context.inner_text()) > len(mark.inner_text())  # the sentence among its neighbours


def test_the_viewer_shows_cleaned_text_and_the_original_with_the_citation_in_both(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy)
    turn = ask(page, "用户服务流程是怎样的？")
    citations = page.evaluate("JSON.parse(sessionStorage.getItem('rag-history'))[0].citations")
    citation = next(c for c in citations if c["doc_id"] == ANNOTATED and "(" in c["quote"])
    turn.locator(f".answer a.cite[data-cite='{citation['id']}']").first.click()
    page.locator("#source-context mark").wait_for()
    page.click("#source-link")
    text, mark, toggle = page.locator("#viewer-text"), page.locator("#viewer-text mark"), page.locator("#viewer-toggle")
    mark.wait_for()

    cleaned = text.inner_text()
    for boilerplate in ("已閱讀", "下載本文檔", "版權(quán)說明", "(guī)"):
        assert boilerplate not in cleaned
    assert "規范" in cleaned
    assert mark.inner_text() == strip_annotations(citation["quote"])
    assert toggle.get_attribute("aria-pressed") == "false"
    screenshot(page, "10-viewer-cleaned")

    toggle.click()
    page.locator("#viewer-toggle[aria-pressed=true]").wait_for()
    original = text.inner_text()
    assert "已閱讀5頁" in original and "規(guī)范" in original
    assert mark.inner_text() == citation["quote"]
    assert mark.is_visible()
    screenshot(page, "11-viewer-original")

    toggle.click()
    assert mark.inner_text() == strip_annotations(citation["quote"])
    page.click("#doc-viewer button.close")

    page.click("nav button[data-tab=docs]")  # opened from the table: cleaned too, with nothing marked
    page.click(f"#doc-table a.view[data-doc='{ANNOTATED}']")
    page.locator("#doc-viewer").wait_for(state="visible")
    assert text.inner_text() == cleaned and mark.count() == 0
    assert toggle.get_attribute("aria-pressed") == "false"


def test_delete_is_confirmed_in_the_page_and_the_table_refreshes(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy)
    page.click("nav button[data-tab=docs]")
    rows = page.locator("#doc-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 5
    title = rows.first.locator("a.view").inner_text()
    dialog = page.locator("#confirm-delete")

    rows.first.locator("button.delete").click()
    dialog.wait_for(state="visible")
    assert title in dialog.inner_text()
    dialog.locator("button[value=cancel]").click()
    dialog.wait_for(state="hidden")
    assert rows.count() == 5 and page.locator("#doc-status").inner_text() == ""

    rows.first.locator("button.delete").click()
    dialog.locator("button[value=delete]").click()
    status = page.locator("#doc-status")
    status.filter(has_text="已删除").wait_for()
    assert title in status.inner_text()
    page.locator("#doc-table tbody tr").nth(3).wait_for()
    assert rows.count() == 4 and title not in page.locator("#doc-table").inner_text()
    screenshot(page, "12-deleted")


def test_upload_shows_progress_names_its_files_clears_stale_hits_and_counts_revisions(
    page_for,  # noqa: F811
    index_copy,
    tmp_path,
):
    page = page_for(index_copy)
    page.click("nav button[data-tab=docs]")
    page.locator("#doc-table tbody tr").first.wait_for()
    page.fill("#search-query", "仓库温度")
    page.click("#search-form button")
    page.locator("#search-results > *").first.wait_for()

    page.evaluate("""() => {
      window.progressSeen = [];
      const text = document.querySelector('#upload-progress-text');
      new MutationObserver(() => window.progressSeen.push(text.textContent))
        .observe(text, { childList: true, characterData: true, subtree: true });
    }""")
    good = write_docx(tmp_path / "仓储规范.docx", "仓储服务规范", [("一、温度", ["仓库温度必须保持在18至25摄氏度。"])])
    broken = tmp_path / "损坏.pdf"
    broken.write_bytes(b"not a pdf at all")
    page.set_input_files("#upload-files", [str(good), str(broken)])
    page.click("#upload-form button[type=submit]")
    result = page.locator("#upload-result")
    result.filter(has_text="新增 1").wait_for()
    assert any("正在导入" in seen or "上传中" in seen for seen in page.evaluate("window.progressSeen"))
    assert page.locator("#upload-progress").is_hidden()
    assert "仓储规范.docx" in result.inner_text() and "仓储服务规范" in result.inner_text()
    assert "损坏.pdf" in result.inner_text() and "跳过 1" in result.inner_text()
    assert page.locator("#search-results").inner_text() == ""  # found before the upload: stale, cleared
    row = page.locator("#doc-table tbody tr", has_text="仓储服务规范")
    assert row.locator("td.revision").inner_text() == "1"
    screenshot(page, "13-uploaded")

    write_docx(good, "仓储服务规范", [("一、温度", ["仓库温度必须保持在16至26摄氏度。"])])
    page.set_input_files("#upload-files", str(good))
    page.click("#upload-form button[type=submit]")
    result.filter(has_text="更新 1").wait_for()
    assert "修订 2" in result.inner_text()
    page.locator("#doc-table tbody tr", has_text="仓储服务规范").locator("td.revision", has_text="2").wait_for()
