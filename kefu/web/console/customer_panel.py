"""The customer 360 side panel of a conversation: identities (masked per role, the view audited), tier,
tags, open tickets and follow-ups, CSAT history and the timeline across channels.

Loaded after the page (htmx, on load and when a survey is answered), so the conversation page itself
stays fast and the audit entry is written only when the panel is really shown.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from kefu.access.permissions import Permission
from kefu.access.pii import present_profile
from kefu.channels.access import access_conversation_by_public_id
from kefu.core.errors import NotFound
from kefu.customers.access import access_customer_by_id, identities_of
from kefu.customers.timeline import customer_timeline
from kefu.surveys.access import answered_surveys_of
from kefu.tickets.access import open_tickets
from kefu.web.console.page import PageDep
from kefu.web.deps import writes_on_read

router = APIRouter(prefix="/conversations", include_in_schema=False)  # included by workspace.router
TIMELINE_SHOWN = 15


class IdentityLine(BaseModel):
    kind: str
    namespace: str
    value: str


@router.get("/{public_id}/customer", response_class=HTMLResponse)
@writes_on_read
def get_customer_panel(public_id: str, page: PageDep) -> Response:
    if (denied := page.refuse(Permission.conversations_read)) is not None:
        return denied
    try:
        conversation = access_conversation_by_public_id(page.session, page.actor, public_id)
        customer = access_customer_by_id(page.session, page.actor, conversation.customer_id)
    except NotFound:
        return page.render("not_found.html", status_code=404)
    identities = [
        IdentityLine(kind=i.kind, namespace=i.namespace, value=i.value)
        for i in identities_of(page.session, customer.id)
    ]
    shown = present_profile(page.session, page.actor, customer.id, identities)  # masked per role; audited
    timeline = customer_timeline(page.session, page.actor, customer.id)
    return page.render(
        "_customer_panel.html",
        conversation=conversation,
        customer=customer,
        identities=shown,
        tickets=open_tickets(page.session, page.actor, limit=10, customer_id=customer.id),
        follow_ups=[item for item in timeline if item.kind == "follow_up"],
        surveys=answered_surveys_of(page.session, customer.id),
        timeline=[item for item in timeline if item.kind in ("conversation", "ticket")][:TIMELINE_SHOWN],
    )
