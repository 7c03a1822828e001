"""The script library: rendering with variables, `/keyword` search, usage counts, suggestions."""

from __future__ import annotations

import pytest

from kefu.core.errors import Conflict, InvalidInput
from kefu.knowledge.scripts import (
    do_create_script,
    do_record_script_use,
    do_update_script,
    render_script,
    search_scripts,
    suggest_scripts,
    variables_in,
)


def test_render_fills_known_variables_and_keeps_missing_ones_visible():
    body = "您好{customer_name}，您的订单{order_id}已发货。我是{agent_name}。{unknown} {not a var} {1}"
    out = render_script(body, {"customer_name": "张三", "agent_name": "小李", "order_id": ""})
    assert out == "您好张三，您的订单{order_id}已发货。我是小李。{unknown} {not a var} {1}"
    assert variables_in(body) == ["customer_name", "order_id", "agent_name", "unknown"]


def test_render_does_not_substitute_twice():
    # a customer name that looks like a placeholder is inserted as text, not filled again
    assert render_script("Hi {customer_name}, {agent_name}", {"customer_name": "{agent_name}"}) == (
        "Hi {agent_name}, {agent_name}"
    )


def _seed(session):
    do_create_script(
        session, scenario="greeting", title="欢迎语", body="您好{customer_name}，很高兴为您服务！",
        language="zh", shortcut="/hello",
    )  # fmt: skip
    do_create_script(
        session, scenario="complaint_soothing", title="退款安抚",
        body="非常抱歉给您带来不便，退款将在3个工作日内到账。", language="zh", shortcut="refund",
    )  # fmt: skip
    do_create_script(
        session, scenario="closing", title="Goodbye", body="Thanks for contacting us, {customer_name}!",
        language="en", shortcut="bye",
    )  # fmt: skip
    do_create_script(
        session, scenario="objection_handling", title="Refund timing",
        body="Your refund takes 3 business days.", language="en", shortcut="refund",
    )  # fmt: skip


def test_shortcut_prefix_title_and_body_search(runtime):
    with runtime.sessions() as session, session.begin():
        _seed(session)
    with runtime.sessions() as session:
        assert [s.title for s in search_scripts(session, "/he", "zh")] == ["欢迎语"]
        assert [s.title for s in search_scripts(session, "ref", "en")] == ["Refund timing"]
        # title match for Chinese text, body match for words inside the reply
        assert [s.title for s in search_scripts(session, "安抚", "zh")] == ["退款安抚"]
        assert [s.title for s in search_scripts(session, "工作日", "zh")] == ["退款安抚"]
        assert {s.language for s in search_scripts(session, "refund", None)} == {"zh", "en"}
        assert search_scripts(session, "%", "zh") == []  # LIKE wildcards are literal


def test_shortcut_ranks_before_body_match(runtime):
    with runtime.sessions() as session, session.begin():
        do_create_script(session, scenario="other", title="A", body="mentions ship", language="en")
        do_create_script(session, scenario="other", title="B", body="x", language="en", shortcut="ship")
    with runtime.sessions() as session:
        assert [s.title for s in search_scripts(session, "ship", "en")] == ["B", "A"]


def test_shortcut_unique_per_language(runtime):
    with runtime.sessions() as session, session.begin():
        _seed(session)
    with runtime.sessions() as session, session.begin():
        with pytest.raises(Conflict, match="shortcut"):
            do_create_script(
                session, scenario="other", title="x", body="y", language="zh", shortcut="/Refund"
            )
    with runtime.sessions() as session, session.begin():
        with pytest.raises(InvalidInput, match="scenario"):
            do_create_script(session, scenario="nope", title="x", body="y", language="zh")
        with pytest.raises(InvalidInput, match="shortcut"):
            do_create_script(session, scenario="other", title="x", body="y", language="zh", shortcut="a b")


def test_usage_counts_and_ordering(runtime):
    with runtime.sessions() as session, session.begin():
        _seed(session)
        bye = search_scripts(session, "bye", "en")[0].id
    with runtime.sessions() as session, session.begin():
        assert do_record_script_use(session, bye, None) == 1
        assert do_record_script_use(session, bye, None) == 2
    with runtime.sessions() as session:
        # an empty query lists the most used first
        assert search_scripts(session, "", "en")[0].id == bye
        assert search_scripts(session, "", "en")[0].usage_count == 2


def test_suggestions_follow_edits(runtime):
    with runtime.sessions() as session, session.begin():
        _seed(session)
    with runtime.sessions() as session:
        assert [s.title for s in suggest_scripts(session, "我的退款什么时候到账？", "zh")][:1] == ["退款安抚"]
        assert [s.title for s in suggest_scripts(session, "when will my refund arrive", "en")][:1] == [
            "Refund timing"
        ]
    with runtime.sessions() as session, session.begin():
        script = search_scripts(session, "bye", "en")[0]
        do_update_script(session, script, {"body": "Your parcel is on its way."})
    with runtime.sessions() as session:
        assert [s.title for s in suggest_scripts(session, "where is my parcel", "en")] == ["Goodbye"]


def test_the_demo_centre_has_searchable_articles_and_scripts(runtime):
    from datetime import date

    from kefu.demo.load import load
    from kefu.knowledge.articles import search_published

    load(runtime.sessions, date(2026, 3, 2), show_progress=False)
    with runtime.sessions() as session:
        hits = search_published(session, "退款多久到账", "zh")
        assert hits and all(h.language == "zh" for h in hits)
        assert [s.shortcut for s in search_scripts(session, "/sor", "en")] == ["sorry"]
        assert suggest_scripts(session, "the refund is late", "en")[0].shortcut == "sorry"
