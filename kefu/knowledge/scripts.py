"""The script library (话术库): canned replies by scenario with {variables}, shortcuts and usage counts.

`render_script` is pure. A variable that is unknown, missing or empty stays in the text as its
placeholder (`{order_id}`), so the agent sees what still has to be filled in before sending; text in
braces that is not a variable name (`{ }`, `{1,2}`, JSON) is left alone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from kefu.core import clock
from kefu.core.errors import Conflict, InvalidInput, NotFound
from kefu.knowledge.lifecycle import parse_language
from kefu.knowledge.models import Script
from kefu.knowledge.search import SearchDoc, SearchHit, SearchIndex

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SHORTCUT = re.compile(r"^[\w\-]{1,40}$")
MAX_TITLE = 200
MAX_BODY = 5000
# The variables kefu fills from a conversation; others may be given by the agent when rendering.
KNOWN_VARIABLES = ("customer_name", "agent_name", "order_id", "customer_tier", "conversation_id")


class Scenario(StrEnum):
    greeting = "greeting"
    product_introduction = "product_introduction"
    objection_handling = "objection_handling"
    complaint_soothing = "complaint_soothing"
    closing = "closing"
    other = "other"


def render_script(body: str, variables: Mapping[str, Any]) -> str:
    """Fill {name} placeholders; unknown, missing or empty ones stay visible as written."""

    def fill(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        if value is None or str(value).strip() == "":
            return match.group(0)
        return str(value)

    return _VARIABLE.sub(fill, body)


def variables_in(body: str) -> list[str]:
    """The variable names a script uses, in first-use order."""
    return list(dict.fromkeys(_VARIABLE.findall(body)))


def parse_shortcut(value: str | None) -> str | None:
    """A shortcut as stored: without the leading slash, lower-case; None or blank means no shortcut."""
    if value is None or not value.strip():
        return None
    shortcut = value.strip().lstrip("/").lower()
    if not _SHORTCUT.match(shortcut):
        raise InvalidInput(
            "shortcut: 1–40 letters, digits, '_' or '-' (typed after '/' in the console)", field="shortcut"
        )
    return shortcut


def parse_scenario(value: str) -> Scenario:
    try:
        return Scenario(value)
    except ValueError:
        allowed = ", ".join(s.value for s in Scenario)
        raise InvalidInput(f"scenario: {value!r} is not one of {allowed}", field="scenario") from None


def _check_text(title: str, body: str) -> tuple[str, str]:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("title: must not be empty", field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title: longer than {MAX_TITLE} characters", field="title")
    if not (body or "").strip():
        raise InvalidInput("body: must not be empty", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"body: longer than {MAX_BODY} characters", field="body")
    return title, body


def _check_shortcut_free(
    session: Session, language: str, shortcut: str | None, script_id: int | None
) -> None:
    if shortcut is None:
        return
    taken = session.scalar(
        select(Script.id).where(
            Script.language == language, Script.shortcut == shortcut, Script.id != (script_id or 0)
        )
    )
    if taken is not None:
        raise Conflict(
            f"shortcut: /{shortcut} is already used by script {taken} in {language}", field="shortcut"
        )


def do_create_script(
    session: Session,
    *,
    scenario: str,
    title: str,
    body: str,
    language: str,
    shortcut: str | None = None,
    created_by: int | None = None,
    now: datetime | None = None,
) -> Script:
    now = now or clock.now()
    title, body = _check_text(title, body)
    language = parse_language(language)
    shortcut = parse_shortcut(shortcut)
    _check_shortcut_free(session, language, shortcut, None)
    script = Script(
        scenario=parse_scenario(scenario).value, title=title, body=body, language=language, shortcut=shortcut,
        usage_count=0, revision=1, created_by=created_by, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(script)
    session.flush()
    return script


def do_update_script(
    session: Session, script: Script, changes: Mapping[str, Any], now: datetime | None = None
) -> Script:
    """Apply the given fields (scenario, title, body, language, shortcut); the revision counts edits."""
    unknown = set(changes) - {"scenario", "title", "body", "language", "shortcut"}
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: cannot be changed", field=sorted(unknown)[0])
    title, body = _check_text(changes.get("title", script.title), changes.get("body", script.body))
    language = parse_language(changes.get("language", script.language))
    shortcut = parse_shortcut(changes["shortcut"]) if "shortcut" in changes else script.shortcut
    _check_shortcut_free(session, language, shortcut, script.id)
    scenario = parse_scenario(changes.get("scenario", script.scenario)).value
    script.title, script.body, script.language, script.shortcut, script.scenario = (
        title, body, language, shortcut, scenario,
    )  # fmt: skip
    script.revision += 1
    script.updated_at = now or clock.now()
    session.flush()
    return script


def do_delete_script(session: Session, script: Script) -> None:
    session.delete(script)
    session.flush()


def script_by_id(session: Session, script_id: int) -> Script:
    script = session.get(Script, script_id)
    if script is None:
        raise NotFound(f"script {script_id} not found", field="script_id")
    return script


def _user_id(user: Any) -> int | None:
    if user is None or isinstance(user, int):
        return user
    return getattr(user, "user_id", None) or getattr(user, "id", None)


def do_record_script_use(session: Session, script_id: int, user: Any = None) -> int:
    """Count one use of a script (an agent inserted it); returns the new usage count. `user` (a User, an
    Actor or an id) is accepted for the audit trail of callers; the count itself is per script."""
    del user  # counted per script; who used it is in the message the agent sends
    counted = session.execute(
        update(Script)
        .where(Script.id == script_id)
        .values(usage_count=Script.usage_count + 1, last_used_at=clock.now())
        .returning(Script.usage_count)
    ).scalar_one_or_none()
    if counted is None:
        raise NotFound(f"script {script_id} not found", field="script_id")
    return counted


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_scripts(
    session: Session, query: str, language: str | None = None, limit: int = 10
) -> list[Script]:
    """Scripts for the console's `/keyword` insertion: shortcut prefix first, then title, then body
    matches; ties by usage (most used first). An empty query lists the most used scripts."""
    if limit < 1:
        raise InvalidInput("limit: must be at least 1", field="limit")
    text = (query or "").strip().lstrip("/").lower()[:100]
    statement = select(Script)
    if language is not None:
        statement = statement.where(Script.language == parse_language(language))
    if not text:
        return list(session.scalars(statement.order_by(Script.usage_count.desc(), Script.id).limit(limit)))
    prefix = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    pattern = _like(text)
    shortcut_hit = Script.shortcut.like(prefix, escape="\\")
    title_hit = func.lower(Script.title).like(pattern, escape="\\")
    body_hit = func.lower(Script.body).like(pattern, escape="\\")
    rank = case((shortcut_hit, 0), (title_hit, 1), else_=2)
    statement = statement.where(or_(shortcut_hit, title_hit, body_hit))
    return list(session.scalars(statement.order_by(rank, Script.usage_count.desc(), Script.id).limit(limit)))


# Suggestions by meaning of a customer message: a small BM25 index over each language's scripts. The
# library is small (hundreds), so its rows are read on each call and compared with the rows the cached
# index was built from; only tokenising is saved, and an edit, a deletion or a wiped table is never missed.
_Stamp = tuple[tuple[int, str, str, str], ...]
_script_indexes: dict[tuple[str, str], tuple[_Stamp, SearchIndex]] = {}
_lock = threading.Lock()


def suggest_scripts(session: Session, text: str, language: str, limit: int = 3) -> list[Script]:
    """Scripts whose title or text best match a customer's message (BM25 over the library)."""
    language = parse_language(language)
    scripts = {s.id: s for s in session.scalars(select(Script).where(Script.language == language))}
    if not scripts:
        return []
    stamp = tuple(sorted((s.id, s.title, s.body, s.scenario) for s in scripts.values()))
    key = (str(session.get_bind().url), language)
    with _lock:
        cached = _script_indexes.get(key)
        if cached is None or cached[0] != stamp:
            docs = [SearchDoc(str(i), title, body, language, scenario) for i, title, body, scenario in stamp]
            cached = (stamp, SearchIndex.build(docs))
            _script_indexes[key] = cached
    hits: list[SearchHit] = cached[1].search(text or "", limit=limit, language=language)
    return [scripts[int(h.doc_id)] for h in hits if int(h.doc_id) in scripts]
