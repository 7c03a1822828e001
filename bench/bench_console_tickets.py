"""Console tickets: server time of the ticket list and the ticket page over the demo centre with tickets.

The demo centre has no tickets of its own, so this adds them through kefu's own action
(kefu.tickets.actions.do_create_ticket), spread over the demo's agents and customers, each with replies,
internal notes, status changes and some department handoffs, before starting a real server. Measured
like `python -m bench console` (one client, requests one after another), beside GET /healthz in the
same run; the server's CPU per request is reported as the figure machine load does not inflate.
"""

from __future__ import annotations

import random
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.bench_console import _demo, _measure, _p, _row, _server_pid, _sign_in
from bench.report import Row
from bench.server import kefu_server
from kefu.access.models import Department, User
from kefu.core import clock
from kefu.core.clock import FrozenClock, use_clock
from kefu.core.config import Settings
from kefu.core.runtime import open_runtime
from kefu.customers.models import Customer
from kefu.tickets import actions, handoffs
from kefu.tickets.models import Ticket

TYPES = ("inquiry", "complaint", "repair", "refund", "suggestion")
CHANNELS = ("email", "webchat", "voice", "app")


def add_tickets(data_dir: Path, count: int, seed: int = 7) -> tuple[str, list[int]]:
    """`count` tickets over the last 30 days; returns the agent holding the most and their ticket ids."""
    rng = random.Random(seed)
    runtime = open_runtime(Settings(data_dir=data_dir), run_migrations=False)
    start = clock.now() - timedelta(days=30)
    with runtime.write_sessions() as session, session.begin():
        agents = session.scalars(select(User).where(User.role == "agent", User.is_active)).all()
        customers = session.scalars(select(Customer.id).limit(5000)).all()
        department = Department(code="logistics_bench", name="物流部 Logistics")
        session.add(department)
        session.flush()
        for i in range(count):
            moment = FrozenClock(start + timedelta(minutes=rng.uniform(0, 30 * 24 * 60)))
            agent = agents[0] if rng.random() < 0.15 else rng.choice(agents)
            with use_clock(moment):
                ticket = actions.do_create_ticket(
                    session,
                    fields={
                        "type": rng.choice(TYPES),
                        "customer_id": rng.choice(customers),
                        "channel": rng.choice(CHANNELS),
                        "subject": f"工单 {i}: 快递还没到 / parcel not arrived",
                        "description": "客户说三天前下单，物流一直没有更新。" * 3,
                        "assignee_id": agent.id,
                    },
                    actor_id=agent.id,
                    now=moment(),
                )
                for _ in range(rng.randint(1, 4)):
                    moment.advance(minutes=rng.uniform(1, 240))
                    actions.do_reply(
                        session, ticket=ticket, body="您好，正在核实物流信息。", public=rng.random() < 0.6,
                        actor_id=agent.id, now=moment(),
                    )  # fmt: skip
                if rng.random() < 0.2:
                    handoffs.do_hand_off(
                        session, ticket=ticket, department_id=department.id, task="请核实包裹位置",
                        owner_id=None, response_hours=8, actor_id=agent.id, now=moment(),
                    )  # fmt: skip
                if rng.random() < 0.5:
                    moment.advance(hours=rng.uniform(1, 48))
                    actions.do_change_status(
                        session, ticket=ticket, status="solved", actor_id=agent.id, now=moment()
                    )
        busiest = session.execute(
            select(User.username, User.id)
            .join(Ticket, Ticket.assignee_id == User.id)
            .group_by(User.username, User.id)
            .order_by(func.count(Ticket.id).desc())
            .limit(1)
        ).one()
        ids = session.scalars(select(Ticket.id).where(Ticket.assignee_id == busiest.id)).all()
    runtime.close()
    return busiest.username, list(ids)


def run(quick: bool) -> list[Row]:
    count, tickets = (40, 300) if quick else (400, 3000)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "demo"
        _demo(data_dir)
        username, ids = add_tickets(data_dir, tickets)
        with kefu_server(data_dir) as base:
            pid = _server_pid()
            with httpx.Client(base_url=base, timeout=30) as anonymous:
                health = _measure(anonymous, ["/healthz"], count, pid)
            with httpx.Client(base_url=base, timeout=30) as agent:
                _sign_in(agent, username)
                agent_list = _measure(agent, ["/console/tickets"], count, pid)
                pages = _measure(agent, [f"/console/tickets/{i}" for i in ids], count, pid)
            with httpx.Client(base_url=base, timeout=30) as supervisor:
                _sign_in(supervisor, "supervisor")
                centre_list = _measure(supervisor, ["/console/tickets"], count, pid)
                filtered = _measure(
                    supervisor, ["/console/tickets?status=open&type=complaint&sla_state=breached"], count, pid
                )
    return [
        _row(f"ticket list GET /console/tickets, agent ({len(ids)} tickets)", agent_list, health),
        _row("ticket page GET /console/tickets/{id}, agent", pages, health),
        _row(f"ticket list, supervisor (whole centre: {tickets} tickets)", centre_list, health),
        _row("ticket list filtered (status, type, SLA risk), supervisor", filtered, health),
        Row("GET /healthz", _p(health.latencies, 0.95), "ms p95"),
    ]
