"""Ticket and admin pages in a real browser, in Chinese: walk a ticket by keyboard (countdown ticks, note,
status change), then the approval flow on the users page (self-approval refused, another person approves)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kefu.access.models import PermissionChangeRequest, User
from kefu.core import clock
from kefu.customers.models import Customer
from kefu.tickets import actions
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.browser
PASSWORD = "kefu-demo"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def zh(chromium, centre) -> Iterator[object]:
    """A browser context in Chinese that records dialogs (answering confirms) and script or CSP errors."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.dialogs, tab.errors = [], []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
    yield tab
    context.close()


def sign_in(tab, centre, username: str, path: str) -> None:
    tab.goto(f"{centre.url}{path}")
    tab.wait_for_url(re.compile(r"/sign-in\?next="))
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit].primary")
    tab.wait_for_url(re.compile(re.escape(path)))


@pytest.fixture
def repair_ticket(centre) -> int:
    """agent01's repair ticket (running 24×7 clocks) whose subject is markup."""
    with centre.runtime.write_sessions() as session, session.begin():
        agent = session.scalar(select(User).where(User.username == "agent01"))
        customer = Customer(name="李雷", created_at=clock.now())
        session.add(customer)
        session.flush()
        fields = {"type": "repair", "customer_id": customer.id, "subject": XSS, "assignee_id": agent.id}
        ticket = actions.do_create_ticket(session, fields=fields, actor_id=agent.id, now=clock.now())
        return ticket.id


def test_ticket_page_in_chinese_by_keyboard(zh, centre, repair_ticket, screenshots):
    sign_in(zh, centre, "agent01", "/console/tickets")
    expect(zh.locator("h1")).to_have_text("工单")
    row = zh.locator(f'[data-ticket="{repair_ticket}"]')
    assert row.locator(".subject").inner_text() == XSS  # markup shown as text
    zh.keyboard.press("j")  # the newest ticket is first: select it and open it with "o"
    zh.keyboard.press("o")
    zh.wait_for_url(re.compile(rf"/console/tickets/{repair_ticket}$"))
    assert zh.locator("main img").count() == 0
    expect(zh.locator('[data-metric="first_response"] .metric')).to_have_text("首次响应")
    countdown = zh.locator('[data-metric="first_response"] .countdown')
    first = countdown.inner_text()
    assert re.fullmatch(r"\d+:\d{2}:\d{2}", first)
    expect(countdown).not_to_have_text(first, timeout=3000)  # the script ticks it every second
    zh.screenshot(path=str(screenshots / "ticket-zh.png"))
    # An internal note from the keyboard: r focuses the box, Ctrl+Enter sends; the page shows it.
    zh.locator("body").press("r")
    zh.keyboard.type("内部：请物流部确认 <b>x</b>")
    zh.keyboard.press("Control+Enter")
    note = zh.locator('[data-event="note"]').last
    expect(note.locator(".body")).to_have_text("内部：请物流部确认 <b>x</b>")
    expect(note).to_contain_text("仅员工可见")
    # The status form offers only the machine's moves; solving it updates the page.
    zh.select_option("#ticket-status select[name=status]", "solved")
    zh.click("#ticket-status button[type=submit]")
    expect(zh.locator("[data-status]").first).to_have_text("已解决")
    with centre.runtime.sessions() as session:
        assert session.get(Ticket, repair_ticket).status == "solved"
    assert zh.dialogs == [] and zh.errors == [] and zh.locator("main b").count() == 0


def test_approval_flow_in_chinese(zh, chromium, centre, screenshots):
    sign_in(zh, centre, "supervisor", "/console/admin/users")
    expect(zh.locator("h1")).to_have_text("用户与角色")
    with centre.runtime.sessions() as session:
        agent = session.scalar(select(User).where(User.username == "agent02"))
    form = zh.locator('form[hx-post="/console/admin/users/requests"]')
    form.locator("select[name=user_id]").select_option(str(agent.id))
    form.locator("select[name=role]").select_option("team_lead")
    form.locator("input[name=reason]").fill("夜班代理组长")
    form.locator("button[type=submit]").click()
    pending = zh.locator('[data-request-status="pending"]').first
    expect(pending).to_contain_text("夜班代理组长")
    # The requester may not approve it: refused in Chinese, nothing changes.
    pending.locator("input[name=reason]").fill("同意")
    pending.locator("button.primary").click()
    expect(zh.locator('[data-field-error="reason"]')).to_contain_text("任何人都不能审批自己提交的申请")
    expect(pending.locator("input[name=reason]")).to_be_focused()  # the keyboard is back on the field
    zh.screenshot(path=str(screenshots / "approvals-zh.png"))
    # The browser logs the refused request itself (403); nothing else may be in the console.
    zh.errors = [e for e in zh.errors if "status of 403" not in e]
    with centre.runtime.sessions() as session:
        request = session.scalar(select(PermissionChangeRequest).order_by(PermissionChangeRequest.id.desc()))
        assert request.status == "pending" and session.get(User, agent.id).role == "agent"
    # An administrator approves it.
    context = chromium.new_context(locale="zh-CN")
    admin = context.new_page()
    try:
        sign_in(admin, centre, "admin", "/console/admin/users")
        row = admin.locator(f'[data-request="{request.id}"]')
        row.locator("input[name=reason]").fill("已核实排班")
        row.locator("button.primary").click()
        expect(admin.locator(f'[data-request="{request.id}"]')).to_have_attribute(
            "data-request-status", "approved"
        )
    finally:
        context.close()
    with centre.runtime.sessions() as session:
        assert session.get(User, agent.id).role == "team_lead"
    assert zh.dialogs == [] and zh.errors == []
