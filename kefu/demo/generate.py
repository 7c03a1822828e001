"""Generate the demo centre as plain rows (pure: a seeded generator and an anchor date in, rows out).

The same seed and anchor give the same rows, byte for byte. Volume follows a day curve (quiet nights,
late-morning and afternoon peaks, an evening bump) and weekends run at about 60 %.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kefu.demo import vocabulary as v
from kefu.knowledge.search import SearchDoc, stored_doc

DEMO_PASSWORD = "kefu-demo"
DAYS = 30
CUSTOMERS = 500
AGENTS = 20
CONVERSATIONS_PER_WEEKDAY = 125
# Relative contact volume per hour of the day in the centre's time zone (Asia/Shanghai, UTC+8).
HOURLY_WEIGHT = [
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    0.8,
    1.6,
    2.4,
    2.8,
    2.6,
    1.6,
    2.0,
    2.6,
    2.7,
    2.4,
    2.0,
    1.5,
    1.6,
    1.8,
    1.5,
    0.9,
    0.4,
]
CENTRE_UTC_OFFSET = timedelta(hours=8)
CHANNEL_MIX = [("webchat", 0.42), ("voice", 0.33), ("email", 0.19), ("app", 0.04), ("social", 0.02)]
TIER_MIX = [("new", 0.2), ("active", 0.55), ("high_value", 0.18), ("vip", 0.07)]
TICKET_TYPE_MIX = [
    ("inquiry", 0.33),
    ("complaint", 0.2),
    ("suggestion", 0.1),
    ("repair", 0.21),
    ("refund", 0.16),
]


@dataclass
class DemoData:
    """Rows per table, in an order that satisfies foreign keys."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, password)

    def add(self, table: str, row: dict[str, Any], numbered: bool = True) -> dict[str, Any]:
        """Append a row; numbered rows get the next id, so rows can refer to each other before loading."""
        rows = self.tables.setdefault(table, [])
        if numbered:
            row.setdefault("id", len(rows) + 1)
        rows.append(row)
        return row


def _pick(rng: random.Random, mix: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def _public_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def generate(anchor: date, seed: int = 2026, password_hash: str = "") -> DemoData:
    """Build the centre whose 30 days of history end at `anchor` (UTC midnight)."""
    rng = random.Random(seed)
    data = DemoData()
    end = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    start = end - timedelta(days=DAYS)
    _organisation(data, rng, start, password_hash)
    _customers(data, rng, start)
    _history(data, rng, start)
    _knowledge(data, rng, start, end)
    return data


def _person(rng: random.Random, english: bool) -> str:
    if english:
        return f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}"
    return rng.choice(v.SURNAMES) + rng.choice(v.GIVEN)


def _organisation(data: DemoData, rng: random.Random, start: datetime, password_hash: str) -> None:
    for code, name in v.DEPARTMENTS:
        data.add("departments", {"code": code, "name": name})
    for code, name, kind in v.SKILLS:
        data.add("skills", {"code": code, "name": name, "kind": kind})
    skill_ids = {code: i + 1 for i, (code, _, _) in enumerate(v.SKILLS)}

    def user(username: str, role: str, team_id: int | None, english: bool = False) -> dict[str, Any]:
        data.logins.append((username, role, DEMO_PASSWORD))
        return data.add(
            "users",
            {
                "username": username,
                "display_name": _person(rng, english),
                "email": f"{username}@demo.kefu.local",
                "role": role,
                "team_id": team_id,
                "password_hash": password_hash,
                "must_change_password": False,
                "is_active": True,
                "language": "en" if english else "zh_CN",
                "session_version": 1,
                "created_at": start - timedelta(days=90),
            },
        )

    user("admin", "admin", None)
    user("supervisor", "supervisor", None)
    user("qa", "qa_specialist", None)
    user("trainer", "trainer", None, english=True)
    for team_index, (code, name) in enumerate(v.TEAMS, start=1):
        team = data.add("teams", {"code": code, "name": name, "lead_id": None})
        lead = user(f"lead{team_index}", "team_lead", team["id"])
        team["lead_id"] = lead["id"]
    for n in range(1, AGENTS + 1):
        team_id = (n - 1) % len(v.TEAMS) + 1
        agent = user(f"agent{n:02d}", "agent", team_id, english=n % 7 == 0)
        languages = ["zh_CN", "en"] if n % 4 == 0 or n % 7 == 0 else ["zh_CN"]
        data.add(
            "agent_profiles",
            {
                "user_id": agent["id"],
                "languages": languages,
                "channel_capacity": {"voice": 1, "webchat": 3, "email": 5, "app": 3, "social": 3},
                "max_concurrent": 5,
                "is_reserve": n > AGENTS - 2,
                "quality_score": round(rng.uniform(72, 98), 1),
            },
        )
        for code in rng.sample([c for c, _, k in v.SKILLS if k != "language"], 4) + ["lang_zh"]:
            data.add(
                "agent_skills",
                {"user_id": agent["id"], "skill_id": skill_ids[code], "level": rng.randint(1, 5)},
                numbered=False,
            )
        if "en" in languages:
            data.add(
                "agent_skills",
                {"user_id": agent["id"], "skill_id": skill_ids["lang_en"], "level": rng.randint(3, 5)},
                numbered=False,
            )
    for code, name, channel, language, strategy, skills in v.QUEUES:
        data.add(
            "queues",
            {
                "code": code,
                "name": name,
                "channel": channel,
                "language": language,
                "strategy": strategy,
                "required_skills": [{"skill": s, "min_level": lvl} for s, lvl in skills],
                "overflow_steps": [{"after_seconds": 60, "min_level": 1, "teams": []}],
                "sticky": {"dedicated_agent_wait": 30, "last_agent_wait": 0},
                "requires_acceptance": False,
                "team_id": None,
            },
        )


def _customers(data: DemoData, rng: random.Random, start: datetime) -> None:
    agents = [u["id"] for u in data.tables["users"] if u["role"] == "agent"]
    for n in range(1, CUSTOMERS + 1):
        english = rng.random() < 0.15
        tier = _pick(rng, TIER_MIX)
        value = {"new": 0, "active": 800, "high_value": 12000, "vip": 60000}[tier] * rng.uniform(0.5, 1.5)
        created = start - timedelta(
            days=rng.randint(0 if tier == "new" else 40, 20 if tier == "new" else 900)
        )
        customer = data.add(
            "customers",
            {
                "name": _person(rng, english),
                "tier": tier,
                "lifetime_value": round(value, 2),
                "tags": rng.sample(
                    ["会员 member", "企业 business", "学生 student", "海外 overseas"], rng.randint(0, 2)
                ),
                "language": "en" if english else "zh_CN",
                "dedicated_agent_id": rng.choice(agents) if tier == "vip" else None,
                "merged_into_id": None,
                "created_at": created,
                "last_contact_at": None,
            },
        )
        cid = customer["id"]
        data.add(
            "customer_identities",
            {
                "customer_id": cid,
                "kind": "email",
                "namespace": "",
                "value": f"customer{n:04d}@example.com",
                "created_at": created,
            },
        )
        if rng.random() < 0.8:
            data.add(
                "customer_identities",
                {
                    "customer_id": cid,
                    "kind": "phone",
                    "namespace": "",
                    "value": f"+86138{n:08d}",
                    "created_at": created,
                },
            )
        if rng.random() < 0.5:
            data.add(
                "customer_identities",
                {
                    "customer_id": cid,
                    "kind": "visitor",
                    "namespace": "",
                    "value": _public_id(rng),
                    "created_at": created,
                },
            )
        if rng.random() < 0.3:
            data.add(
                "customer_identities",
                {
                    "customer_id": cid,
                    "kind": "external",
                    "namespace": "wechat",
                    "value": f"wx_{_public_id(rng)[:20]}",
                    "created_at": created,
                },
            )


def _contact_times(rng: random.Random, start: datetime) -> list[datetime]:
    """Arrival instants over the 30 days, shaped by the day curve and the weekday."""
    instants = []
    for day in range(DAYS):
        local_day = start + timedelta(days=day) + CENTRE_UTC_OFFSET
        volume = CONVERSATIONS_PER_WEEKDAY * (0.6 if local_day.weekday() >= 5 else 1.0)
        scale = volume / sum(HOURLY_WEIGHT)
        for hour, weight in enumerate(HOURLY_WEIGHT):
            for _ in range(_poisson(rng, weight * scale)):
                # `hour` is local time; UTC is eight hours behind the centre.
                offset = timedelta(days=day, hours=hour, seconds=rng.uniform(0, 3600)) - CENTRE_UTC_OFFSET
                instants.append(start + offset)
    instants.sort()
    return instants


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for the small hourly means used here.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _history(data: DemoData, rng: random.Random, start: datetime) -> None:
    customers = data.tables["customers"]
    agents = [u for u in data.tables["users"] if u["role"] == "agent"]
    queues = {q["channel"]: q["id"] for q in reversed(data.tables["queues"])}
    for started in _contact_times(rng, start):
        customer = rng.choice(customers)
        channel = _pick(rng, CHANNEL_MIX)
        _conversation(data, rng, customer, channel, started, agents, queues)


def _conversation(
    data: DemoData,
    rng: random.Random,
    customer: dict[str, Any],
    channel: str,
    started: datetime,
    agents: list[dict[str, Any]],
    queues: dict[str, int],
) -> None:
    english = customer["language"] == "en"
    ticket_type = _pick(rng, TICKET_TYPE_MIX)
    topic = rng.choice(v.TOPICS[ticket_type])
    bot_first = channel in ("webchat", "app", "social")
    contained = bot_first and rng.random() < 0.3
    patience = {"voice": 90, "email": 10**7}.get(channel, 240)
    wait = rng.expovariate(1 / {"voice": 18, "email": 5400}.get(channel, 25))
    abandoned = not contained and wait > rng.expovariate(1 / patience)
    agent = None if contained or abandoned else rng.choice(agents)
    queued_at = None if contained else started + timedelta(seconds=rng.uniform(20, 90) if bot_first else 0)
    answered_at = queued_at + timedelta(seconds=wait) if agent and queued_at else None
    talk = rng.lognormvariate(math.log({"voice": 240, "email": 420}.get(channel, 480)), 0.5)
    ended_at = (answered_at or queued_at or started) + timedelta(
        seconds=talk if agent else rng.uniform(20, 120)
    )
    conversation = data.add(
        "conversations",
        {
            "public_id": _public_id(rng),
            "customer_id": customer["id"],
            "channel": channel,
            "status": "ended",
            "subject": topic[1] if english else topic[0],
            "queue_id": None if contained else queues.get(channel),
            "agent_id": agent["id"] if agent else None,
            "team_id": agent["team_id"] if agent else None,
            "started_at": started,
            "queued_at": queued_at,
            "answered_at": answered_at,
            "ended_at": ended_at,
            "after_contact_seconds": int(rng.uniform(20, 120)) if agent else 0,
            "hold_seconds": int(rng.expovariate(1 / 30))
            if agent and channel == "voice" and rng.random() < 0.3
            else 0,
            "abandoned": abandoned,
            "bot_handled": contained,
            "transfer_count": 1 if agent and rng.random() < 0.08 else 0,
        },
    )
    customer["last_contact_at"] = ended_at
    _messages(data, rng, conversation, topic, english, bot_first, agent)
    if agent and not contained and rng.random() < 0.45:
        _ticket(data, rng, conversation, customer, agent, ticket_type, topic, english)
    if agent and rng.random() < 0.7:
        _survey(data, rng, conversation, agent)


def _messages(
    data: DemoData,
    rng: random.Random,
    conversation: dict[str, Any],
    topic: tuple[str, str],
    english: bool,
    bot_first: bool,
    agent: dict[str, Any] | None,
) -> None:
    lang = 1 if english else 0
    at = conversation["started_at"]
    lines: list[tuple[str, str, int | None]] = [("customer", topic[lang], None)]
    if bot_first:
        lines.append(
            (
                "bot",
                "I can help with that. Here is an article." if english else "我可以帮您,请看这篇文章。",
                None,
            )
        )
    if agent:
        order = f"DD{rng.randint(10**9, 10**10 - 1)}"
        for i in range(rng.randint(1, 3)):
            lines.append(("agent", v.AGENT_LINES[min(i, 3)][lang], agent["id"]))
            lines.append(("customer", rng.choice(v.CUSTOMER_LINES)[lang].format(order=order), None))
        lines.append(("agent", v.AGENT_LINES[3][lang], agent["id"]))
    for sender, body, author in lines:
        at = at + timedelta(seconds=rng.uniform(5, 60))
        data.add(
            "messages",
            {
                "conversation_id": conversation["id"],
                "channel": conversation["channel"],
                "external_id": None,
                "sender": sender,
                "author_id": author,
                "body": body,
                "is_internal": False,
                "created_at": at,
            },
        )


def _ticket(
    data: DemoData,
    rng: random.Random,
    conversation: dict[str, Any],
    customer: dict[str, Any],
    agent: dict[str, Any],
    ticket_type: str,
    topic: tuple[str, str],
    english: bool,
) -> None:
    created = conversation["ended_at"]
    age_days = (conversation["started_at"] - data.tables["conversations"][0]["started_at"]).days
    recent = age_days >= 27
    status = (
        rng.choice(["new", "open", "pending", "on_hold"])
        if recent
        else rng.choice(["solved", "closed", "closed"])
    )
    severity = ("major" if rng.random() < 0.15 else "normal") if ticket_type == "complaint" else None
    priority = "urgent" if severity == "major" else rng.choice(["low", "normal", "normal", "high"])
    solved = created + timedelta(hours=rng.uniform(0.5, 60)) if status in ("solved", "closed") else None
    ticket = data.add(
        "tickets",
        {
            "public_id": _public_id(rng),
            "type": ticket_type,
            "severity": severity,
            "category": {"refund": "billing", "repair": "devices"}.get(ticket_type, "orders"),
            "priority": priority,
            "status": status,
            "customer_id": customer["id"],
            "channel": conversation["channel"],
            "subject": topic[1] if english else topic[0],
            "description": topic[1] if english else topic[0],
            "custom_fields": {"suggestion_kind": rng.choice(v.SUGGESTION_KINDS)}
            if ticket_type == "suggestion"
            else {},
            "tags": [],
            "assignee_id": agent["id"],
            "team_id": agent["team_id"],
            "department_id": rng.randint(1, len(v.DEPARTMENTS)) if status == "on_hold" else None,
            "conversation_id": conversation["id"],
            "created_at": created,
            "updated_at": solved or created,
            "first_response_at": created + timedelta(minutes=rng.uniform(1, 240)),
            "solved_at": solved,
            "closed_at": solved + timedelta(days=3) if status == "closed" and solved else None,
        },
    )
    data.add(
        "ticket_events",
        {
            "ticket_id": ticket["id"],
            "actor_id": agent["id"],
            "kind": "created",
            "data": {"status": "new"},
            "created_at": created,
        },
    )
    if solved:
        data.add(
            "ticket_events",
            {
                "ticket_id": ticket["id"],
                "actor_id": agent["id"],
                "kind": "status",
                "data": {"from": "open", "to": "solved"},
                "created_at": solved,
            },
        )


def _survey(data: DemoData, rng: random.Random, conversation: dict[str, Any], agent: dict[str, Any]) -> None:
    answered = rng.random() < 0.45
    mood = rng.choices([5, 4, 3, 2, 1], weights=[50, 28, 10, 7, 5])[0]

    def score() -> int | None:
        return max(1, min(5, mood + rng.choice([-1, 0, 0, 0, 1]))) if answered else None

    sent = conversation["ended_at"]
    data.add(
        "surveys",
        {
            "public_id": _public_id(rng),
            "customer_id": conversation["customer_id"],
            "conversation_id": conversation["id"],
            "ticket_id": None,
            "agent_id": agent["id"],
            "channel": conversation["channel"],
            "sent_at": sent,
            "answered_at": sent + timedelta(minutes=rng.uniform(1, 600)) if answered else None,
            "attitude": score(),
            "efficiency": score(),
            "accuracy": score(),
            "comment": rng.choice([None, "很满意", "速度可以更快", "Helpful, thanks"]) if answered else None,
        },
    )


def _knowledge(data: DemoData, rng: random.Random, start: datetime, end: datetime) -> None:
    for name, parent in v.KB_CATEGORIES:
        data.add("article_categories", {"name": name, "parent_id": None if parent is None else parent + 1})
    owner = next(u["id"] for u in data.tables["users"] if u["role"] == "trainer")
    for zh, en, category in v.KB_ARTICLES:
        for language, title in (("zh", zh), ("en", en)):
            body = (
                f"## {title}\n\n1. 打开订单页面\n2. 按提示操作\n3. 如仍有问题请联系人工客服\n"
                if language == "zh"
                else f"## {title}\n\n1. Open the order page\n2. Follow the steps shown\n3. Ask an agent"
            )
            created = start - timedelta(days=rng.randint(1, 200))
            article = data.add(
                "articles",
                {
                    "title": title,
                    "body": body,
                    "language": language,
                    "status": rng.choice(["published", "published", "published", "in_review", "draft"]),
                    "category_id": category + 1,
                    "tags": [],
                    "owner_id": owner,
                    "review_by": (end + timedelta(days=rng.randint(-10, 120))).date(),
                    "version": 1,
                    "created_at": created,
                    "updated_at": start,
                },
            )
            data.add(
                "article_versions",
                {
                    "article_id": article["id"],
                    "number": 1,
                    "title": title,
                    "body": body,
                    "language": language,
                    "category_id": category + 1,
                    "tags": [],
                    "editor_id": owner,
                    "created_at": created,
                },
            )
            if article["status"] == "published":
                stored = stored_doc(SearchDoc(str(article["id"]), title, body, language, str(category + 1)))
                data.add(
                    "article_search_docs",
                    {
                        "article_id": article["id"],
                        "language": language,
                        "category": stored.row.category,
                        "title_length": stored.row.title_length,
                        "body_length": stored.row.body_length,
                        "terms": stored.terms,
                        "frequencies": stored.frequencies,
                        "generation": 1,
                        "removed": False,
                    },
                    numbered=False,
                )
    data.add("knowledge_index_state", {"id": 1, "generation": 1, "token": "demo"}, numbered=False)
    trainer_created = start - timedelta(days=30)
    for scenario, language, shortcut, title, body in v.SCRIPTS:
        data.add(
            "scripts",
            {
                "scenario": scenario,
                "title": title,
                "body": body,
                "language": language,
                "shortcut": shortcut,
                "usage_count": 0,
                "last_used_at": None,
                "revision": 1,
                "created_by": owner,
                "created_at": trainer_created,
                "updated_at": trainer_created,
            },
        )


def fingerprint(data: DemoData) -> str:
    """A digest of every row, to show that two runs generated the same centre."""
    digest = hashlib.sha256()
    for table in sorted(data.tables):
        for row in data.tables[table]:
            digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()
