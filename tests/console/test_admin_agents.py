"""The agents' routing profiles in the admin pages: the first profile makes an agent routable, every field
is checked by routing itself with the error next to it, and a team lead reaches only the team."""

from __future__ import annotations

from sqlalchemy import select

from kefu.access.models import User
from kefu.access.roles import Role
from kefu.routing.access import routing_profiles, transfer_agents
from kefu.routing.models import AgentProfile, Skill
from kefu.routing.snapshot import agent_states

XSS = "<img src=x onerror=alert(1)>"


def htmx(browser):
    return {**browser.csrf(), "HX-Request": "true", "Accept-Language": "en"}


def _skills(runtime):
    with runtime.write_sessions() as session, session.begin():
        session.add_all([Skill(code="orders", name="Orders"), Skill(code="refunds", name="Refunds")])


def _form(**changes):
    """The page's form as a browser posts it: parallel lists of skill codes/levels and channels/capacities."""
    form = {
        "skill_code": ["orders", "refunds"],
        "skill_level": ["4", ""],
        "channel": ["email", "voice", "webchat"],
        "capacity": ["2", "1", "3"],
        "max_concurrent": "4",
        "languages": ["zh_CN", "en"],
    }
    return {**form, **changes}


def test_the_first_profile_makes_an_agent_routable(client, factory, browser, runtime):
    _skills(runtime)
    team = factory.team()
    agent = factory.user(Role.agent, team)
    browser.sign_in(factory.user(Role.supervisor))
    page = client.get("/console/admin/agents").text
    assert f'data-agent="{agent.id}"' in page and "data-no-profile" in page
    with runtime.sessions() as session:
        assert agent.id not in {a.user_id for a in transfer_agents(session)}
    saved = client.post(f"/console/admin/agents/{agent.id}/profile", data=_form(), headers=htmx(browser))
    assert saved.status_code == 200 and "HX-Redirect" in saved.headers
    with runtime.sessions() as session:
        state = agent_states(session, [agent.id])[agent.id]
        assert dict(state.skills) == {"orders": 4}  # "–" for refunds: not held
        assert dict(state.capacity) == {"email": 2, "voice": 1, "webchat": 3} and state.max_total == 4
        assert routing_profiles(session, [agent.id])[agent.id].languages == ["zh_CN", "en"]
        assert agent.id in {a.user_id for a in transfer_agents(session)}
    page = client.get("/console/admin/agents").text
    assert "data-no-profile" not in page and '<option value="4" selected>4</option>' in page


def test_each_field_is_checked_by_routing_and_nothing_is_stored(client, factory, browser, runtime):
    _skills(runtime)
    agent = factory.user(Role.agent, factory.team())
    browser.sign_in(factory.user(Role.admin))
    url = f"/console/admin/agents/{agent.id}/profile"
    refusals = {
        "skills": _form(skill_level=["9", ""]),
        "channel_capacity": _form(capacity=["2", "lots", "3"]),
        "max_concurrent": _form(max_concurrent="99"),
        "languages": _form(languages=["fr"]),
    }
    for field, form in refusals.items():
        response = client.post(url, data=form, headers=htmx(browser))
        assert response.status_code == 422, field
        assert f'data-field-error="{field}"' in response.text, field
    fax = client.post(url, data=_form(channel=["email", "voice", "fax"]), headers=htmx(browser))
    assert fax.status_code == 422 and 'data-field-error="channel_capacity"' in fax.text
    with runtime.sessions() as session:
        assert session.get(AgentProfile, agent.id) is None


def test_a_team_lead_reaches_the_team_only_and_nobody_sets_their_own(client, factory, browser, runtime):
    _skills(runtime)
    team, other_team = factory.team(), factory.team()
    lead = factory.user(Role.team_lead, team)
    mine, theirs = factory.user(Role.agent, team), factory.user(Role.agent, other_team)
    trainer = factory.user(Role.trainer, team)
    browser.sign_in(lead)
    page = client.get("/console/admin/agents").text
    assert f'data-agent="{mine.id}"' in page
    assert f'data-agent="{theirs.id}"' not in page and f'data-agent="{lead.id}"' not in page
    assert f'data-agent="{trainer.id}"' not in page  # trainers take no contacts

    def save(user):
        return client.post(f"/console/admin/agents/{user.id}/profile", data=_form(), headers=htmx(browser))

    assert [save(user).status_code for user in (theirs, lead, trainer)] == [404, 404, 404]
    assert save(mine).status_code == 200
    browser.sign_in(mine)
    assert client.get("/console/admin/agents").status_code == 403


def test_names_are_escaped_and_the_page_speaks_chinese(client, factory, browser, runtime):
    agent = factory.user(Role.agent, factory.team())
    with runtime.write_sessions() as session, session.begin():
        session.execute(select(User).where(User.id == agent.id)).scalar_one().display_name = XSS
    browser.sign_in(factory.user(Role.supervisor))
    page = client.get("/console/admin/agents", headers={"Accept-Language": "zh-CN"}).text
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "坐席技能与接待量" in page and "尚无路由档案" in page
