"""Data-scope filter: latency of listing an agent's 50 newest tickets, with the scope condition in the query
versus the same query without it, in a database of 100,000 tickets (SQLite, and PostgreSQL when
KEFU_BENCH_POSTGRES_URL is set).

Callers: an agent (tickets assigned to them) and a team lead (the team's tickets).
The centre: 20 teams of 10 agents, 10,000 customers, 100,000 tickets assigned round-robin (so each agent
holds 500), inserted with bulk Core inserts. Both queries come from the same builder
(`kefu.tickets.access.ticket_page`) and are timed alternately, so machine noise hits both alike; the
figures are medians of many runs and the ratio is the median of the per-pair ratios scoped / unscoped.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bench.report import Row
from kefu.access.actor import Actor
from kefu.access.models import Team, User
from kefu.access.roles import Role
from kefu.access.scopes import ticket_scope
from kefu.core import migrate
from kefu.core.db import make_engine, make_session_factory
from kefu.customers.models import Customer
from kefu.tickets.access import ticket_page
from kefu.tickets.models import Ticket

TEAMS, AGENTS_PER_TEAM, CUSTOMERS = 20, 10, 10_000
START = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("new", "open", "pending", "solved", "closed")


def _rows(n: int, make) -> list[dict]:  # noqa: ANN001
    return [make(i) for i in range(n)]


def seed(engine, n_tickets: int) -> list[int]:  # noqa: ANN001
    """Fill the database; returns the agents' user ids."""
    agents = TEAMS * AGENTS_PER_TEAM
    with engine.begin() as db:
        db.execute(insert(Team), _rows(TEAMS, lambda i: {"id": i + 1, "code": f"t{i}", "name": f"Team {i}"}))
        db.execute(
            insert(User),
            _rows(
                agents,
                lambda i: {
                    "id": i + 1,
                    "username": f"agent{i}",
                    "display_name": f"Agent {i}",
                    "role": Role.agent.value,
                    "team_id": i // AGENTS_PER_TEAM + 1,
                    "password_hash": None,
                    "must_change_password": False,
                    "is_active": True,
                    "session_version": 1,
                    "created_at": START,
                },
            ),
        )
        db.execute(
            insert(Customer),
            _rows(
                CUSTOMERS,
                lambda i: {
                    "id": i + 1,
                    "name": f"Customer {i}",
                    "tier": "active",
                    "lifetime_value": 0,
                    "tags": [],
                    "language": "zh_CN",
                    "created_at": START,
                },
            ),
        )
        for start in range(0, n_tickets, 10_000):
            batch = range(start, min(start + 10_000, n_tickets))
            db.execute(insert(Ticket), [_ticket(i, agents) for i in batch])
    for statement in ("ANALYZE",):
        with engine.begin() as db:
            db.execute(text(statement))
    return list(range(1, agents + 1))


def _ticket(i: int, agents: int) -> dict:
    at = START + timedelta(minutes=i)
    agent = i % agents + 1
    return {
        "id": i + 1,
        "public_id": f"T{i:08d}",
        "type": "inquiry",
        "priority": "normal",
        "status": STATUSES[i % len(STATUSES)],
        "customer_id": i % CUSTOMERS + 1,
        "channel": "webchat",
        "subject": f"Ticket {i}",
        "description": "",
        "custom_fields": {},
        "tags": [],
        "assignee_id": agent,
        "team_id": (agent - 1) // AGENTS_PER_TEAM + 1,
        "created_at": at,
        "updated_at": at,
    }


def measure(engine, actors: list[Actor], runs: int) -> tuple[float, float, float]:  # noqa: ANN001
    """Median seconds per listing (scoped, unscoped) and the median of the per-pair ratios.

    The two queries run back to back, in alternating order, so a burst of load from other processes
    lands on both members of a pair; the median pair ratio is then robust to drifts that medians of the
    two series would mix in.
    """
    sessions = make_session_factory(engine)
    scoped_times, plain_times = [], []
    with sessions() as session:

        def timed(query) -> float:  # noqa: ANN001
            started = time.perf_counter()
            rows = session.scalars(query).all()
            elapsed = time.perf_counter() - started
            assert len(rows) == 50
            session.expunge_all()
            return elapsed

        for i in range(runs):
            actor = actors[i % len(actors)]
            scoped_query, plain_query = ticket_page(ticket_scope(actor), limit=50), ticket_page(limit=50)
            if i % 2:
                plain_times.append(timed(plain_query))
                scoped_times.append(timed(scoped_query))
            else:
                scoped_times.append(timed(scoped_query))
                plain_times.append(timed(plain_query))
    ratios = [s / p for s, p in zip(scoped_times, plain_times, strict=True)]
    return statistics.median(scoped_times), statistics.median(plain_times), statistics.median(ratios)


def _backend(name: str, url: str, n_tickets: int, runs: int) -> list[Row]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    agent_ids = seed(engine, n_tickets)
    callers = {
        "agent's": [Actor(a, Role.agent.value, None) for a in agent_ids],
        # The lead of each team: its first agent's id stands in (the scope only reads role and team).
        "team lead's": [Actor(t, Role.team_lead.value, t) for t in range(1, TEAMS + 1)],
    }
    note = f"{n_tickets:,} tickets, 20 teams of 10 agents; median of {runs} alternating pairs"
    rows = []
    for who, actors in callers.items():
        measure(engine, actors, 20)  # warm caches and statement compilation
        scoped, plain, ratio = measure(engine, actors, runs)
        rows += [
            Row(
                f"{name}: {who} 50 newest tickets, scoped",
                scoped * 1e3,
                "ms",
                reference="same query without the scope",
                ratio=ratio,
                target="< 1.10×",
                notes=note,
            ),
            Row(f"{name}: same query without the scope", plain * 1e3, "ms", notes=note),
        ]
    engine.dispose()
    return rows


def run(quick: bool) -> list[Row]:
    n_tickets, runs = (20_000, 50) if quick else (100_000, 400)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows += _backend("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", n_tickets, runs)
    postgres = os.environ.get("KEFU_BENCH_POSTGRES_URL")
    if postgres:
        rows += _postgres(postgres, n_tickets, runs)
    return rows


def _postgres(url: str, n_tickets: int, runs: int) -> list[Row]:
    """A throw-away schema in the given database, dropped afterwards."""
    from sqlalchemy import create_engine

    plain_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(plain_url)
    with admin.begin() as db:
        db.execute(text("DROP SCHEMA IF EXISTS kefu_bench_scope CASCADE"))
        db.execute(text("CREATE SCHEMA kefu_bench_scope"))
    try:
        return _backend(
            "PostgreSQL", f"{plain_url}?options=-csearch_path%3Dkefu_bench_scope", n_tickets, runs
        )
    finally:
        with admin.begin() as db:
            db.execute(text("DROP SCHEMA kefu_bench_scope CASCADE"))
        admin.dispose()
