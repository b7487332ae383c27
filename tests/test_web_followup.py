"""A follow-up question asked in the real page (Debian's headless Chromium) after the question it continues."""

import json

from .test_web_page import ask, browser, page_for, pytestmark, screenshot  # noqa: F401 (fixtures, skip mark)

SERVICE = "客户服务的响应时间标准是多少？"


def test_a_follow_up_is_sent_with_the_conversation_and_shown_as_understood(page_for, index_copy):  # noqa: F811
    page = page_for(index_copy)
    first = ask(page, SERVICE)
    assert first.locator(".resolved").count() == 0  # a question of its own is answered as asked

    with page.expect_request(lambda request: request.url.endswith("/ask")) as sent:
        turn = ask(page, "那IT故障呢？")
    assert json.loads(sent.value.post_data)["history"] == [SERVICE]
    understood = turn.locator(".resolved").inner_text()
    assert understood.startswith("理解为：") and "IT故障" in understood and "响应时间" in understood
    assert turn.locator(".sources li").count() >= 1

    turn.locator(".answer a.cite").first.click()
    context = page.locator("#source-context")
    context.locator("mark").wait_for()
    assert "IT" in context.inner_text() and "响应时间" in context.inner_text()
    screenshot(page, "7-follow-up")

    page.reload()  # the conversation, and so the follow-up's context, survives a reload
    with page.expect_request(lambda request: request.url.endswith("/ask")) as sent:
        again = ask(page, "那解决时间呢？")
    assert json.loads(sent.value.post_data)["history"][-1] == understood.removeprefix("理解为：")
    assert "IT故障" in again.locator(".resolved").inner_text()
