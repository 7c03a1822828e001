import pytest
from sqlalchemy import select

from kefu.access.models import Team
from kefu.access.roles import Role
from kefu.core import clock
from kefu.customers.models import Customer
from kefu.surveys.links import survey_token, survey_url
from kefu.surveys.models import Survey

SECRET = "test-secret-key"  # the settings fixture's key


@pytest.fixture
def solved(runtime, factory, client, frozen_clock):
    """A ticket solved by an agent of a team with a lead; returns (token, agent, lead, headers of agent)."""
    team = factory.team()
    lead = factory.user(Role.team_lead, team)
    agent = factory.user(Role.agent, team)
    with runtime.sessions() as session, session.begin():
        session.get(Team, team.id).lead_id = lead.id
        customer = Customer(
            name="Li", tier="active", lifetime_value=0, tags=[], language="zh_CN", created_at=clock.now()
        )
        session.add(customer)
    headers = factory.auth(agent)
    body = {"type": "inquiry", "customer_id": customer.id, "channel": "email", "subject": "invoice"}
    ticket = client.post("/api/v1/tickets", json=body, headers=headers).json()
    events = []
    runtime.bus.subscribe(events.append)
    assert (
        client.post(
            f"/api/v1/tickets/{ticket['id']}/status", json={"status": "solved"}, headers=headers
        ).status_code
        == 200
    )
    created = [e for e in events if e.type == "survey.created"]
    assert len(created) == 1 and created[0].payload["ticket"] == ticket["id"]
    return survey_token(SECRET, created[0].payload["survey"]), agent, lead, ticket


def stored(runtime):
    with runtime.sessions() as session:
        return session.scalars(select(Survey)).all()


def test_solving_asks_once_and_the_answer_is_recorded_once(client, runtime, solved):
    token, agent, _, ticket = solved
    assert client.get(f"/api/v1/surveys/{token}").json()["state"] == "open"
    answer = {"attitude": 5, "efficiency": 4, "accuracy": 5, "comment": " quick "}
    assert client.post(f"/api/v1/surveys/{token}", json=answer).status_code == 201
    again = client.post(f"/api/v1/surveys/{token}", json={**answer, "attitude": 1})
    assert again.status_code == 409 and again.json()["code"] == "survey_answered"
    [survey] = stored(runtime)
    assert (survey.attitude, survey.efficiency, survey.accuracy, survey.comment) == (5, 4, 5, "quick")
    assert survey.agent_id == agent.id and survey.ticket_id == ticket["id"]


@pytest.mark.parametrize("field", ["attitude", "efficiency", "accuracy"])
def test_a_rating_outside_one_to_five_is_422_naming_the_field(client, runtime, solved, field):
    token = solved[0]
    answer = {"attitude": 3, "efficiency": 3, "accuracy": 3, field: 6}
    response = client.post(f"/api/v1/surveys/{token}", json=answer)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == field
    assert stored(runtime)[0].answered_at is None


def test_expired_and_forged_tokens_record_nothing(client, runtime, solved, frozen_clock):
    token = solved[0]
    forged = token[:-1] + ("x" if token[-1] != "x" else "y")  # never the real token
    answer = {"attitude": 5, "efficiency": 5, "accuracy": 5}
    assert client.post(f"/api/v1/surveys/{forged}", json=answer).status_code == 404
    frozen_clock.advance(days=8)
    response = client.post(f"/api/v1/surveys/{token}", json={"attitude": 5, "efficiency": 5, "accuracy": 5})
    assert response.status_code == 410 and response.json()["code"] == "survey_expired"
    page = client.get(f"/api/v1/surveys/{token}/page", headers={"Accept-Language": "en"})
    assert page.status_code == 410 and "expired" in page.text
    chinese = client.get(f"/api/v1/surveys/{token}/page", headers={"Accept-Language": "zh-CN"})
    assert "已过期" in chinese.text
    assert stored(runtime)[0].answered_at is None


def test_the_html_page_answers_and_a_reused_link_gets_a_friendly_page(client, runtime, solved):
    token = solved[0]
    page = client.get(f"/api/v1/surveys/{token}/page")
    assert page.status_code == 200 and 'name="attitude"' in page.text
    bad = client.post(f"/api/v1/surveys/{token}/page", content="attitude=5&efficiency=0&accuracy=5",
                      headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert bad.status_code == 422 and "efficiency" in bad.text
    form = "attitude=4&efficiency=5&accuracy=5&comment=%E5%BE%88%E5%A5%BD"
    headers = {"content-type": "application/x-www-form-urlencoded", "Accept-Language": "en"}
    done = client.post(f"/api/v1/surveys/{token}/page", content=form, headers=headers)
    assert done.status_code == 200 and "Thank you" in done.text
    reused = client.post(
        f"/api/v1/surveys/{token}/page", content="attitude=1&efficiency=1&accuracy=1", headers=headers
    )
    assert reused.status_code == 409 and "already been answered" in reused.text
    assert stored(runtime)[0].comment == "很好" and stored(runtime)[0].attitude == 4


def test_negative_csat_creates_a_follow_up_for_the_team_lead(client, runtime, factory, solved):
    token, _, lead, ticket = solved
    client.post(f"/api/v1/surveys/{token}", json={"attitude": 2, "efficiency": 4, "accuracy": 4})
    follow_ups = client.get("/api/v1/follow-ups", headers=factory.auth(lead)).json()
    assert [(f["reason"], f["ticket_id"], f["assignee_id"]) for f in follow_ups] == [
        ("negative_csat", ticket["id"], lead.id)
    ]


def test_the_report_gives_response_rate_and_csat(client, runtime, factory, solved, frozen_clock):
    token, agent, _, _ = solved
    client.post(f"/api/v1/surveys/{token}", json={"attitude": 5, "efficiency": 4, "accuracy": 4})
    frozen_clock.advance(minutes=1)  # the period is [since, until)
    supervisor = factory.user(Role.supervisor)
    report = client.get("/api/v1/csat/report", headers=factory.auth(supervisor)).json()
    assert report["overall"]["sent"] == 1 and report["overall"]["response_rate"] == 1.0
    assert report["overall"]["csat"] == 1.0 and report["overall"]["efficiency"] == 4.0
    assert report["by_agent"][str(agent.id)]["answered"] == 1
    assert client.get("/api/v1/csat/report", headers=factory.auth(agent)).status_code == 403


def test_link_url_points_at_the_page():
    assert survey_url("https://kefu.example/", SECRET, "abc").startswith(
        "https://kefu.example/api/v1/surveys/abc."
    )


def test_a_team_lead_sees_only_the_teams_csat(client, runtime, factory, solved, frozen_clock):
    token, agent, lead, _ = solved
    client.post(f"/api/v1/surveys/{token}", json={"attitude": 5, "efficiency": 5, "accuracy": 5})
    frozen_clock.advance(minutes=1)
    own = client.get("/api/v1/csat/report", headers=factory.auth(lead)).json()
    assert own["overall"]["sent"] == 1 and list(own["by_agent"]) == [str(agent.id)]
    other_lead = factory.user(Role.team_lead, factory.team())
    other = client.get("/api/v1/csat/report", headers=factory.auth(other_lead)).json()
    assert other["overall"]["sent"] == 0 and other["by_agent"] == {}
