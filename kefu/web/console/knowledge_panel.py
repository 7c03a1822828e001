"""The conversation's knowledge side: scripts by `/keyword`, knowledge-base search, and agent assist
(articles and scripts for the customer's latest message, offered without being asked).

Scripts are rendered with the conversation's variables (customer name, tier, agent name, conversation id)
before they reach the page; a variable kefu cannot fill stays visible as `{order_id}` for the agent to
complete. Article text is inserted as plain text (its Markdown source), never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse

from kefu.access.permissions import Permission
from kefu.channels.access import access_conversation_by_public_id
from kefu.channels.models import Conversation
from kefu.core import i18n
from kefu.core.errors import InvalidInput, NotFound
from kefu.customers.access import access_customer_by_id
from kefu.knowledge.articles import search_published
from kefu.knowledge.assist import latest_customer_message, suggest_for_text
from kefu.knowledge.models import Article, Script
from kefu.knowledge.scripts import do_record_script_use, render_script, search_scripts
from kefu.web.console.labels import LABELS
from kefu.web.console.page import Page, PageDep

router = APIRouter(include_in_schema=False)  # included by workspace.router (under /console)
SCRIPTS_SHOWN = 8
ARTICLES_SHOWN = 5
P = Permission
Q = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True, slots=True)
class Answer:
    """An article found for the agent, with the text one click inserts into the reply."""

    id: int
    title: str
    snippet: str
    text: str


def script_variables(conversation: Conversation, customer_name: str, tier: str, agent: str) -> dict[str, str]:
    """What kefu knows to fill in a script (pure); `order_id` and others stay for the agent."""
    return {
        "customer_name": customer_name,
        "customer_tier": tier,
        "agent_name": agent,
        "conversation_id": conversation.public_id,
    }


def _conversation(page: Page, public_id: str) -> Conversation | None:
    assert page.actor is not None
    try:
        return access_conversation_by_public_id(page.session, page.actor, public_id)
    except NotFound:
        return None


def _variables(page: Page, conversation: Conversation) -> dict[str, str]:
    assert page.actor is not None and page.user is not None
    customer = access_customer_by_id(page.session, page.actor, conversation.customer_id)
    word = LABELS["tier"].get(customer.tier, customer.tier)
    tier = i18n.translations(page.language).gettext(word)
    return script_variables(conversation, customer.name, tier, page.user.display_name)


def _language(page: Page, conversation: Conversation) -> str:
    """Scripts in the customer's language when kefu knows it, else in the agent's."""
    customer = access_customer_by_id(page.session, page.actor, conversation.customer_id)  # type: ignore[arg-type]
    return customer.language or page.language


def _script_line(script: Script, variables: dict[str, str]) -> dict[str, Any]:
    return {
        "id": script.id,
        "title": script.title,
        "shortcut": script.shortcut,
        "text": render_script(script.body, variables),
    }


@router.get("/conversations/{public_id}/scripts")
def get_scripts(public_id: str, page: PageDep, q: Q = "") -> Response:
    """Scripts for `/keyword` in the reply box, as JSON (the page shows them with textContent)."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        raise NotFound(f"conversation {public_id} not found")
    variables = _variables(page, conversation)
    scripts = search_scripts(page.session, q, _language(page, conversation), SCRIPTS_SHOWN)
    if not scripts:  # a library kept in one language still helps the other's agents
        scripts = search_scripts(page.session, q, None, SCRIPTS_SHOWN)
    return JSONResponse([_script_line(s, variables) for s in scripts])


@router.post("/scripts/{script_id}/use")
def post_script_use(script_id: int, page: PageDep) -> Response:
    """The agent inserted a script: count the use (the library ranks by it)."""
    if (denied := page.refuse(P.conversations_write)) is not None:
        return denied
    count = do_record_script_use(page.session, script_id, page.actor)
    return JSONResponse({"script_id": script_id, "usage_count": count})


def _answers(page: Page, hits: list[Any]) -> list[Answer]:
    answers = []
    for hit in hits:
        article = page.session.get(Article, hit.id)
        answers.append(Answer(hit.id, hit.title, hit.snippet, article.body if article else hit.snippet))
    return answers


@router.get("/conversations/{public_id}/knowledge", response_class=HTMLResponse)
def get_knowledge(public_id: str, page: PageDep, q: Q = "") -> Response:
    """Knowledge-base search (published articles), each result with an Insert button."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    hits = []
    if q.strip():
        try:
            hits = search_published(page.session, q, None, ARTICLES_SHOWN)
        except InvalidInput:
            hits = []
    return page.render("_kb_results.html", answers=_answers(page, hits), query=q, searched=bool(q.strip()))


@router.get("/conversations/{public_id}/assist", response_class=HTMLResponse)
def get_assist(public_id: str, page: PageDep) -> Response:
    """Suggestions for the customer's latest message; refreshed by the page when the customer writes."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    text = latest_customer_message(page.session, conversation.id) or ""
    found = suggest_for_text(page.session, text, None)
    variables = _variables(page, conversation)
    return page.render(
        "_assist.html",
        answers=_answers(page, found.articles),
        scripts=[_script_line(s, variables) for s in found.scripts],
        asked=bool(text.strip()),
    )
