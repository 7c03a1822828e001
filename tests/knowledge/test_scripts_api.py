"""Scripts and agent assist through the API: CRUD, `/keyword` search, rendering for a conversation,
usage counts, suggestions for Chinese and English messages, CSV import/export and who may do what."""

from __future__ import annotations

import pytest

from kefu.access.roles import Role
from kefu.channels.actions import Inbound, do_ingest_message
from kefu.channels.kinds import Channel
from kefu.customers.identity import normalise_identity
from kefu.customers.tiers import TierRules

API = "/api/v1/kb"


@pytest.fixture
def people(factory):
    users = {role: factory.user(role) for role in Role}
    return users, {role: factory.auth(user) for role, user in users.items()}


def _conversation(runtime, text, name="王小明", visitor="visitor-0001", agent_id=None):
    with runtime.sessions() as session, session.begin():
        inbound = Inbound(
            channel=Channel.webchat, external_id=f"{visitor}-{text}", customer_name=name, body=text,
            identities=(normalise_identity("visitor", visitor),),
        )  # fmt: skip
        ingested = do_ingest_message(session, inbound, rules=TierRules())
        ingested.conversation.agent_id = agent_id
        return ingested.conversation.id


def _script(client, auth, **fields):
    response = client.post(f"{API}/scripts", json=fields, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_scripts_crud_search_render_and_usage(client, runtime, people):
    users, auth = people
    trainer, agent = auth[Role.trainer], auth[Role.agent]
    hello = _script(
        client, trainer, scenario="greeting", title="问候", language="zh", shortcut="/hi",
        body="{customer_name}您好，我是客服{agent_name}，请问订单{order_id}有什么可以帮您？",
    )  # fmt: skip
    assert hello["variables"] == ["customer_name", "agent_name", "order_id"]
    taken = {"scenario": "greeting", "title": "x", "body": "y", "language": "zh", "shortcut": "hi"}
    assert client.post(f"{API}/scripts", json=taken, headers=trainer).status_code == 409
    assert client.post(
        f"{API}/scripts", json={"scenario": "x", "title": "x", "body": "y", "language": "zh"}, headers=agent
    ).status_code == 403  # fmt: skip
    # the console's /keyword search
    found = client.get(f"{API}/scripts", params={"q": "/h", "language": "zh"}, headers=agent).json()
    assert [s["id"] for s in found] == [hello["id"]]
    # rendering for a conversation in the agent's reach: customer and agent names come from kefu
    conversation = _conversation(runtime, "你好", agent_id=users[Role.agent].id)
    rendered = client.post(
        f"{API}/scripts/{hello['id']}/render", json={"conversation_id": conversation}, headers=agent
    ).json()
    assert rendered["text"] == "王小明您好，我是客服Test User，请问订单{order_id}有什么可以帮您？"
    assert rendered["missing"] == ["order_id"]
    with_order = client.post(
        f"{API}/scripts/{hello['id']}/render",
        json={"conversation_id": conversation, "variables": {"order_id": "DD20260302"}},
        headers=agent,
    ).json()
    assert "订单DD20260302" in with_order["text"] and with_order["missing"] == []
    # a conversation outside the agent's reach is not found
    theirs = _conversation(runtime, "别人的", visitor="visitor-0002")
    outside = client.post(
        f"{API}/scripts/{hello['id']}/render", json={"conversation_id": theirs}, headers=agent
    )
    assert outside.status_code == 404
    # usage counts
    assert client.post(f"{API}/scripts/{hello['id']}/use", headers=agent).json()["usage_count"] == 1
    assert client.post(f"{API}/scripts/{hello['id']}/use", headers=agent).json()["usage_count"] == 2
    assert client.get(f"{API}/scripts/{hello['id']}", headers=agent).json()["usage_count"] == 2
    assert client.post(f"{API}/scripts/999999/use", headers=agent).status_code == 404
    # edit and delete
    edited = client.patch(f"{API}/scripts/{hello['id']}", json={"shortcut": "/hello"}, headers=trainer).json()
    assert edited["shortcut"] == "hello"
    assert client.delete(f"{API}/scripts/{hello['id']}", headers=agent).status_code == 403
    assert client.delete(f"{API}/scripts/{hello['id']}", headers=trainer).status_code == 204
    assert client.get(f"{API}/scripts/{hello['id']}", headers=agent).status_code == 404


def _publish(client, auth, title, body, language):
    article = client.post(
        f"{API}/articles", json={"title": title, "body": body, "language": language}, headers=auth
    ).json()
    for status in ("in_review", "published"):
        client.post(f"{API}/articles/{article['id']}/status", json={"status": status}, headers=auth)
    return article["id"]


def test_assist_suggests_relevant_articles_and_scripts_in_both_languages(client, runtime, people):
    users, auth = people
    trainer, agent = auth[Role.trainer], auth[Role.agent]
    refund_zh = _publish(client, trainer, "退款多久到账", "退款审核通过后，一般3个工作日内原路退回。", "zh")
    _publish(client, trainer, "如何修改收货地址", "发货前可在订单详情页修改收货地址。", "zh")
    invoice_en = _publish(
        client, trainer, "How to get an invoice", "Open the order and choose Invoice.", "en"
    )
    _publish(client, trainer, "Change your password", "Go to Settings and choose Password.", "en")
    soothe = _script(
        client, trainer, scenario="complaint_soothing", title="退款延迟安抚", language="zh",
        body="非常抱歉让您久等了，您的退款正在加急处理。",
    )  # fmt: skip
    _script(client, trainer, scenario="greeting", title="问候", language="zh", body="您好，很高兴为您服务。")
    invoice_script = _script(
        client, trainer, scenario="other", title="Invoice request", language="en",
        body="I will send the invoice for order {order_id} to your e-mail.",
    )  # fmt: skip
    conversation = _conversation(runtime, "我的退款怎么还没到账？", agent_id=users[Role.agent].id)
    zh = client.get(f"{API}/assist", params={"conversation_id": conversation}, headers=agent).json()
    assert zh["text"] == "我的退款怎么还没到账？"
    assert zh["articles"][0]["id"] == refund_zh
    assert zh["scripts"][0]["id"] == soothe["id"]
    en = client.get(
        f"{API}/assist", params={"text": "I need an invoice for my order please"}, headers=agent
    ).json()
    assert en["articles"][0]["id"] == invoice_en
    assert all(a["language"] == "en" for a in en["articles"])
    assert en["scripts"][0]["id"] == invoice_script["id"]
    assert client.get(f"{API}/assist", headers=agent).status_code == 422
    theirs = _conversation(runtime, "退款", visitor="visitor-0009")
    assert client.get(f"{API}/assist", params={"conversation_id": theirs}, headers=agent).status_code == 404


def test_csv_import_and_export_over_the_api(client, people):
    _, auth = people
    trainer, lead = auth[Role.trainer], auth[Role.team_lead]
    csv_text = (
        "title,language,category,tags,status,review_by,body\r\n"
        "退货政策,zh,售后/退货,退货;政策,published,2026-12-31,七天无理由退货。\r\n"
        'Return policy,en,After-sales,returns,draft,,"Returns within 7 days.\nNo questions asked."\r\n'
    )
    files = {"file": ("kb.csv", csv_text.encode("utf-8-sig"), "text/csv")}
    assert client.post(f"{API}/import", files=files, headers=lead).status_code == 403  # publishes
    imported = client.post(f"{API}/import", files=files, headers=trainer)
    assert imported.json() == {"created": 2, "updated": 0}
    hits = client.get(f"{API}/search", params={"q": "退货"}, headers=auth[Role.agent]).json()
    assert [h["title"] for h in hits] == ["退货政策"]
    exported = client.get(f"{API}/export.csv", headers=trainer)
    assert exported.headers["content-type"].startswith("text/csv")
    text = exported.content.decode("utf-8-sig")
    assert "退货政策,zh,售后/退货,退货;政策,published,2026-12-31,七天无理由退货。" in text
    assert '"Returns within 7 days.\nNo questions asked."' in text
    bad = "title,language,body\r\n好,zh,正文\r\n坏,xx,正文\r\n".encode("gb18030")
    refused = client.post(f"{API}/import", files={"file": ("bad.csv", bad, "text/csv")}, headers=trainer)
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("line 3: language")
    assert (
        client.get(f"{API}/articles", params={"language": "zh"}, headers=trainer).json()[0]["title"]
        == "退货政策"
    )
