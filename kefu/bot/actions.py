"""The bot's writers: intents and examples, training and deploying the classifier, per-channel switches,
and the live bot's turn in a conversation — answer, offer choices, or hand off to routing (bot_handoff).

The bot never runs inside message intake: intake commits the customer's message, and the bot worker
(`kefu.bot.worker`) reacts to the committed message with `do_bot_turns`, in its own transaction.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from kefu.bot.classifier import ClassifierInputError, FeatureEmbedder, IntentClassifier, IntentPrediction
from kefu.bot.dialogue import (
    N_,
    article_answer,
    intent_label,
    literal_answer,
    reply_language,
    state_from_json,
    state_to_json,
)
from kefu.bot.intents_csv import IntentExample
from kefu.bot.models import BotChannel, BotConversation, BotExample, BotIntent, BotModel
from kefu.bot.policy import Action, BotDecision, PolicyConfig, Prompt, decide
from kefu.channels.actions import do_add_message
from kefu.channels.assignment import do_end_conversation, do_enqueue_conversation
from kefu.channels.kinds import Channel, ConversationStatus, Sender
from kefu.channels.models import Conversation, Message
from kefu.channels.webhooks import do_queue_webhook
from kefu.core import clock
from kefu.core.errors import InvalidInput, NotFound
from kefu.core.events import Event, send_event_on_commit
from kefu.core.i18n import translations
from kefu.customers.models import Customer, CustomerIdentity
from kefu.knowledge.models import Article, Script
from kefu.knowledge.scripts import do_record_script_use, render_script

log = logging.getLogger(__name__)

# Channels where the bot may answer first; voice and e-mail never (a caller or a letter needs a person).
BOT_CHANNELS = frozenset({Channel.webchat, Channel.app, Channel.social, Channel.api})
ANSWER_KINDS = ("article", "script", "text", "handoff")
MAX_MESSAGES_PER_TURN = 20  # a flood of unread messages is answered for the latest ones only
MAX_NAME = 120
MAX_ANSWER_CHARS = 4000
AGENT_JOINED = "agent_joined"  # handoff reason when a person wrote to a bot conversation directly
PUBLISHED = "published"  # only published KB articles answer customers

PROMPT_TEXT = {
    Prompt.EMPTY: N_("Please type your question."),
    Prompt.UNREADABLE: N_("Sorry, I could not read that message. Could you type your question in words?"),
    Prompt.NO_WORDS: N_("Could you tell me your question in a few words?"),
    Prompt.CHOOSE: N_("I am not sure I understood. Did you mean one of these? Reply with its number:"),
}
HANDOFF_TEXT = N_("I am passing you to a customer service agent, who will see our conversation so far.")
NO_ANSWER_TEXT = N_("Sorry, I have no answer to that yet.")


# ---------------------------------------------------------------- intents and examples


def check_save_intent(
    session: Session,
    *,
    name: str,
    answer_kind: str,
    article_id: int | None = None,
    script_id: int | None = None,
    answer_zh: str | None = None,
    answer_en: str | None = None,
    queue_code: str | None = None,
) -> BotIntent:
    """Create or change an intent's answer; the answer must be complete for its kind."""
    name = _intent_name(name)
    if answer_kind not in ANSWER_KINDS:
        raise InvalidInput(f"answer_kind: one of {', '.join(ANSWER_KINDS)}", field="answer_kind")
    if answer_kind == "article":
        if article_id is None or session.get(Article, article_id) is None:
            raise InvalidInput(f"article_id: no article {article_id}", field="article_id")
    if answer_kind == "script":
        if script_id is None or session.get(Script, script_id) is None:
            raise InvalidInput(f"script_id: no script {script_id}", field="script_id")
    if answer_kind == "text" and not ((answer_zh or "").strip() or (answer_en or "").strip()):
        raise InvalidInput("answer_zh: write the answer in Chinese, English or both", field="answer_zh")
    for field, text in (("answer_zh", answer_zh), ("answer_en", answer_en)):
        if text is not None and len(text) > MAX_ANSWER_CHARS:
            raise InvalidInput(f"{field}: at most {MAX_ANSWER_CHARS} characters", field=field)
    if answer_kind == "handoff" and not queue_code:
        raise InvalidInput("queue_code: a handoff intent names its routing queue", field="queue_code")
    if queue_code is not None and not _queue_exists(session, queue_code):
        raise InvalidInput(f"queue_code: unknown queue {queue_code!r}", field="queue_code")
    intent = session.scalar(select(BotIntent).where(BotIntent.name == name)) or _new_intent(session, name)
    intent.answer_kind, intent.article_id, intent.script_id = answer_kind, article_id, script_id
    intent.answer_zh, intent.answer_en, intent.queue_code = answer_zh, answer_en, queue_code
    intent.updated_at = clock.now()
    session.flush()
    return intent


def do_delete_intent(session: Session, name: str) -> None:
    intent = session.scalar(select(BotIntent).where(BotIntent.name == name))
    if intent is None:
        raise NotFound(f"intent {name!r} not found", field="name")
    session.execute(delete(BotExample).where(BotExample.intent_id == intent.id))
    session.delete(intent)


@dataclass(frozen=True)
class ImportResult:
    intents_created: int
    examples_added: int
    examples_skipped: int  # already stored for the same intent


def do_import_examples(session: Session, examples: Sequence[IntentExample]) -> ImportResult:
    """Add example utterances (from an intent CSV); unknown intents are created without an answer
    (the bot hands those off until the centre writes one)."""
    intents = {i.name: i for i in session.scalars(select(BotIntent))}
    created = added = skipped = 0
    seen = {
        (intent_id, text)
        for intent_id, text in session.execute(select(BotExample.intent_id, BotExample.text))
    }
    for example in examples:
        name = _intent_name(example.intent)
        if name not in intents:
            intents[name] = _new_intent(session, name)
            created += 1
        key = (intents[name].id, example.text)
        if key in seen:
            skipped += 1
            continue
        seen.add(key)
        session.add(BotExample(intent_id=intents[name].id, text=example.text))
        added += 1
    session.flush()
    return ImportResult(created, added, skipped)


def stored_examples(session: Session) -> list[IntentExample]:
    rows = session.execute(select(BotExample.text, BotIntent.name).join(BotIntent).order_by(BotExample.id))
    return [IntentExample(text, name) for text, name in rows]


def _new_intent(session: Session, name: str) -> BotIntent:
    now = clock.now()
    intent = BotIntent(name=name, answer_kind="text", created_at=now, updated_at=now)
    session.add(intent)
    session.flush()
    return intent


def _intent_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"name: 1-{MAX_NAME} characters", field="name")
    return name


def _queue_exists(session: Session, code: str) -> bool:
    from kefu.routing.models import Queue

    return session.scalar(select(Queue.id).where(Queue.code == code)) is not None


# ---------------------------------------------------------------- training and the deployed model


def train_classifier(
    examples: Sequence[IntentExample], embedder: FeatureEmbedder | None = None
) -> tuple[IntentClassifier, float]:
    """A fresh classifier on `examples` and its training time in seconds (no database)."""
    started = time.perf_counter()
    try:
        classifier = IntentClassifier(embedder=embedder).fit(examples)
    except ClassifierInputError as error:
        field, _, _ = str(error).partition(":")
        raise InvalidInput(str(error), field=field or "examples") from error
    return classifier, time.perf_counter() - started


def do_deploy_classifier(
    session: Session,
    classifier: IntentClassifier,
    *,
    examples: int,
    fit_seconds: float,
    trained_by_id: int | None = None,
) -> BotModel:
    """Store the classifier as the deployed bot; every process switches to it at its next turn."""
    session.execute(update(BotModel).where(BotModel.active.is_(True)).values(active=False))
    embedder = getattr(classifier, "embedder", None)
    model = BotModel(
        active=True,
        blob=pickle.dumps(classifier),
        intents=len(classifier.intents),
        examples=examples,
        threshold=float(classifier.threshold),
        features=getattr(embedder, "model_name", None) or "lexical",
        fit_seconds=round(fit_seconds, 3),
        trained_by_id=trained_by_id,
        created_at=clock.now(),
    )
    session.add(model)
    session.flush()
    send_event_on_commit(session, Event("bot.deployed", {"model": model.id}, recipients=()))
    return model


def do_train_deployed(
    session: Session, embedder: FeatureEmbedder | None = None, trained_by_id: int | None = None
) -> BotModel:
    """Train on every stored example and deploy the result."""
    examples = stored_examples(session)
    if not examples:
        raise InvalidInput("examples: import example utterances before training", field="examples")
    classifier, seconds = train_classifier(examples, embedder)
    return do_deploy_classifier(
        session, classifier, examples=len(examples), fit_seconds=seconds, trained_by_id=trained_by_id
    )


class _Deployed:
    """The active classifier of this process, loaded once per deployed model id (pickles are kefu's own:
    written only by `do_deploy_classifier`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model_id: int | None = None
        self._classifier: IntentClassifier | None = None

    def current(self, session: Session) -> IntentClassifier | None:
        model_id = session.scalar(select(BotModel.id).where(BotModel.active.is_(True)).limit(1))
        if model_id is None:
            return None
        with self._lock:
            if model_id != self._model_id:
                blob = session.scalar(select(BotModel.blob).where(BotModel.id == model_id))
                self._classifier, self._model_id = pickle.loads(blob), model_id  # noqa: S301 - our own rows
            return self._classifier


deployed = _Deployed()


def active_model_id(session: Session) -> int | None:
    return session.scalar(select(BotModel.id).where(BotModel.active.is_(True)).limit(1))


# ---------------------------------------------------------------- channels


def check_set_channel(session: Session, channel: str, enabled: bool) -> BotChannel:
    try:
        kind = Channel(channel)
    except ValueError:
        kind = None
    if kind not in BOT_CHANNELS:
        allowed = ", ".join(sorted(c.value for c in BOT_CHANNELS))
        raise InvalidInput(f"channel: the bot answers only on {allowed}", field="channel")
    row = session.get(BotChannel, channel) or BotChannel(channel=channel)
    row.enabled = enabled
    session.add(row)
    session.flush()
    return row


def channel_enabled(session: Session, channel: str) -> bool:
    if channel not in BOT_CHANNELS:
        return False
    enabled = session.scalar(select(BotChannel.enabled).where(BotChannel.channel == channel))
    return True if enabled is None else bool(enabled)


def bot_takes_conversation(session: Session, conversation: Conversation) -> bool:
    """The gate of a new conversation (kefu.channels.assignment): the bot answers first when it is on
    for the channel and a classifier is deployed; it then keeps its own record of the conversation."""
    if conversation.channel not in BOT_CHANNELS or active_model_id(session) is None:
        return False
    if not channel_enabled(session, conversation.channel):
        return False
    session.add(
        BotConversation(
            conversation_id=conversation.id,
            channel=conversation.channel,
            started_at=conversation.started_at,
            last_message_id=0,
            state={},
            transcript=[],
            bot_turns=0,
            fallback_turns=0,
        )
    )
    return True


# ---------------------------------------------------------------- the live bot


@dataclass(frozen=True)
class TurnResult:
    taken: bool  # False: not (or no longer) the bot's conversation
    replies: int = 0
    handed_off: bool = False
    webhooks: int = 0  # deliveries queued for a gateway channel (the caller sends them after commit)


def _agent_spoke(session: Session, conversation_id: int) -> bool:
    """Whether a person has written to the customer in this conversation (internal notes do not count)."""
    return (
        session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == conversation_id,
                Message.sender == Sender.agent.value,
                Message.is_internal.is_(False),
            )
            .limit(1)
        )
        is not None
    )


def bot_turn_due(session: Session, conversation_id: int) -> bool | None:
    """A read before any write: None when the conversation is not (or no longer) the bot's, else
    whether a customer message is waiting for the bot."""
    row = session.execute(
        select(Conversation.status, Conversation.agent_id, BotConversation.last_message_id)
        .join(BotConversation, BotConversation.conversation_id == Conversation.id)
        .where(Conversation.id == conversation_id, BotConversation.handoff_reason.is_(None))
    ).first()
    if row is None or row.status != ConversationStatus.bot.value or row.agent_id is not None:
        return None
    if _agent_spoke(session, conversation_id):
        return True  # the turn records that a person joined, and the bot stays silent
    newest = session.scalar(
        select(func.max(Message.id)).where(
            Message.conversation_id == conversation_id, Message.sender == Sender.customer.value
        )
    )
    return newest is not None and newest > row.last_message_id


def do_bot_turns(
    session: Session, conversation_id: int, webhook_targets: dict[str, str] | None = None
) -> TurnResult:
    """Read the customer's unread messages in a bot conversation and answer each, in one transaction.

    Only a conversation in status `bot` with no agent is touched: the bot never speaks once a person
    owns the conversation. Several processes may try the same turn; the compare-and-set on the
    conversation's `last_message_id` lets exactly one of them write.
    """
    conversation = session.get(Conversation, conversation_id)
    record = session.get(BotConversation, conversation_id)
    if (
        conversation is None
        or record is None
        or conversation.status != ConversationStatus.bot.value
        or conversation.agent_id is not None
        or record.handoff_reason is not None
    ):
        return TurnResult(taken=False)
    if _agent_spoke(session, conversation_id):
        # A person wrote in the conversation (from the console) without routing: it is theirs now.
        record.handoff_reason, record.handed_off_at = AGENT_JOINED, clock.now()
        return TurnResult(taken=False)
    unread = session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.id > record.last_message_id,
            Message.sender == Sender.customer.value,
        )
        .order_by(Message.id)
    ).all()
    if not unread:
        return TurnResult(taken=True)
    claimed = session.execute(
        update(BotConversation)
        .where(
            BotConversation.conversation_id == conversation_id,
            BotConversation.last_message_id == record.last_message_id,
        )
        .values(last_message_id=unread[-1].id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return TurnResult(taken=True)  # another process took this turn
    session.refresh(record)
    classifier = deployed.current(session)
    if classifier is None:  # the model was withdrawn: a person takes over
        return _finish(session, conversation, record, [], None, webhook_targets)
    customer = session.get(Customer, conversation.customer_id)
    turn = _Turn(session, conversation, record, classifier, customer.language if customer else None)
    for message in unread[-MAX_MESSAGES_PER_TURN:]:
        turn.take(message.body)
        if turn.handoff is not None:
            break
    return _finish(session, conversation, record, turn.replies, turn.handoff, webhook_targets)


class _Turn:
    """The policy applied to each unread message, collecting the replies and the handoff."""

    def __init__(
        self,
        session: Session,
        conversation: Conversation,
        record: BotConversation,
        classifier: IntentClassifier,
        customer_language: str | None,
    ) -> None:
        self.session, self.conversation, self.record = session, conversation, record
        self.classifier = classifier
        self.customer_language = customer_language
        self.intents = {i.name: i for i in session.scalars(select(BotIntent))}
        known = set(classifier.intents)
        self.config = PolicyConfig(handoff_intents=frozenset(n for n in known if not self._answerable(n)))
        self.state = state_from_json(record.state)
        self.replies: list[str] = []
        self.handoff: BotDecision | None = None
        self.prediction: IntentPrediction | None = None

    def classify(self, text: str) -> IntentPrediction:
        self.prediction = self.classifier.predict(text)
        return self.prediction

    def take(self, body: str) -> None:
        language = reply_language(body, self.customer_language)
        self.prediction = None
        decision = decide(self.state, body, self.classify, self.config)
        self.state = decision.state
        record = self.record
        record.transcript = [*record.transcript, _line("customer", body[:2000])]
        record.sentiment, record.sentiment_label = decision.sentiment.score, decision.sentiment.label
        if decision.intent is not None:
            record.intent = decision.intent
        if self.prediction is not None:  # classified this turn (a handoff keeps the last confidence)
            record.confidence = round(self.prediction.confidence, 4)
        elif decision.action is Action.ANSWER:  # a choice the customer picked
            record.confidence = round(decision.confidence, 4)
        text = self._reply_text(decision, language)
        record.transcript = [
            *record.transcript,
            _line("bot", text, decision.intent, decision.action.value, record.confidence),
        ]
        record.state = state_to_json(self.state)
        record.bot_turns, record.fallback_turns = self.state.bot_turns, self.state.fallback_turns
        self.replies.append(text)
        if decision.action is Action.HANDOFF:
            self.handoff = decision

    def _reply_text(self, decision: BotDecision, language: str) -> str:
        gettext = translations(language).gettext
        if decision.action is Action.ANSWER and decision.intent is not None:
            return self._answer(decision.intent, language) or gettext(NO_ANSWER_TEXT)
        if decision.action is Action.HANDOFF:
            return gettext(HANDOFF_TEXT)
        prompt = gettext(PROMPT_TEXT[decision.prompt or Prompt.NO_WORDS])
        if decision.choices:
            lines = [f"{n}. {self._label(intent, language)}" for n, intent in enumerate(decision.choices, 1)]
            return "\n".join([prompt, *lines])
        return prompt

    def _answerable(self, name: str) -> bool:
        """Whether the intent has an answer at all (cheap: scripts are rendered only when answering)."""
        intent = self.intents.get(name)
        if intent is None or intent.answer_kind == "handoff":
            return False
        if intent.answer_kind == "article":
            article = self.session.get(Article, intent.article_id) if intent.article_id else None
            return article is not None and article.status == PUBLISHED
        if intent.answer_kind == "script":
            return intent.script_id is not None and self.session.get(Script, intent.script_id) is not None
        return literal_answer(intent.answer_zh, intent.answer_en, "zh_CN") is not None

    def _label(self, name: str, language: str) -> str:
        intent = self.intents.get(name)
        if intent is not None and intent.answer_kind == "article" and intent.article_id is not None:
            article = self.session.get(Article, intent.article_id)
            if article is not None:
                return article.title
        return intent_label(name)

    def _answer(self, name: str, language: str) -> str | None:
        """The intent's answer text, or None when the intent hands off (or has no usable answer)."""
        intent = self.intents.get(name)
        if intent is None or intent.answer_kind == "handoff":
            return None
        if intent.answer_kind == "article" and intent.article_id is not None:
            article = self.session.get(Article, intent.article_id)
            if article is None or article.status != PUBLISHED:
                return None
            return article_answer(article.title, article.body)
        if intent.answer_kind == "script" and intent.script_id is not None:
            return _script_answer(self.session, intent.script_id, self.conversation)
        return literal_answer(intent.answer_zh, intent.answer_en, language)


def _script_answer(session: Session, script_id: int, conversation: Conversation) -> str | None:
    """A script of the library (话术) with the customer's name filled in; the use is counted."""
    script = session.get(Script, script_id)
    if script is None:
        return None
    text = render_script(script.body, {"customer_name": _customer_name(session, conversation.customer_id)})
    do_record_script_use(session, script_id)
    return text.strip() or None


def _customer_name(session: Session, customer_id: int) -> str:
    """The customer's name, unless it is only the identity they were first known by (a visitor id)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return ""
    identities = session.scalars(
        select(CustomerIdentity.value).where(CustomerIdentity.customer_id == customer_id)
    ).all()
    return "" if customer.name in identities else customer.name


def _line(
    role: str,
    text: str,
    intent: str | None = None,
    action: str | None = None,
    confidence: float | None = None,
) -> dict[str, object]:
    return {
        "role": role,
        "text": text,
        "intent": intent,
        "action": action,
        "confidence": confidence,
        "at": clock.now().isoformat(),
    }


def _finish(
    session: Session,
    conversation: Conversation,
    record: BotConversation,
    replies: list[str],
    handoff: BotDecision | None,
    webhook_targets: dict[str, str] | None,
) -> TurnResult:
    webhooks = 0
    url = (webhook_targets or {}).get(conversation.channel)
    for text in replies:
        message = do_add_message(session, conversation, sender=Sender.bot, body=text)
        if url and conversation.channel != Channel.webchat.value:
            do_queue_webhook(session, message=message, conversation=conversation, url=url)
            webhooks += 1
    if handoff is not None or not replies:
        _hand_off(session, conversation, record, handoff)
    return TurnResult(True, len(replies), handoff is not None or not replies, webhooks)


def _hand_off(
    session: Session, conversation: Conversation, record: BotConversation, decision: BotDecision | None
) -> None:
    """bot_handoff: the conversation enters the queue its intent names (else its channel's), with the
    reason, intent, confidence, sentiment and transcript kept on the bot's record for the console."""
    now = clock.now()
    reason = decision.handoff.reason.value if decision and decision.handoff else "no_model"
    intent = (
        session.scalar(select(BotIntent).where(BotIntent.name == record.intent)) if record.intent else None
    )
    conversation.status = ConversationStatus.queued.value
    conversation.queued_at = now
    entry = do_enqueue_conversation(session, conversation, now, intent.queue_code if intent else None)
    record.handoff_reason, record.handed_off_at = reason, now
    record.handoff_queue = _queue_code(session, entry.queue_id) if entry is not None else None
    send_event_on_commit(
        session,
        Event(
            "bot.handoff",
            {
                "conversation_id": conversation.id,
                "reason": reason,
                "intent": record.intent,
                "queue": record.handoff_queue,
            },
        ),
    )


def _queue_code(session: Session, queue_id: int) -> str | None:
    from kefu.routing.models import Queue

    return session.scalar(select(Queue.code).where(Queue.id == queue_id))


# ---------------------------------------------------------------- idle bot conversations


def do_end_idle_conversations(session: Session, idle: timedelta, now: datetime | None = None) -> int:
    """End bot conversations whose customer has said nothing for `idle` (the bot contained them, unless
    they come back within a day); returns how many ended."""
    now = now or clock.now()
    recent = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id, Message.created_at > now - idle)
        .exists()
    )
    rows = session.scalars(
        select(Conversation)
        .where(
            Conversation.status == ConversationStatus.bot.value,
            Conversation.agent_id.is_(None),
            Conversation.started_at <= now - idle,
            ~recent,
            ~select(Message.id)
            .where(Message.conversation_id == Conversation.id, Message.sender == Sender.agent.value)
            .exists(),
        )
        .limit(500)
    ).all()
    for conversation in rows:
        do_end_conversation(session, conversation, now)
    return len(rows)


def bot_conversation_ids(session: Session) -> list[int]:
    """Conversations the bot holds now (the worker looks at them on start, in case it missed a message)."""
    return list(
        session.scalars(
            select(Conversation.id).where(
                Conversation.status == ConversationStatus.bot.value, Conversation.agent_id.is_(None)
            )
        )
    )
