"""The admin pages through the app: who may open each, forms with field errors, the approval flow,
tokens and secrets shown once, SLA configuration, the audit search, and escaping of untrusted text."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kefu.access.audit import do_audit
from kefu.access.models import ApiToken, AuditEntry, PermissionChangeRequest, Team, User
from kefu.access.roles import Role
from kefu.knowledge.models import Script
from kefu.routing.models import Queue, Skill
from kefu.tickets.models import BusinessCalendarRow, SlaPolicyRow

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"

# Page → the roles that may open it (every other role gets 403).
PAGES = {
    "/console/admin/users": {Role.team_lead, Role.supervisor, Role.admin},
    "/console/admin/teams": {Role.team_lead, Role.supervisor, Role.admin},
    "/console/admin/queues": {Role.team_lead, Role.supervisor, Role.admin},
    "/console/admin/agents": {Role.team_lead, Role.supervisor, Role.admin},
    "/console/admin/sla": {Role.admin},
    "/console/admin/channels": {Role.admin},
    "/console/admin/audit": {Role.supervisor, Role.admin},
    "/console/admin/scripts": {Role.team_lead, Role.trainer, Role.supervisor, Role.admin},
}


def htmx(browser, **extra):
    return {**browser.csrf(), "HX-Request": "true", "Accept-Language": "en", **extra}


@pytest.mark.parametrize("role", list(Role))
def test_each_admin_page_opens_for_its_roles_and_refuses_the_others(client, factory, browser, role):
    user = factory.user(role, factory.team())
    browser.sign_in(user)
    for path, allowed in PAGES.items():
        response = client.get(path)
        assert response.status_code == (200 if role in allowed else 403), (path, role)
    index = client.get("/console/admin")
    assert index.status_code == (200 if any(role in roles for roles in PAGES.values()) else 403)
    if index.status_code == 200:
        links = set(re.findall(r'class="card"><a href="([^"]+)"', index.text))
        assert links == {p for p, roles in PAGES.items() if role in roles}
        assert 'href="/console/admin"' in index.text  # the main navigation shows the way in


def test_anonymous_readers_sign_in_first(client):
    for path in [*PAGES, "/console/admin"]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in?next=")


def test_forms_need_the_csrf_header_and_the_write_permission(client, factory, browser):
    lead = factory.user(Role.team_lead, factory.team())
    browser.sign_in(lead)
    assert (
        client.post("/console/admin/users", data={"username": "newbie", "display_name": "N"}).status_code
        == 403
    )
    refused = client.post(
        "/console/admin/users", data={"username": "newbie", "display_name": "N"}, headers=htmx(browser)
    )
    assert refused.status_code == 403  # a team lead reads users but does not manage them
    assert (
        client.post("/console/admin/sla/calendars", data={"name": "x"}, headers=htmx(browser)).status_code
        == 403
    )


def test_create_user_shows_field_errors_then_the_temporary_password_once(client, factory, browser, runtime):
    supervisor = factory.user(Role.supervisor)
    browser.sign_in(supervisor)
    bad = client.post(
        "/console/admin/users",
        data={"username": "Bad Name", "display_name": ""},
        headers=htmx(browser, **{"Accept-Language": "zh-CN"}),
    )
    assert bad.status_code == 422
    assert 'data-field-error="display_name"' in bad.text and "名称须为 1–120 个字符" in bad.text
    bad = client.post(
        "/console/admin/users", data={"username": "Bad Name", "display_name": "X"}, headers=htmx(browser)
    )
    assert bad.status_code == 422 and 'data-field-error="username"' in bad.text
    good = client.post(
        "/console/admin/users", data={"username": "newbie", "display_name": XSS}, headers=htmx(browser)
    )
    assert good.status_code == 200 and 'data-created-user="newbie"' in good.text
    temporary = re.search(r"<code data-secret>([^<]+)</code>", good.text).group(1)
    assert len(temporary) >= 12
    assert XSS not in good.text and ESCAPED in good.text
    # Shown once: the next read of the page does not have it.
    assert temporary not in client.get("/console/admin/users").text
    with runtime.sessions() as session:
        user = session.scalar(select(User).where(User.username == "newbie"))
        assert user.role == "agent" and user.must_change_password
    taken = client.post(
        "/console/admin/users", data={"username": "newbie", "display_name": "Y"}, headers=htmx(browser)
    )
    assert taken.status_code == 422 and "This username is taken." in taken.text


def _request(client, browser, target: User, **fields) -> None:
    response = client.post(
        "/console/admin/users/requests",
        data={"user_id": str(target.id), "reason": "covering the night shift", **fields},
        headers=htmx(browser),
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/console/admin/users", (
        response.text
    )


def test_approval_flow_needs_someone_else_and_is_audited(client, factory, browser, runtime):
    team = factory.team()
    requester, approver = factory.user(Role.supervisor), factory.user(Role.supervisor)
    agent = factory.user(Role.agent)
    browser.sign_in(requester)
    missing = client.post(
        "/console/admin/users/requests", data={"user_id": str(agent.id), "reason": ""}, headers=htmx(browser)
    )
    assert missing.status_code == 422 and 'data-field-error="reason"' in missing.text
    same = client.post(
        "/console/admin/users/requests",
        data={"user_id": str(agent.id), "role": "agent", "reason": "x"},
        headers=htmx(browser),
    )
    assert same.status_code == 422 and 'data-field-error="changes"' in same.text
    _request(client, browser, agent, role="team_lead", team_id=str(team.id))
    with runtime.sessions() as session:
        request = session.scalar(select(PermissionChangeRequest).order_by(PermissionChangeRequest.id.desc()))
    # The requester cannot approve their own request: refused with the reason, nothing changes.
    own = client.post(
        f"/console/admin/users/requests/{request.id}/approve",
        data={"reason": "fine by me"},
        headers=htmx(browser, **{"Accept-Language": "zh-CN"}),
    )
    assert own.status_code == 403 and "任何人都不能审批自己提交的申请" in own.text
    with runtime.sessions() as session:
        assert session.get(User, agent.id).role == "agent"
        assert session.get(PermissionChangeRequest, request.id).status == "pending"
    # Someone else approves; the change applies and both steps are in the audit log.
    client.cookies.clear()
    browser.sign_in(approver)
    page = client.get("/console/admin/users")
    assert f'data-request="{request.id}" data-request-status="pending"' in page.text
    no_reason = client.post(
        f"/console/admin/users/requests/{request.id}/approve", data={"reason": " "}, headers=htmx(browser)
    )
    assert no_reason.status_code == 422
    done = client.post(
        f"/console/admin/users/requests/{request.id}/approve",
        data={"reason": "agreed"},
        headers=htmx(browser),
    )
    assert done.status_code == 200 and "HX-Redirect" in done.headers
    with runtime.sessions() as session:
        changed = session.get(User, agent.id)
        assert (changed.role, changed.team_id) == ("team_lead", team.id)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(request.id))
        ).all()
        assert {"permission.request", "permission.approve"} <= set(actions)
    again = client.post(
        f"/console/admin/users/requests/{request.id}/reject", data={"reason": "late"}, headers=htmx(browser)
    )
    assert again.status_code == 409


def test_a_change_about_oneself_cannot_be_approved_by_oneself(client, factory, browser, runtime):
    requester, subject = factory.user(Role.supervisor), factory.user(Role.supervisor)
    browser.sign_in(requester)
    _request(client, browser, subject, role="admin")
    with runtime.sessions() as session:
        request = session.scalar(select(PermissionChangeRequest).order_by(PermissionChangeRequest.id.desc()))
    client.cookies.clear()
    browser.sign_in(subject)
    response = client.post(
        f"/console/admin/users/requests/{request.id}/approve", data={"reason": "yes"}, headers=htmx(browser)
    )
    assert response.status_code == 403
    with runtime.sessions() as session:
        assert session.get(User, subject.id).role == "supervisor"


def test_teams_and_skills_are_created_with_field_errors(client, factory, browser, runtime):
    admin = factory.user(Role.admin)
    browser.sign_in(admin)
    bad = client.post(
        "/console/admin/teams", data={"code": "No Spaces", "name": "Night"}, headers=htmx(browser)
    )
    assert bad.status_code == 422 and 'data-field-error="code"' in bad.text
    ok = client.post(
        "/console/admin/teams",
        data={"code": "night", "name": XSS, "lead_id": str(admin.id)},
        headers=htmx(browser),
    )
    assert ok.status_code == 200 and "HX-Redirect" in ok.headers
    page = client.get("/console/admin/teams").text
    assert 'data-team="night"' in page and XSS not in page and ESCAPED in page
    dup = client.post("/console/admin/teams", data={"code": "night", "name": "Again"}, headers=htmx(browser))
    assert dup.status_code == 422 and "A team with this code exists." in dup.text
    skill = client.post(
        "/console/admin/skills",
        data={"code": "billing", "name": "Billing", "kind": "product"},
        headers=htmx(browser),
    )
    assert skill.status_code == 200
    wrong = client.post(
        "/console/admin/skills", data={"code": "x y", "name": "Z", "kind": "product"}, headers=htmx(browser)
    )
    assert wrong.status_code == 422 and 'data-field-error="code"' in wrong.text
    with runtime.sessions() as session:
        assert session.scalar(select(Team.lead_id).where(Team.code == "night")) == admin.id
        assert session.scalar(select(Skill.name).where(Skill.code == "billing")) == "Billing"
        assert "team.create" in session.scalars(select(AuditEntry.action)).all()


def test_a_team_lead_sees_teams_but_creates_none(client, factory, browser):
    lead = factory.user(Role.team_lead, factory.team())
    browser.sign_in(lead)
    page = client.get("/console/admin/teams").text
    assert 'hx-post="/console/admin/teams"' not in page and 'hx-post="/console/admin/skills"' in page
    response = client.post(
        "/console/admin/teams", data={"code": "night", "name": "Night"}, headers=htmx(browser)
    )
    assert response.status_code == 403


def test_strategy_switch(client, factory, browser, runtime):
    with runtime.write_sessions() as session, session.begin():
        session.add(
            Queue(code="sales", name="Sales", channel="webchat", strategy="skill_first", required_skills=[])
        )
    lead = factory.user(Role.team_lead, factory.team())
    browser.sign_in(lead)
    assert 'data-queue="sales"' in client.get("/console/admin/queues").text
    ok = client.post(
        "/console/admin/queues/sales/strategy", data={"strategy": "idle_first"}, headers=htmx(browser)
    )
    assert ok.status_code == 200
    bad = client.post(
        "/console/admin/queues/sales/strategy", data={"strategy": "random"}, headers=htmx(browser)
    )
    assert bad.status_code == 422 and 'data-field-error="strategy"' in bad.text
    assert (
        client.post(
            "/console/admin/queues/nope/strategy", data={"strategy": "idle_first"}, headers=htmx(browser)
        ).status_code
        == 404
    )
    with runtime.sessions() as session:
        assert session.scalar(select(Queue.strategy).where(Queue.code == "sales")) == "idle_first"


def test_queues_are_created_through_routing_with_field_errors(client, factory, browser, runtime):
    with runtime.write_sessions() as session, session.begin():
        session.add(Skill(code="billing", name="Billing", kind="product"))
    browser.sign_in(factory.user(Role.supervisor))
    fields = {"code": "vip_chat", "name": XSS, "channel": "webchat", "strategy": "idle_first"}
    bad_code = client.post(
        "/console/admin/queues", data={**fields, "code": "VIP chat"}, headers=htmx(browser)
    )
    assert bad_code.status_code == 422 and 'data-field-error="code"' in bad_code.text
    bad_skill = client.post("/console/admin/queues", data={**fields, "skill": "nope"}, headers=htmx(browser))
    assert bad_skill.status_code == 422 and "Choose a skill." in bad_skill.text
    bad_level = client.post(
        "/console/admin/queues", data={**fields, "skill": "billing", "min_level": "9"}, headers=htmx(browser)
    )
    assert bad_level.status_code == 422 and 'data-field-error="min_level"' in bad_level.text
    ok = client.post(
        "/console/admin/queues",
        data={**fields, "skill": "billing", "min_level": "3", "requires_acceptance": "1"},
        headers=htmx(browser),
    )
    assert ok.status_code == 200 and "HX-Redirect" in ok.headers
    again = client.post("/console/admin/queues", data=fields, headers=htmx(browser))
    assert again.status_code == 422 and "A queue with this code exists." in again.text
    page = client.get("/console/admin/queues").text
    assert 'data-queue="vip_chat"' in page and XSS not in page and ESCAPED in page
    with runtime.sessions() as session:
        queue = session.scalar(select(Queue).where(Queue.code == "vip_chat"))
        assert (queue.strategy, queue.requires_acceptance) == ("idle_first", True)
        assert queue.required_skills == [{"skill": "billing", "min_level": 3}]


def test_calendar_with_holidays_and_make_up_days_and_a_policy(client, factory, browser, runtime):
    admin = factory.user(Role.admin)
    browser.sign_in(admin)
    bad = client.post(
        "/console/admin/sla/calendars",
        data={"name": "office", "hours": "weekdays nine to six", "extra_holidays": "2026-13-01"},
        headers=htmx(browser),
    )
    assert bad.status_code == 422
    assert 'data-field-error="hours"' in bad.text and 'data-field-error="extra_holidays"' in bad.text
    ok = client.post(
        "/console/admin/sla/calendars",
        data={
            "name": "office", "timezone": "Asia/Shanghai", "hours": "mon-fri 09:00-12:00 13:00-18:00",
            "holidays": "china", "extra_holidays": "2026-06-01", "extra_workdays": "2026-06-06\n2026-06-07",
            "makeup_weekday": "mon",
        },
        headers=htmx(browser),
    )  # fmt: skip
    assert ok.status_code == 200, ok.text
    with runtime.sessions() as session:
        row = session.scalar(select(BusinessCalendarRow).where(BusinessCalendarRow.name == "office"))
        assert row.hours == {"mon-fri": ["09:00-12:00", "13:00-18:00"]}
        assert (row.extra_holidays, row.extra_workdays) == (["2026-06-01"], ["2026-06-06", "2026-06-07"])
    page = client.get("/console/admin/sla?calendar=office").text
    assert 'data-calendar="office"' in page and "2026-06-07" in page
    zone = client.post(
        "/console/admin/sla/calendars",
        data={"name": "mars", "timezone": "Mars/Olympus", "hours": ""},
        headers=htmx(browser),
    )
    assert zone.status_code == 422 and 'data-field-error="timezone"' in zone.text
    no_target = client.post(
        "/console/admin/sla/policies", data={"name": "vip", "calendar": "office"}, headers=htmx(browser)
    )
    assert no_target.status_code == 422 and 'data-field-error="targets"' in no_target.text
    policy = client.post(
        "/console/admin/sla/policies",
        data={"name": "vip", "calendar": "office", "first_response": "30", "first_response_warn": "10",
              "resolution": "480", "tiers": "vip", "position": "1"},
        headers=htmx(browser),
    )  # fmt: skip
    assert policy.status_code == 200, policy.text
    with runtime.sessions() as session:
        row = session.scalar(select(SlaPolicyRow).where(SlaPolicyRow.name == "vip"))
        assert row.calendar == "office" and row.conditions["tiers"] == ["vip"]
        assert [(t["metric"], t["seconds"]) for t in row.targets] == [
            ("first_response", 1800),
            ("resolution", 28800),
        ]
    unknown = client.post(
        "/console/admin/sla/policies",
        data={"name": "x", "calendar": "nope", "first_response": "5"},
        headers=htmx(browser),
    )
    assert unknown.status_code == 422 and 'data-field-error="form"' in unknown.text


def test_tokens_are_shown_once_and_revoked_and_secrets_are_revealed_with_an_audit(
    client, factory, browser, runtime
):
    admin = factory.user(Role.admin)
    browser.sign_in(admin)
    none = client.post("/console/admin/channels/tokens", data={"name": "crm"}, headers=htmx(browser))
    assert none.status_code == 422 and 'data-field-error="scopes"' in none.text
    created = client.post(
        "/console/admin/channels/tokens",
        data={"name": XSS, "user_id": str(admin.id), "scopes": ["channel:api", "tickets:read"]},
        headers=htmx(browser),
    )
    assert created.status_code == 200 and XSS not in created.text and ESCAPED in created.text
    raw = re.search(r"<code data-secret>([^<]+)</code>", created.text).group(1)
    assert raw not in client.get("/console/admin/channels").text
    with runtime.sessions() as session:
        token = session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
        assert token.scopes == ["channel:api", "tickets:read"] and token.token_hash != raw
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    revoked = client.post(f"/console/admin/channels/tokens/{token.id}/revoke", headers=htmx(browser))
    assert revoked.status_code == 200
    with runtime.sessions() as session:
        assert session.get(ApiToken, token.id).revoked_at is not None
    secret = client.post("/console/admin/channels/app/secret", headers=htmx(browser))
    assert secret.status_code == 200 and "data-secret" in secret.text
    assert "data-secret" not in client.get("/console/admin/channels").text
    assert client.post("/console/admin/channels/webchat/secret", headers=htmx(browser)).status_code == 404
    with runtime.sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
        assert {"token.create", "token.revoke", "channel.secret_reveal"} <= set(actions)
    client.cookies.clear()  # a refused bearer token would also end the cookie session
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_audit_search_by_actor_action_and_dates_with_pages(client, factory, browser, runtime, monkeypatch):
    monkeypatch.setattr("kefu.web.console.admin_audit.PAGE_SIZE", 2)
    supervisor, other = factory.user(Role.supervisor), factory.user(Role.supervisor)
    with runtime.write_sessions() as session, session.begin():
        for i in range(3):
            do_audit(
                session,
                "test.poke",
                actor_id=other.id,
                object_type="thing",
                object_id=i,
                details={"note": XSS},
            )
        do_audit(session, "test.other", actor_id=supervisor.id)
    browser.sign_in(supervisor)
    first = client.get(f"/console/admin/audit?actor_id={other.id}&action=test.poke")
    assert first.status_code == 200 and first.text.count("data-audit=") == 2
    assert XSS not in first.text and "&lt;img src=x onerror=alert(1)&gt;" in first.text
    assert "test.other" not in first.text
    link = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client.get(link)
    assert second.text.count("data-audit=") == 1 and "test.other" not in second.text
    future = client.get("/console/admin/audit?action=test.poke&since=2999-01-01")
    assert future.text.count("data-audit=") == 0
    today = client.get("/console/admin/audit?action=test.other&since=2000-01-01&until=2999-12-31")
    assert today.text.count("data-audit=") == 1
    bad = client.get("/console/admin/audit?since=yesterday")
    assert bad.status_code == 422 and 'data-field-error="since"' in bad.text
    backwards = client.get("/console/admin/audit?since=2026-03-02&until=2026-03-01")
    assert backwards.status_code == 422 and 'data-field-error="until"' in backwards.text


def test_scripts_library_crud_with_field_errors(client, factory, browser, runtime):
    trainer = factory.user(Role.trainer)
    browser.sign_in(trainer)
    empty = client.post("/console/admin/scripts", data={"title": "", "body": "x"}, headers=htmx(browser))
    assert empty.status_code == 422 and 'data-field-error="title"' in empty.text
    created = client.post(
        "/console/admin/scripts",
        data={
            "title": XSS,
            "body": "您好 {customer_name}",
            "language": "zh",
            "scenario": "greeting",
            "shortcut": "/hi",
        },
        headers=htmx(browser),
    )
    assert created.status_code == 200 and "HX-Redirect" in created.headers
    with runtime.sessions() as session:
        script = session.scalar(select(Script).order_by(Script.id.desc()))
        assert (script.shortcut, script.scenario) == ("hi", "greeting")
    page = client.get("/console/admin/scripts").text
    assert f'data-script="{script.id}"' in page and XSS not in page and ESCAPED in page
    taken = client.post(
        "/console/admin/scripts",
        data={"title": "again", "body": "b", "language": "zh", "scenario": "other", "shortcut": "hi"},
        headers=htmx(browser),
    )
    assert taken.status_code == 422 and 'data-field-error="shortcut"' in taken.text
    edit = client.get(f"/console/admin/scripts?edit={script.id}").text
    assert f'name="script_id" value="{script.id}"' in edit
    changed = client.post(
        "/console/admin/scripts",
        data={"script_id": str(script.id), "title": "Hello", "body": "Hi {customer_name}", "language": "en",
              "scenario": "greeting", "shortcut": "hi"},
        headers=htmx(browser),
    )  # fmt: skip
    assert changed.status_code == 200
    with runtime.sessions() as session:
        row = session.get(Script, script.id)
        assert (row.title, row.language, row.revision) == ("Hello", "en", 2)
    assert 'data-script="' in client.get("/console/admin/scripts?language=en").text
    assert f'data-script="{script.id}"' not in client.get("/console/admin/scripts?language=zh").text
    deleted = client.post(f"/console/admin/scripts/{script.id}/delete", headers=htmx(browser))
    assert deleted.status_code == 200
    with runtime.sessions() as session:
        assert session.get(Script, script.id) is None
    assert client.post(f"/console/admin/scripts/{script.id}/delete", headers=htmx(browser)).status_code == 404


def test_admin_pages_are_in_chinese(client, factory, browser):
    admin = factory.user(Role.admin)
    browser.sign_in(admin)
    zh = {"Accept-Language": "zh-CN"}
    assert "权限变更" in client.get("/console/admin/users", headers=zh).text
    assert "工作日历" in client.get("/console/admin/sla", headers=zh).text
    assert "API 令牌" in client.get("/console/admin/channels", headers=zh).text
    assert "审计日志" in client.get("/console/admin/audit", headers=zh).text
