"""The 学习 tab in headless Chromium against a real server: browse the topic map, open a section, ask a
suggested question, and follow a refusal's closest topic. Screenshots go where test_web_page.py puts them."""

import re
from pathlib import Path

import pytest

from .test_web_page import CHROMIUM, ask, browser, page_for, screenshot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def test_browse_topics_open_a_section_and_ask_a_suggested_question(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy)
    page.click("nav button[data-tab=learn]")
    heading = page.locator("summary", has_text=re.compile(r"^\s*应急预案"))
    topic = page.locator("#topics details.topic", has=heading)
    topic.locator("summary").click()
    screenshot(page, "learn-1-topics")
    topic.evaluate("e => e.closest('.topic-doc').scrollIntoView()")  # its document's card at the top
    assert topic.locator("button.suggested").first.is_visible()
    screenshot(page, "learn-1-topic-open", full_page=False)  # the open topic, as the reader sees it

    topic.locator("a.open-section", has_text="在原文中打开").click()
    viewer = page.locator("#doc-viewer")
    viewer.wait_for(state="visible")
    assert viewer.locator("#viewer-title").inner_text() == "运营保障细则内容有哪些"
    assert viewer.locator("mark").inner_text().strip() == "应急预案"  # the section's heading, highlighted
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")

    question = topic.locator("button.suggested").first
    asked = question.inner_text()
    question.click()
    page.locator("#tab-ask").wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('#ask-form button').disabled")
    turn = page.locator(".turn").first
    turn.locator(".sources li").first.wait_for()
    assert asked in turn.locator(".q").inner_text()
    assert "refusal" not in turn.get_attribute("class")
    assert turn.locator(".answer a.cite").count() >= 1
    assert "运营保障细则内容有哪些" in turn.locator(".sources").inner_text()  # the topic's document
    screenshot(page, "learn-2-asked")


def test_a_closest_topic_of_a_refusal_asks_again_within_it(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy)
    declined = ask(page, "公司年假有几天？")
    assert "refusal" in declined.get_attribute("class")
    link = declined.locator("a.topic-link", has_text=" > ").first  # a section, not a whole document
    topic = link.inner_text()
    with page.expect_request("**/ask") as sent:
        link.click()
    assert sent.value.post_data_json["section"] == topic
    assert sent.value.post_data_json["question"] == "公司年假有几天？"
    page.wait_for_function("() => !document.querySelector('#ask-form button').disabled")
    again = page.locator(".turn").first
    assert topic.replace(" > ", " › ") in again.locator(".q .scope").inner_text()
    for other in again.locator("a.topic-link").all_inner_texts():  # anything it points to lies in that section
        assert other == topic or other.startswith(topic + " > ")
    assert page.locator(".turn").count() == 2
    screenshot(page, "learn-3-refusal-topic")
