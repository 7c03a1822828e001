"""The bot over the REST API: intents and examples, training, channel switches (`bot:manage`); a
conversation's bot_handoff record (`conversations:read`); measures over a period (`reports:read`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from kefu.access.actor import Actor
from kefu.access.permissions import Permission
from kefu.bot import access, actions
from kefu.bot.embedding import DEFAULT_MODEL, EmbeddingUnavailableError, SentenceEmbedder
from kefu.bot.intents_csv import IntentCsvError, parse_intent_csv
from kefu.bot.measures import measure, measure_by_intent
from kefu.channels.gateway import raw_body
from kefu.core import clock
from kefu.core.errors import InvalidInput
from kefu.web.deps import SessionDep, require

router = APIRouter(prefix="/bot", tags=["bot"])
Manage = Annotated[Actor, require(Permission.bot_manage)]
IntentName = Annotated[str, Path(min_length=1, max_length=actions.MAX_NAME)]
MAX_PERIOD = timedelta(days=366)


class IntentIn(BaseModel):
    answer_kind: Literal["article", "script", "text", "handoff"] = Field(
        description="article / script (by id), text (answer_zh, answer_en), handoff (to queue_code)"
    )
    article_id: int | None = None
    script_id: int | None = None
    answer_zh: str | None = Field(default=None, max_length=actions.MAX_ANSWER_CHARS)
    answer_en: str | None = Field(default=None, max_length=actions.MAX_ANSWER_CHARS)
    queue_code: str | None = Field(
        default=None,
        max_length=60,
        description="routing queue of this intent's handoffs (else the channel's)",
    )


class IntentOut(BaseModel):
    name: str
    answer_kind: str
    article_id: int | None
    script_id: int | None
    answer_zh: str | None
    answer_en: str | None
    queue_code: str | None
    examples: int


class ImportOut(BaseModel):
    intents_created: int
    examples_added: int
    examples_skipped: int
    model: dict[str, Any] | None = None


class ChannelIn(BaseModel):
    enabled: bool


def _embedder(model: str) -> SentenceEmbedder | None:
    if model == "none":
        return None
    try:
        return SentenceEmbedder(DEFAULT_MODEL if model == "auto" else model)
    except EmbeddingUnavailableError as error:
        if model == "auto":
            return None
        raise InvalidInput(f"model: {error}", field="model") from error


ModelChoice = Annotated[
    str,
    Query(
        max_length=200,
        description=f"'none' (lexical features), 'auto' ({DEFAULT_MODEL} when installed) or a model name",
    ),
]


@router.get("/intents", response_model=list[IntentOut])
def get_intents(session: SessionDep, actor: Manage) -> list[IntentOut]:
    return [IntentOut(**asdict(view)) for view in access.list_intents(session)]


@router.put("/intents/{name}", response_model=IntentOut)
def put_intent(name: IntentName, body: IntentIn, session: SessionDep, actor: Manage) -> IntentOut:
    actions.check_save_intent(session, name=name, **body.model_dump())
    return IntentOut(**asdict(access.intent_view(session, name.strip())))


@router.delete("/intents/{name}", status_code=204)
def delete_intent(name: IntentName, session: SessionDep, actor: Manage) -> None:
    actions.do_delete_intent(session, name)


@router.post("/intents/import", response_model=ImportOut)
def import_examples(
    session: SessionDep,
    actor: Manage,
    body: Annotated[bytes, Depends(raw_body)],
    train: Annotated[bool, Query(description="train and deploy the bot on all examples afterwards")] = False,
    model: ModelChoice = "none",
) -> ImportOut:
    """The body is an intent CSV (`text,intent`; UTF-8 or GB18030); a bad file is refused whole with
    the line and reason."""
    try:
        examples = parse_intent_csv(body)
    except IntentCsvError as error:
        raise InvalidInput(str(error), field="csv") from error
    result = actions.do_import_examples(session, examples)
    deployed = None
    if train:
        trained = actions.do_train_deployed(session, _embedder(model), trained_by_id=actor.user_id)
        deployed = access.model_view(trained)
    return ImportOut(**asdict(result), model=deployed)


@router.post("/train")
def train(session: SessionDep, actor: Manage, model: ModelChoice = "none") -> dict[str, Any]:
    """Train on every stored example and deploy: every server process answers with it from its next turn."""
    return access.model_view(
        actions.do_train_deployed(session, _embedder(model), trained_by_id=actor.user_id)
    )


@router.get("/model")
def get_model(session: SessionDep, actor: Manage) -> dict[str, Any]:
    return {"deployed": access.deployed_model(session)}


@router.get("/channels")
def get_channels(session: SessionDep, actor: Manage) -> dict[str, bool]:
    return access.channel_switches(session)


@router.put("/channels/{channel}")
def put_channel(channel: str, body: ChannelIn, session: SessionDep, actor: Manage) -> dict[str, bool]:
    actions.check_set_channel(session, channel, body.enabled)
    return access.channel_switches(session)


@router.get("/conversations/{public_id}/handoff")
def get_handoff(
    public_id: str, session: SessionDep, actor: Annotated[Actor, require(Permission.conversations_read)]
) -> dict[str, Any]:
    """What the bot knew when it handed off: reason, intent, confidence, sentiment, transcript."""
    return access.access_handoff(session, actor, public_id)


@router.get("/measures")
def get_measures(
    session: SessionDep,
    actor: Annotated[Actor, require(Permission.reports_read)],
    start: Annotated[
        datetime | None, Query(description="ISO time with zone; default 7 days before end")
    ] = None,
    end: Annotated[datetime | None, Query(description="ISO time with zone; default now")] = None,
) -> dict[str, Any]:
    """containment, handoff rate with reasons, fallback rate — overall and per intent — over bot
    conversations started in [start, end)."""
    end = end or clock.now()
    start = start or end - timedelta(days=7)
    for field, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise InvalidInput(f"{field}: give a time zone (e.g. 2026-01-01T00:00:00+08:00)", field=field)
    if not start < end or end - start > MAX_PERIOD:
        raise InvalidInput("start: must be before end, at most 366 days apart", field="start")
    outcomes = access.bot_outcomes(session, start, end)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "overall": _measures(measure(outcomes)),
        "per_intent": [_measures(row) for row in measure_by_intent(outcomes)],
    }


def _measures(row: Any) -> dict[str, Any]:
    values = asdict(row)
    for key in ("containment", "handoff_rate", "fallback_rate"):
        values[key] = round(values[key], 4)
    return values
