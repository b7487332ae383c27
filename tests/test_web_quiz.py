"""The 测验 tab in headless Chromium against a real server: make a quiz, answer one item right and one
wrong, read each explanation with its cited clause, and find the topic's score again after a reload."""

from pathlib import Path

import httpx
import pytest

from rag.normalize import strip_annotations

from .test_web_page import CHROMIUM, browser, page_for, screenshot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def answer(page, element, item: dict, text: str) -> None:
    if item["options"]:
        element.locator(f"input[type=radio][value='{text}']").check()
    else:
        element.locator("input.fill").fill(text)
    element.locator("button.check").click()
    element.locator(".quiz-result").wait_for(state="visible")


def test_answer_a_quiz_read_the_cited_clause_and_keep_the_score(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy)
    page.click("nav button[data-tab=quiz]")
    page.fill("#quiz-topic", "应急预案")
    page.fill("#quiz-count", "3")
    page.click("#quiz-form button")
    elements = page.locator("#quiz-items .quiz-item")
    elements.first.wait_for()
    assert elements.count() == 3
    items = page.evaluate("quiz.items")
    assert all("answer" not in item for item in items)  # the page is never given the key

    # The server says what is right (to any caller who has answered); the page must agree.
    origin = page.url.rstrip("/")
    keys = [httpx.post(f"{origin}/quiz/check", json={"ref": i["ref"], "answer": "？"}).json() for i in items[:2]]

    first, second = elements.nth(0), elements.nth(1)
    answer(page, first, items[0], keys[0]["answer"])
    assert "回答正确" in first.locator(".quiz-result").inner_text()
    assert strip_annotations(keys[0]["citation"]["quote"]) in first.locator(".quiz-result").inner_text()
    assert "right" in first.get_attribute("class")

    wrong = next((o for o in items[1]["options"] if o != keys[1]["answer"]), "不对")
    answer(page, second, items[1], wrong)
    result = second.locator(".quiz-result").inner_text()
    assert "回答错误" in result and f"正确答案是“{keys[1]['answer']}”" in result
    assert strip_annotations(keys[1]["citation"]["quote"]) in result
    assert second.locator("button.check").is_disabled()  # one answer per item: the score stays honest

    second.locator("a.quiz-source").click()
    viewer = page.locator("#doc-viewer")
    viewer.wait_for(state="visible")
    # the viewer opens on the cleaned text (pinyin readings dropped), the clause highlighted there
    assert viewer.locator("mark").inner_text() == strip_annotations(keys[1]["citation"]["quote"])
    page.keyboard.press("Escape")
    score = page.locator("#quiz-scores li[data-topic=应急预案]")
    assert "1 / 2" in score.inner_text()
    screenshot(page, "quiz")

    page.reload()
    page.click("nav button[data-tab=quiz]")
    assert "1 / 2" in page.locator("#quiz-scores li[data-topic=应急预案]").inner_text()

    page.fill("#quiz-topic", "公司年假")
    page.click("#quiz-form button")
    page.locator("#banner", has_text="未涉及").wait_for()
    assert page.locator("#quiz-items .quiz-item").count() == 0


def test_the_quiz_tab_fits_a_phone(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy, width=390, height=844)
    page.click("nav button[data-tab=quiz]")
    page.fill("#quiz-topic", "客户服务")
    page.click("#quiz-form button")
    page.locator("#quiz-items .quiz-item").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    screenshot(page, "quiz-phone")
