"""The console in a real browser: sign in, inbox, escaping under CSP, shortcuts, language, live wallboard."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PASSWORD = "kefu-demo"
XSS = "<img src=x onerror=alert(1)>"
ENGLISH_ONLY = ["My open conversations", "Waiting in my queues", "Inbox", "Sign out"]


@pytest.fixture
def page(chromium, centre) -> Iterator[object]:
    """A fresh browser context (own cookies) that records dialogs and script errors."""
    context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 760})
    tab = context.new_page()
    tab.dialogs = []
    tab.errors = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    # A Content-Security-Policy violation is reported on the console as an error.
    tab.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
    yield tab
    context.close()


def sign_in(tab, centre, username: str) -> None:
    tab.goto(f"{centre.url}/console")
    tab.wait_for_url(re.compile(r"/sign-in\?next="))
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit].primary")
    tab.wait_for_url(re.compile(r"/console"))


def test_agent_sees_the_inbox_and_markup_stays_text(page, centre, screenshots):
    page.goto(f"{centre.url}/sign-in")
    page.screenshot(path=str(screenshots / "sign-in.png"))
    sign_in(page, centre, "agent01")
    item = page.locator("[data-inbox-item]").first
    assert item.locator(".customer").inner_text() == XSS  # open conversations first; shown as text
    page.screenshot(path=str(screenshots / "inbox.png"))
    item.locator("a").click()
    page.wait_for_url(re.compile(rf"/console/conversations/{centre.xss_conversation}"))
    body = page.locator(".message.from-customer .body").first
    assert body.inner_text() == XSS
    assert page.locator("main img").count() == 0  # the markup never became an element
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert page.dialogs == [] and page.errors == []
    # Reply from the keyboard: r focuses the box, Ctrl+Enter sends through the API; the list refreshes.
    reply = "您好，马上为您处理 <b>ok</b>"
    page.locator("body").press("r")
    page.keyboard.type(reply)
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message.from-agent .body").last).to_have_text(reply)
    expect(page.locator("[data-reply]")).to_have_value("")
    assert page.locator("main b").count() == 0 and page.errors == []
    page.screenshot(path=str(screenshots / "conversation-reply.png"))


def test_presence_switch_and_keyboard(page, centre, screenshots):
    sign_in(page, centre, "agent01")
    page.select_option("#presence select", "available")
    expect(page.locator("#presence")).to_have_class(re.compile(r"state-available"))
    page.select_option("#presence select", "break:meal")
    expect(page.locator("#presence")).to_have_class(re.compile(r"state-break"))
    page.reload()  # routing recorded it
    assert page.locator("#presence select").input_value() == "break:meal"
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.locator("[data-inbox-item].selected").count() == 1
    assert page.locator("[data-inbox-item]").nth(1).get_attribute("class").endswith("selected")
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.screenshot(path=str(screenshots / "shortcuts.png"))
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()
    page.keyboard.press("o")
    page.wait_for_url(re.compile(r"/console/conversations/"))


def test_switching_to_chinese_translates_the_page(page, centre, screenshots):
    sign_in(page, centre, "agent02")
    page.select_option("form.language select", "en")
    page.wait_for_selector("html[lang=en]", state="attached")
    assert "My open conversations" in page.inner_text("body")
    page.screenshot(path=str(screenshots / "inbox-en.png"))
    page.select_option("form.language select", "zh_CN")
    page.wait_for_selector("html[lang=zh-CN]", state="attached")
    text = page.inner_text("body")
    assert "我的进行中会话" in text and "收件箱" in text
    assert [word for word in ENGLISH_ONLY if word in text] == []
    page.screenshot(path=str(screenshots / "inbox-zh.png"))
    page.reload()  # remembered in the profile
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_supervisor_wallboard_updates_when_a_contact_queues(page, centre, screenshots):
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    sign_in(page, centre, "supervisor")
    page.goto(f"{centre.url}/console/wallboard")
    cell = page.locator(f'tr[data-queue="{centre.queue_id}"] [data-figure="waiting"]')
    before = int(cell.inner_text())
    expect(page.locator("#wallboard-chart canvas")).to_have_count(1)  # ECharts drew under the CSP
    page.screenshot(path=str(screenshots / "wallboard.png"), full_page=True)
    # Queued through the server's own API (as the browser's session, with its CSRF token), so the
    # server's event reaches the page over /ws/console; polling would catch it too, only later.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "kefu_csrf")
    response = page.request.post(
        f"{centre.url}/api/v1/queue-entries",
        data={
            "contact_kind": "conversation",
            "contact_id": centre.new_conversation(),
            "queue": centre.queue_code,
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status == 201, response.text()
    expect(cell).to_have_text(str(before + 1), timeout=15_000)
    assert any(url.endswith("/ws/console") for url in sockets)
    assert page.errors == []
