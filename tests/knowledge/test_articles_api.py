"""Knowledge-base articles through the API: life cycle, versions and diff, stale list, safe rendering,
attachments, search of published articles only, and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.access.roles import Role

API = "/api/v1/kb"


@pytest.fixture
def people(factory):
    return {role: factory.auth(factory.user(role)) for role in Role}


def _create(client, auth, **fields):
    body = {"title": "如何申请退款", "body": "在订单页面点击申请退款。", "language": "zh"} | fields
    response = client.post(f"{API}/articles", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def _status(client, auth, article_id, status):
    return client.post(f"{API}/articles/{article_id}/status", json={"status": status}, headers=auth)


def test_life_cycle_and_invalid_transitions(client, people):
    trainer = people[Role.trainer]
    article = _create(client, trainer)
    assert article["status"] == "draft" and article["version"] == 1
    wrong = _status(client, trainer, article["id"], "published")
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "invalid_transition"
    assert "in_review" in wrong.json()["message"] and "archived" in wrong.json()["message"]
    assert _status(client, trainer, article["id"], "in_review").json()["status"] == "in_review"
    assert _status(client, trainer, article["id"], "published").json()["status"] == "published"
    assert _status(client, trainer, article["id"], "in_review").status_code == 409
    assert _status(client, trainer, article["id"], "archived").json()["status"] == "archived"
    unknown = _status(client, trainer, article["id"], "gone")
    assert unknown.status_code == 422 and unknown.json()["fields"] == ["status"] or "status" in unknown.text
    # an archived article is not edited until reopened
    assert (
        client.patch(f"{API}/articles/{article['id']}", json={"body": "x"}, headers=trainer).status_code
        == 409
    )
    assert _status(client, trainer, article["id"], "draft").json()["status"] == "draft"


def test_agent_reads_published_only_and_cannot_write_or_publish(client, people):
    trainer, agent, lead = people[Role.trainer], people[Role.agent], people[Role.team_lead]
    draft = _create(client, trainer, title="草稿")
    published = _create(client, trainer, title="已发布")
    _status(client, trainer, published["id"], "in_review")
    _status(client, trainer, published["id"], "published")
    assert client.get(f"{API}/articles/{draft['id']}", headers=agent).status_code == 404
    assert client.get(f"{API}/articles/{published['id']}", headers=agent).status_code == 200
    assert [a["id"] for a in client.get(f"{API}/articles", headers=agent).json()] == [published["id"]]
    assert (
        client.post(f"{API}/articles", json={"title": "x", "language": "zh"}, headers=agent).status_code
        == 403
    )
    # a team lead writes and submits for review but does not publish
    mine = _create(client, lead, title="组长草稿")
    assert _status(client, lead, mine["id"], "in_review").status_code == 200
    refused = _status(client, lead, mine["id"], "published")
    assert refused.status_code == 403 and "knowledge:review" in refused.json()["message"]
    # nor change a published article
    patch = client.patch(f"{API}/articles/{published['id']}", json={"body": "改"}, headers=lead)
    assert patch.status_code == 403
    for role in Role:
        assert client.get(f"{API}/search", params={"q": "发布"}, headers=people[role]).status_code == 200


def test_every_edit_is_a_version_and_versions_diff(client, people):
    trainer = people[Role.trainer]
    article = _create(client, trainer, body="第一步：打开订单。\n第二步：点击退款。\n")
    url = f"{API}/articles/{article['id']}"
    client.patch(url, json={"body": "第一步：打开订单。\n第二步：点击申请退款。\n"}, headers=trainer)
    edited = client.patch(
        url, json={"title": "How to refund", "tags": ["退款", "订单"]}, headers=trainer
    ).json()
    assert edited["version"] == 3
    # a change of owner or review date alone is not a new version of the text
    same = client.patch(url, json={"review_by": "2030-01-01"}, headers=trainer).json()
    assert same["version"] == 3
    versions = client.get(f"{url}/versions", headers=trainer).json()
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert versions[0]["body"].startswith("第一步")
    diff = client.get(f"{url}/diff", params={"from": 1, "to": 2}, headers=trainer).json()["diff"]
    assert "--- v1" in diff and "+++ v2" in diff
    assert "-第二步：点击退款。" in diff and "+第二步：点击申请退款。" in diff
    diff13 = client.get(f"{url}/diff", params={"from": 1, "to": 3}, headers=trainer).json()["diff"]
    assert "+title: How to refund" in diff13 and "+tags: 退款, 订单" in diff13
    missing = client.get(f"{url}/diff", params={"from": 1, "to": 9}, headers=trainer)
    assert missing.status_code == 404 and "to" in missing.json()["message"]


def test_stale_articles_listed_for_their_owner(client, factory, people, frozen_clock):
    owner_user = factory.user(Role.trainer)
    owner = factory.auth(owner_user)
    today = frozen_clock().date()
    old = _create(client, owner, title="过期", review_by=str(today - timedelta(days=1)))
    _create(client, owner, title="未到期", review_by=str(today + timedelta(days=5)))
    _create(client, owner, title="无日期")
    others = _create(
        client, people[Role.supervisor], title="别人的过期", review_by=str(today - timedelta(days=3))
    )
    mine = client.get(f"{API}/articles/stale", headers=owner).json()
    assert [a["id"] for a in mine] == [old["id"]]
    everyone = client.get(f"{API}/articles/stale", params={"all": "true"}, headers=owner).json()
    assert [a["id"] for a in everyone] == [others["id"], old["id"]]
    # the date passing makes an article stale
    frozen_clock.advance(days=6)
    assert len(client.get(f"{API}/articles/stale", headers=owner).json()) == 2
    assert client.get(f"{API}/articles/stale", headers=people[Role.agent]).status_code == 403


def test_markup_in_a_body_never_comes_out_as_markup(client, people):
    trainer = people[Role.trainer]
    body = "<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [ok](https://example.com)\n\n<script>alert(2)</script>"
    article = _create(client, trainer, body=body)
    html = client.get(f"{API}/articles/{article['id']}", headers=trainer).json()["html"]
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html and "javascript:" not in html.replace("](javascript:", "")
    assert 'href="javascript' not in html.lower()
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in html


def test_search_finds_published_articles_only_and_follows_changes(client, people):
    trainer, agent = people[Role.trainer], people[Role.agent]
    article = _create(client, trainer, title="退款多久到账", body="退款一般在3个工作日内到账。")
    english = _create(
        client, trainer, title="Refund timing", body="Refunds arrive within 3 business days.", language="en"
    )

    def found(q, **params):
        return [h["id"] for h in client.get(f"{API}/search", params={"q": q} | params, headers=agent).json()]

    assert found("退款") == []
    for a in (article, english):
        _status(client, trainer, a["id"], "in_review")
        _status(client, trainer, a["id"], "published")
    assert found("退款什么时候到账") == [article["id"]]
    assert found("when does my refund arrive", language="en") == [english["id"]]
    # an edit of a published article is searchable at once
    client.patch(
        f"{API}/articles/{english['id']}", json={"body": "Parcels ship the same day."}, headers=trainer
    )
    assert found("parcels ship") == [english["id"]]
    _status(client, trainer, article["id"], "archived")
    assert found("退款") == []


def test_attachments_are_downloads_with_nosniff_under_unguessable_ids(client, people):
    trainer, agent = people[Role.trainer], people[Role.agent]
    article = _create(client, trainer)
    files = {"file": ("../../退款流程.pdf", b"%PDF-1.4 test", "application/pdf")}
    uploaded = client.post(f"{API}/articles/{article['id']}/attachments", files=files, headers=trainer)
    assert uploaded.status_code == 201, uploaded.text
    info = uploaded.json()
    assert info["filename"] == "退款流程.pdf" and len(info["id"]) >= 20
    html = {"file": ("x.html", b"<script>alert(1)</script>", "text/html")}
    assert (
        client.post(f"{API}/articles/{article['id']}/attachments", files=html, headers=trainer).status_code
        == 415
    )
    download = client.get(info["url"], headers=trainer)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 test"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    # the article is a draft: an agent cannot see it, nor its files
    assert client.get(info["url"], headers=agent).status_code == 404
    assert client.get(f"{API}/attachments/not-a-real-id", headers=trainer).status_code == 404


def test_bad_input_names_the_field(client, people):
    trainer = people[Role.trainer]
    bad = client.post(f"{API}/articles", json={"title": "x", "language": "fr"}, headers=trainer)
    assert bad.status_code == 422 and "language" in bad.json()["message"]
    bad = client.post(
        f"{API}/articles", json={"title": "x", "language": "zh", "category_id": 77}, headers=trainer
    )
    assert bad.status_code == 422 and "category_id" in bad.json()["message"]
    assert (
        client.get(f"{API}/search", params={"q": "x", "language": "fr"}, headers=trainer).status_code == 422
    )


def test_categories_form_a_tree_and_filter_search(client, people):
    trainer, agent = people[Role.trainer], people[Role.agent]
    after_sales = client.post(f"{API}/categories", json={"name": "售后"}, headers=trainer).json()
    refunds = client.post(
        f"{API}/categories", json={"name": "退款", "parent_id": after_sales["id"]}, headers=trainer
    ).json()
    assert refunds["path"] == ["售后", "退款"]
    inside = _create(client, trainer, title="退款规则", category_id=refunds["id"])
    outside = _create(client, trainer, title="退款活动说明")
    for a in (inside, outside):
        _status(client, trainer, a["id"], "in_review")
        _status(client, trainer, a["id"], "published")
    hits = client.get(
        f"{API}/search", params={"q": "退款", "category_id": after_sales["id"]}, headers=agent
    ).json()
    assert [h["id"] for h in hits] == [inside["id"]]
