"""The escalation chain on the SLA admin page: saved through the SLA actions (so every open ticket is
re-timed), malformed steps and chains refused next to their field, and only for `config:manage`."""

from __future__ import annotations

from kefu.access.roles import Role
from kefu.tickets.policies import stored_escalation


def htmx(browser, language="en"):
    return {**browser.csrf(), "HX-Request": "true", "Accept-Language": language}


def _form(**changes):
    form = {
        "chain": ["supervisor"],
        "step_level": ["supervisor", "", "", ""],
        "step_on": ["breach", "at_risk", "at_risk", "at_risk"],
        "step_after": ["30", "", "", ""],
        "major_complaint_level": "supervisor",
    }
    return {**form, **changes}


def test_a_chain_of_agent_then_supervisor_is_saved_and_shown(client, factory, browser, runtime):
    browser.sign_in(factory.user(Role.admin))
    page = client.get("/console/admin/sla").text
    assert 'id="escalation"' in page and 'name="chain" value="team_lead" checked' in page  # the default
    saved = client.post("/console/admin/sla/escalation", data=_form(), headers=htmx(browser))
    assert saved.status_code == 200 and "HX-Redirect" in saved.headers
    with runtime.sessions() as session:
        assert stored_escalation(session) == {
            "chain": ["agent", "supervisor"],
            "steps": [{"level": "supervisor", "on": "breach", "after_seconds": 1800.0}],
            "major_complaint_level": "supervisor",
        }
    page = client.get("/console/admin/sla").text
    assert 'name="chain" value="team_lead" checked' not in page
    assert 'name="chain" value="supervisor" checked' in page and 'value="30"' in page


def test_bad_steps_and_chains_are_refused_next_to_their_field(client, factory, browser, runtime):
    browser.sign_in(factory.user(Role.admin))
    with runtime.sessions() as session:
        before = stored_escalation(session)
    minutes = client.post(
        "/console/admin/sla/escalation", data=_form(step_after=["soon", "", "", ""]), headers=htmx(browser)
    )
    assert minutes.status_code == 422 and 'data-field-error="steps"' in minutes.text
    trigger = client.post(
        "/console/admin/sla/escalation", data=_form(step_on=["never", "", "", ""]), headers=htmx(browser)
    )
    assert trigger.status_code == 422 and 'data-field-error="steps"' in trigger.text
    # a step to a level the chain does not have, and a chain with nothing above the agent
    outside = client.post("/console/admin/sla/escalation", data=_form(chain=[]), headers=htmx(browser))
    assert outside.status_code == 422 and 'data-field-error="escalation"' in outside.text
    with runtime.sessions() as session:
        assert stored_escalation(session) == before


def test_only_config_managers_change_it_and_the_section_speaks_chinese(client, factory, browser):
    browser.sign_in(factory.user(Role.supervisor))
    refused = client.post("/console/admin/sla/escalation", data=_form(), headers=htmx(browser))
    assert refused.status_code == 403
    browser.sign_in(factory.user(Role.admin))
    page = client.get("/console/admin/sla", headers={"Accept-Language": "zh-CN"}).text
    assert "升级链" in page and "重大投诉直接升级到" in page
