"""The console pages through the app: sign-in, language, scope, escaping, headers, wallboard."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from kefu.access.models import User
from kefu.access.roles import Role
from kefu.core import clock
from kefu.routing.actions import check_set_presence, do_enqueue
from kefu.routing.models import AgentPresence, AgentProfile, AgentSkill, Queue, Skill

XSS = "<img src=x onerror=alert(1)>"


def test_anonymous_readers_are_sent_to_sign_in_and_back(client):
    response = client.get("/console/wallboard?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fconsole%2Fwallboard%3Fx%3D1"
    # htmx's XMLHttpRequest would follow a 303 into the fragment, so htmx is told to load a whole page.
    htmx = client.get("/console/inbox", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"] == "/sign-in?next=%2Fconsole%2Finbox"


def test_sign_in_form_signs_in_and_redirects_to_next(client, factory, browser):
    agent = factory.user(Role.agent)
    page = client.get("/sign-in?next=/console/wallboard")
    assert 'name="next" value="/console/wallboard"' in page.text
    response = client.post(
        "/sign-in",
        data={"username": agent.username, "password": "correct horse battery staple", "next": "/console"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    assert "kefu_session" in client.cookies and "kefu_csrf" in client.cookies
    assert client.get("/console").status_code == 200
    # Signed in already: the sign-in page moves on.
    assert client.get("/sign-in", follow_redirects=False).status_code == 303


def test_wrong_password_shows_the_form_again_without_signing_in(client, factory):
    agent = factory.user(Role.agent)
    response = client.post("/sign-in", data={"username": agent.username, "password": "nope"})
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "kefu_session" not in client.cookies


def test_next_never_leaves_the_site(client, factory):
    agent = factory.user(Role.agent)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/sign-in",
            data={"username": agent.username, "password": "correct horse battery staple", "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/console", target


def test_language_follows_profile_then_cookie_then_browser_then_centre(client, factory, browser, runtime):
    assert '<html lang="zh-CN">' in client.get("/sign-in").text  # the centre's default
    english = client.get("/sign-in", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and ">Sign in<" in english.text
    # The switch works signed out: a cookie, which beats the browser.
    response = client.post(
        "/language", data={"language": "zh_CN", "next": "/sign-in"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert ">登录<" in client.get("/sign-in", headers={"Accept-Language": "en"}).text
    # Signed in, the switch writes the profile, which beats the cookie and the browser.
    agent = factory.user(Role.agent)
    browser.sign_in(agent)
    client.post("/language", data={"language": "en"}, headers=browser.csrf())
    client.cookies.set("kefu_lang", "zh_CN")
    page = client.get("/console", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in page.text and "My open conversations" in page.text
    with runtime.sessions() as session:
        assert session.get(User, agent.id).language == "en"


def test_switching_language_when_signed_in_needs_the_csrf_header(client, factory, browser):
    browser.sign_in(factory.user(Role.agent))
    refused = client.post("/language", data={"language": "en"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"


def test_an_unknown_language_is_refused_naming_the_field(client):
    response = client.post("/language", data={"language": "fr"})
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "language"


def test_inbox_lists_only_the_agents_own_conversations(client, factory, browser, desk):
    team = factory.team()
    agent, other = factory.user(Role.agent, team), factory.user(Role.agent, team)
    desk.conversation(agent, customer_name="Mine Customer")
    desk.conversation(other, customer_name="Their Customer")
    desk.conversation(agent, customer_name="Old Customer", status="ended")
    browser.sign_in(agent)
    page = client.get("/console", headers={"Accept-Language": "en"}).text
    assert "Mine Customer" in page and "Old Customer" in page and "Their Customer" not in page
    assert page.index("Mine Customer") < page.index("Old Customer")  # open conversations first
    assert re.search(r'data-counter="open">1<', page)
    fragment = client.get("/console/inbox")
    assert fragment.text.lstrip().startswith('<section id="inbox"') and "Mine Customer" in fragment.text


def test_conversation_page_escapes_untrusted_text(client, factory, browser, desk):
    agent = factory.user(Role.agent)
    conversation = desk.conversation(
        agent, customer_name=XSS, messages=(("customer", XSS), ("agent", "hello & <b>bye</b>"))
    )
    browser.sign_in(agent)
    page = client.get(f"/console/conversations/{conversation.public_id}").text
    assert XSS not in page and "<b>bye</b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "hello &amp; &lt;b&gt;bye&lt;/b&gt;" in page
    inbox = client.get("/console").text
    assert XSS not in inbox and "&lt;img src=x onerror=alert(1)&gt;" in inbox
    fragment = client.get(f"/console/conversations/{conversation.public_id}/messages").text
    assert fragment.startswith('<ol id="messages"') and XSS not in fragment
    assert fragment.count('class="message from-') == 2


def test_someone_elses_conversation_looks_missing(client, factory, browser, desk):
    agent, other = factory.user(Role.agent), factory.user(Role.agent)
    conversation = desk.conversation(other)
    browser.sign_in(agent)
    assert client.get(f"/console/conversations/{conversation.public_id}").status_code == 404
    assert client.get(f"/console/conversations/{conversation.public_id}/messages").status_code == 404
    assert client.get("/console/conversations/no-such-id").status_code == 404


def test_pages_carry_a_csp_that_forbids_inline_script(client):
    for path in ("/sign-in", "/static/js/console.js", "/healthz"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "style-src-attr" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_templates_contain_no_inline_script(client):
    page = client.get("/sign-in").text
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers either


def test_static_assets_are_served(client):
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    assert client.get("/static/css/console.css").status_code == 200


def test_wallboard_is_for_those_who_read_reports(client, factory, browser):
    browser.sign_in(factory.user(Role.agent))
    assert client.get("/console/wallboard").status_code == 403
    assert "Wallboard" not in client.get("/console", headers={"Accept-Language": "en"}).text.split("<main")[0]


def test_wallboard_shows_todays_figures_per_queue(client, factory, browser, desk, runtime, frozen_clock):
    with runtime.write_sessions() as session, session.begin():
        queue = Queue(code="chat", name="Chat pre-sales", channel="webchat")
        session.add(queue)
    now = clock.now()
    agent = factory.user(Role.agent)
    q = queue.id
    for waited in (95, 10):
        waiting = desk.conversation(
            None, status="queued", queue_id=q, queued_at=now - timedelta(seconds=waited)
        )
        with runtime.write_sessions() as session, session.begin():
            do_enqueue(
                session,
                contact_kind="conversation",
                contact_id=waiting.id,
                queue_code="chat",
                now=now - timedelta(seconds=waited),
            )
    answered = now - timedelta(minutes=30)
    desk.conversation(
        agent, status="ended", queue_id=q, queued_at=answered, answered_at=answered + timedelta(seconds=20)
    )
    desk.conversation(
        agent, status="ended", queue_id=q, queued_at=answered, answered_at=answered + timedelta(seconds=50)
    )
    desk.conversation(None, status="ended", queue_id=q, queued_at=answered, abandoned=True)
    yesterday = now - timedelta(days=1)
    desk.conversation(agent, status="ended", queue_id=q, queued_at=yesterday, answered_at=yesterday)
    browser.sign_in(factory.user(Role.supervisor))
    page = client.get("/console/wallboard", headers={"Accept-Language": "en"}).text
    row = page[page.index(f'data-queue="{q}"') :]
    figure = lambda name: re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', row).group(1)  # noqa: E731
    # Offered today: the 2 waiting + 3 earlier (yesterday's contact is not today's).
    assert (figure("waiting"), figure("offered"), figure("answered"), figure("abandoned")) == (
        "2",
        "5",
        "2",
        "1",
    )
    assert figure("answer_rate") == "40%"  # 2 / 5
    assert figure("ewt") == "–"  # routing knows of no agent serving this queue
    assert figure("service_level") == "20%"  # answered within 30 s: 1 / 5
    assert "1m" in figure("longest_wait") or "2m" in figure("longest_wait")
    wallboard_csp = client.get("/console/wallboard").headers["content-security-policy"]
    assert "style-src-attr 'unsafe-inline'" in wallboard_csp and "script-src 'self';" in wallboard_csp
    chart = json.loads(html.unescape(re.search(r'data-chart="([^"]*)"', page).group(1)))
    assert chart["hours"][-1] == "09" and sum(chart["offered"]) == 5 and sum(chart["answered"]) == 2
    panel = client.get("/console/wallboard/panel")
    assert panel.text.lstrip().startswith('<section id="wallboard"')


def test_presence_switch_asks_routing_and_shows_its_refusals(client, factory, browser, runtime):
    agent = factory.user(Role.agent)
    headers = {"Accept-Language": "en"}
    browser.sign_in(agent)
    assert 'class="presence state-offline"' in client.get("/console", headers=headers).text
    headers |= browser.csrf()
    # No routing profile yet: routing does not know the agent, and the switch says so.
    unknown = client.post("/console/presence", data={"choice": "available"}, headers=headers)
    assert "no routing profile" in unknown.text and "state-offline" in unknown.text
    with runtime.write_sessions() as session, session.begin():
        session.add(AgentProfile(user_id=agent.id, channel_capacity={"webchat": 3}, max_concurrent=3))
    ok = client.post("/console/presence", data={"choice": "available"}, headers=headers)
    assert 'class="presence state-available"' in ok.text and 'role="alert"' not in ok.text
    on_break = client.post("/console/presence", data={"choice": "break:meal"}, headers=headers)
    assert "state-break" in on_break.text and 'value="break:meal" selected' in on_break.text
    with runtime.sessions() as session:
        assert (
            session.get(AgentPresence, agent.id).state,
            session.get(AgentPresence, agent.id).break_reason,
        ) == ("break", "meal")
    # Routing refuses one break straight after another; the switch keeps showing the real state.
    again = client.post("/console/presence", data={"choice": "break:rest"}, headers=headers)
    assert 'role="alert"' in again.text and 'value="break:meal" selected' in again.text
    bad = client.post("/console/presence", data={"choice": "busy"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "choice"
    assert "state-break" in client.get("/console").text


def test_htmx_posts_get_a_client_side_redirect_not_a_303(client, factory, browser):
    """htmx's XMLHttpRequest would follow a 303 and swap the next page into the form."""
    browser.sign_in(factory.user(Role.agent))
    headers = {**browser.csrf(), "HX-Request": "true"}
    switched = client.post(
        "/language", data={"language": "en", "next": "/console"}, headers=headers, follow_redirects=False
    )
    assert switched.status_code == 200 and switched.headers["HX-Redirect"] == "/console"
    signed_out = client.post("/sign-out", headers=headers, follow_redirects=False)
    assert signed_out.headers["HX-Redirect"] == "/sign-in"
    assert client.get("/console", follow_redirects=False).status_code == 303  # the session is gone


def test_a_temporary_password_must_be_changed_before_the_console_opens(client, factory, browser, runtime):
    agent = factory.user(Role.agent)
    with runtime.write_sessions() as session, session.begin():
        session.get(User, agent.id).must_change_password = True
    browser.sign_in(agent)
    page = client.get("/console", headers={"Accept-Language": "en"})
    assert page.status_code == 403 and "Change your temporary password first." in page.text


def test_waiting_counter_counts_routing_queues_the_agent_can_serve(client, factory, browser, desk, runtime):
    agent = factory.user(Role.agent)
    with runtime.write_sessions() as session, session.begin():
        billing, tech = Skill(code="billing", name="Billing"), Skill(code="tech", name="Tech")
        session.add_all([billing, tech])
        session.flush()
        session.add(AgentSkill(user_id=agent.id, skill_id=billing.id, level=3))
        # routing knows agents by their routing profile
        session.add(AgentProfile(user_id=agent.id, channel_capacity={"webchat": 3}, max_concurrent=3))
        session.add_all(
            [
                Queue(
                    code="bills",
                    name="Bills",
                    channel="webchat",
                    required_skills=[{"skill": "billing", "min_level": 2}],
                ),
                Queue(
                    code="fixes",
                    name="Fixes",
                    channel="webchat",
                    required_skills=[{"skill": "tech", "min_level": 1}],
                ),
            ]
        )
    for code in ("bills", "fixes", "fixes"):
        waiting = desk.conversation(None, status="queued")
        with runtime.write_sessions() as session, session.begin():
            do_enqueue(
                session, contact_kind="conversation", contact_id=waiting.id, queue_code=code, now=clock.now()
            )
    browser.sign_in(agent)
    assert re.search(r'data-counter="waiting">1<', client.get("/console").text)
    client.cookies.clear()
    browser.sign_in(factory.user(Role.supervisor))
    assert re.search(r'data-counter="waiting">3<', client.get("/console").text)


def test_inbox_filters_by_status_and_keeps_the_filter_when_refreshing(client, factory, browser, desk):
    agent = factory.user(Role.agent)
    desk.conversation(agent, customer_name="Open Customer")
    desk.conversation(agent, customer_name="Ended Customer", status="ended")
    browser.sign_in(agent)
    page = client.get("/console?status=ended", headers={"Accept-Language": "en"}).text
    assert "Ended Customer" in page and "Open Customer" not in page
    assert 'hx-get="/console/inbox?status=ended"' in page
    assert re.search(r'<a href="/console\?status=ended" aria-current="page">Ended</a>', page)
    assert "Open Customer" in client.get("/console/inbox?status=active").text
    refused = client.get("/console?status=lost")
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "status"


def test_reply_box_posts_to_the_api_and_only_on_open_conversations(client, factory, browser, desk):
    agent = factory.user(Role.agent)
    live, ended = desk.conversation(agent), desk.conversation(agent, status="ended")
    browser.sign_in(agent)
    page = client.get(f"/console/conversations/{live.public_id}").text
    assert f'data-reply-url="/api/v1/conversations/{live.public_id}/replies"' in page
    assert f'data-note-url="/console/conversations/{live.public_id}/notes"' in page
    assert "data-reply-form" not in client.get(f"/console/conversations/{ended.public_id}").text


def test_only_the_api_docs_page_goes_without_the_policy(client):
    """Swagger UI runs inline script; every other response keeps the policy."""
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
    assert "content-security-policy" in client.get("/api/v1/openapi.json").headers


def test_wallboard_lists_agents_with_presence_and_contacts_in_reach(client, factory, browser, runtime, desk):
    team, other_team = factory.team(), factory.team()
    on_break, working, elsewhere = (
        factory.user(Role.agent, team),
        factory.user(Role.agent, team),
        factory.user(Role.agent, other_team),
    )
    with runtime.write_sessions() as session, session.begin():
        session.add(Queue(code="chat", name="Chat", channel="webchat"))
        for agent in (on_break, working, elsewhere):
            session.add(AgentProfile(user_id=agent.id, channel_capacity={"webchat": 3}, max_concurrent=3))
    conversation = desk.conversation(None)
    with runtime.write_sessions() as session, session.begin():
        check_set_presence(session, on_break.id, "break", "meal", clock.now())
        check_set_presence(session, working.id, "available", None, clock.now())
        entry = do_enqueue(
            session,
            contact_kind="conversation",
            contact_id=conversation.id,
            queue_code="chat",
            now=clock.now(),
        )
        entry.status, entry.agent_id = "assigned", working.id
    browser.sign_in(factory.user(Role.team_lead, team))
    page = client.get("/console/wallboard", headers={"Accept-Language": "en"}).text
    rows = re.findall(r'<tr data-agent="(\d+)" class="state-(\w+)">', page)
    assert [int(user_id) for user_id, _ in rows] == [working.id, on_break.id]  # the lead's team only
    assert dict(rows)[str(on_break.id)] == "break" and "Break</td>" not in page and "Meal" in page
    working_row = page[page.index(f'data-agent="{working.id}"') :]
    assert re.search(r'data-figure="contacts">1<', working_row)
