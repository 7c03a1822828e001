"""Ticket attachments, custom fields per type and linked conversations, through the REST API."""

import hashlib

import pytest

from kefu.access.roles import Role
from kefu.channels.models import Conversation
from kefu.channels.settings import ChannelSettings
from kefu.core import clock


@pytest.fixture
def admin(desk):
    return desk.factory.user(Role.admin)


def upload(desk, ticket_id, name, data, content_type, user=None):
    files = {"file": (name, data, content_type)}
    return desk.call("POST", f"/tickets/{ticket_id}/attachments", user, files=files)


# --- attachments ----------------------------------------------------------------------------------


def test_an_attachment_is_stored_listed_and_downloaded_with_its_history(desk):
    ticket = desk.ticket()
    data = b"%PDF-1.4 invoice"
    response = upload(desk, ticket["id"], "../../invoice.pdf", data, "application/pdf")
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["filename"] == "invoice.pdf"  # the path is gone
    assert stored["sha256"] == hashlib.sha256(data).hexdigest() and stored["size"] == len(data)
    assert len(stored["id"]) >= 22  # 128 random bits, URL-safe base64
    listed = desk.call("GET", f"/tickets/{ticket['id']}/attachments").json()
    assert [a["id"] for a in listed] == [stored["id"]]
    download = desk.call("GET", f"/tickets/{ticket['id']}/attachments/{stored['id']}")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    history = desk.call("GET", f"/tickets/{ticket['id']}/events").json()
    assert history[-1]["kind"] == "attachment" and history[-1]["data"]["attachment"] == stored["id"]


@pytest.mark.parametrize(
    ("name", "content_type", "body"),
    [
        (
            "logo.svg",
            "image/svg+xml",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        ),
        ("page.html", "text/html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_svg_and_html_are_only_ever_downloads(desk, name, content_type, body):
    ticket = desk.ticket()
    stored = upload(desk, ticket["id"], name, body, content_type).json()
    download = desk.call("GET", f"/tickets/{ticket['id']}/attachments/{stored['id']}")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == f"attachment; filename*=UTF-8''{name}"
    assert "sandbox" in download.headers["content-security-policy"]


def test_size_and_type_limits_name_the_limit(desk):
    desk.client.app.state.channel_settings = ChannelSettings(max_upload_bytes=1000)
    ticket = desk.ticket()
    too_big = upload(desk, ticket["id"], "scan.png", b"x" * 1001, "image/png")
    assert too_big.status_code == 413
    assert too_big.json()["fields"][0]["field"] == "file" and "1000 bytes" in too_big.json()["message"]
    exe = upload(desk, ticket["id"], "setup.exe", b"MZ", "application/x-msdownload")
    assert exe.status_code == 422 and exe.json()["fields"][0]["field"] == "file"
    assert "application/pdf" in exe.json()["message"]  # the allowed types are named
    empty = upload(desk, ticket["id"], "empty.png", b"", "image/png")
    assert empty.status_code == 422
    assert desk.call("GET", f"/tickets/{ticket['id']}/attachments").json() == []


def test_attachments_follow_the_tickets_scope(desk):
    ticket = desk.ticket()
    stored = upload(desk, ticket["id"], "a.txt", b"hello", "text/plain").json()
    path = f"/tickets/{ticket['id']}/attachments/{stored['id']}"
    assert desk.call("GET", path, desk.other_agent).status_code == 404
    assert upload(desk, ticket["id"], "b.txt", b"x", "text/plain", desk.other_agent).status_code == 404
    other = desk.ticket()
    assert desk.call("GET", f"/tickets/{other['id']}/attachments/{stored['id']}").status_code == 404


# --- custom fields per ticket type ----------------------------------------------------------------


REPAIR_FIELDS = [
    {"name": "model", "kind": "choice", "choices": ["X1", "X2"], "required": True},
    {"name": "serial", "kind": "text", "max_length": 12},
    {"name": "visits", "kind": "integer", "min": 0, "max": 5},
    {"name": "bought_on", "kind": "date"},
    {"name": "under_warranty", "kind": "boolean"},
]


def test_a_types_schema_checks_custom_fields_naming_the_field(desk, admin):
    put = desk.call("PUT", "/tickets/fields/repair", admin, json={"fields": REPAIR_FIELDS})
    assert put.status_code == 200, put.text
    assert [f["name"] for f in desk.call("GET", "/tickets/fields").json()[0]["fields"]] == [
        "model", "serial", "visits", "bought_on", "under_warranty"
    ]  # fmt: skip
    good = {"model": "X1", "serial": "SN-1", "visits": 2, "bought_on": "2025-12-01", "under_warranty": True}
    ticket = desk.ticket(type="repair", custom_fields=good)
    assert ticket["custom_fields"] == good
    cases = [
        ({"serial": "SN-1"}, "custom_fields.model", "required"),
        ({"model": "X9"}, "custom_fields.model", "not one of X1, X2"),
        ({"model": "X1", "visits": 9}, "custom_fields.visits", "above the maximum 5"),
        ({"model": "X1", "visits": "two"}, "custom_fields.visits", "whole number"),
        ({"model": "X1", "bought_on": "yesterday"}, "custom_fields.bought_on", "not a date"),
        ({"model": "X1", "serial": "S" * 13}, "custom_fields.serial", "longer than 12"),
        ({"model": "X1", "colour": "red"}, "custom_fields.colour", "not a field"),
    ]
    customer = desk.customer()
    for values, field, reason in cases:
        body = {"type": "repair", "channel": "email", "subject": "broken", "customer_id": customer}
        response = desk.call("POST", "/tickets", json={**body, "custom_fields": values})
        assert response.status_code == 422, (values, response.text)
        assert response.json()["fields"][0]["field"] == field and reason in response.json()["message"]
    # an edit is checked too, and so is a change of type into a type with a schema
    patch = desk.call("PATCH", f"/tickets/{ticket['id']}", json={"custom_fields": {"model": "X3"}})
    assert patch.status_code == 422 and patch.json()["fields"][0]["field"] == "custom_fields.model"
    inquiry = desk.ticket(custom_fields={"anything": "goes"})  # no schema for inquiries
    moved = desk.call("PATCH", f"/tickets/{inquiry['id']}", json={"type": "repair"})
    assert moved.status_code == 422 and moved.json()["fields"][0]["field"] == "custom_fields.anything"
    ok = desk.call(
        "PATCH", f"/tickets/{inquiry['id']}", json={"type": "repair", "custom_fields": {"model": "X2"}}
    )
    assert ok.status_code == 200 and ok.json()["custom_fields"] == {"model": "X2"}


def test_a_bad_schema_is_refused_naming_the_field_and_only_admins_change_schemas(desk, admin):
    bad = [
        ([{"name": "Model"}], "fields[0].name"),
        ([{"name": "model", "kind": "choice"}], "fields[0].choices"),
        ([{"name": "a"}, {"name": "a"}], "fields[1].name"),
        ([{"name": "n", "kind": "number", "min": 5, "max": 1}], "fields[0].min"),
    ]
    for fields, where in bad:
        response = desk.call("PUT", "/tickets/fields/repair", admin, json={"fields": fields})
        assert response.status_code == 422, response.text
        assert response.json()["fields"][0]["field"] == where
    assert desk.call("PUT", "/tickets/fields/bogus", admin, json={"fields": []}).status_code == 422
    assert desk.call("PUT", "/tickets/fields/repair", desk.supervisor, json={"fields": []}).status_code == 403
    assert desk.call("GET", "/tickets/fields", desk.agent).status_code == 200


# --- linked conversations -------------------------------------------------------------------------


def conversation(desk, customer, public_id):
    with desk.runtime.sessions() as session, session.begin():
        row = Conversation(
            public_id=public_id,
            customer_id=customer,
            channel="webchat",
            status="open",
            started_at=clock.now(),
        )
        session.add(row)
    return row.id


def test_several_conversations_link_to_a_ticket_and_one_to_several_tickets(desk):
    customer = desk.customer()
    origin, second, third = (conversation(desk, customer, f"c{i}") for i in range(3))
    ticket = desk.ticket(customer_id=customer, conversation_id=origin)
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["conversation_ids"] == [origin]
    for conv in (second, third):
        response = desk.call("POST", f"/tickets/{ticket['id']}/conversations", json={"conversation_id": conv})
        assert response.status_code == 201, response.text
    listed = desk.call("GET", f"/tickets/{ticket['id']}/conversations").json()
    assert [(c["conversation_id"], c["origin"]) for c in listed] == [
        (origin, True),
        (second, False),
        (third, False),
    ]
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["conversation_ids"] == [origin, second, third]
    other = desk.ticket(customer_id=customer)
    assert (
        desk.call(
            "POST", f"/tickets/{other['id']}/conversations", json={"conversation_id": second}
        ).status_code
        == 201
    )
    by_conversation = desk.call("GET", f"/tickets?conversation_id={second}").json()
    assert sorted(t["id"] for t in by_conversation) == sorted([ticket["id"], other["id"]])
    assert [t["id"] for t in desk.call("GET", f"/tickets?conversation_id={origin}").json()] == [ticket["id"]]
    # unlink: recorded; the conversation it was created from stays
    assert desk.call("DELETE", f"/tickets/{ticket['id']}/conversations/{third}").status_code == 204
    kept = desk.call("DELETE", f"/tickets/{ticket['id']}/conversations/{origin}")
    assert kept.status_code == 409 and kept.json()["fields"][0]["field"] == "conversation_id"
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["conversation_ids"] == [origin, second]
    kinds = [
        (e["kind"], e["data"].get("conversation_id"))
        for e in desk.call("GET", f"/tickets/{ticket['id']}/events").json()
    ]
    assert ("conversation_linked", second) in kinds and ("conversation_unlinked", third) in kinds


def test_linking_bad_input_names_the_field(desk):
    customer = desk.customer()
    conv = conversation(desk, customer, "c1")
    strangers = conversation(desk, desk.customer(), "c2")
    ticket = desk.ticket(customer_id=customer)
    path = f"/tickets/{ticket['id']}/conversations"
    assert desk.call("POST", path, json={"conversation_id": conv}).status_code == 201
    again = desk.call("POST", path, json={"conversation_id": conv})
    assert again.status_code == 409 and again.json()["code"] == "already_linked"
    for body, status in (
        ({"conversation_id": 999999}, 422),
        ({"conversation_id": strangers}, 422),
        ({}, 422),
    ):
        response = desk.call("POST", path, json=body)
        assert response.status_code == status and response.json()["fields"][0]["field"].endswith(
            "conversation_id"
        )
    assert desk.call("DELETE", f"{path}/{strangers}").status_code == 404
    assert desk.call("POST", path, desk.other_agent, json={"conversation_id": conv}).status_code == 404


def test_the_consoles_link_adds_a_linked_conversation_once(desk):
    from kefu.tickets.actions import do_link_conversation
    from kefu.tickets.models import Ticket

    customer = desk.customer()
    origin, later = conversation(desk, customer, "c1"), conversation(desk, customer, "c2")
    ticket = desk.ticket(customer_id=customer, conversation_id=origin)
    for _ in range(2):  # linking again changes nothing
        with desk.runtime.write_sessions() as session, session.begin():
            do_link_conversation(
                session, ticket=session.get(Ticket, ticket["id"]),
                conversation=session.get(Conversation, later), actor_id=desk.agent.id, now=clock.now(),
            )  # fmt: skip
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["conversation_ids"] == [origin, later]
    history = desk.call("GET", f"/tickets/{ticket['id']}/events").json()
    assert [e["kind"] for e in history].count("conversation_linked") == 1
