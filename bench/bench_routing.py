"""Routing engine: decisions per second and per-decision latency, 2,000 and 200 agents.

Scenario (seeded, so every run routes the same centre): 50 queues over voice / webchat / e-mail, each
needing one or two of 20 skills at a minimum level, half `skill_first` and half `idle_first`, most with
two overflow steps (lower level after 60 s, any agent on the channel after 180 s) and some sticky to the
last agent; 10,000 waiting contacts spread over the last 10 minutes with mixed tiers, types and urgency.

Measured:
- full round: `route(now)` on a freshly built `Router` — decisions/s and the latency of each decision
  (time spent on the contact that got an agent);
- events: after the round every agent is full; agents then finish contacts one at a time (`release`) and
  the engine picks their next contact from 10,000 waiting — the latency per resulting decision;
- growth: mean cost per decision at 2,000 agents / at 200 agents, same run.

Each full round runs three times on fresh routers and the best is kept. Latencies are per-thread CPU
time (`time.thread_time`): the benchmark machine is shared, and wall-clock percentiles mostly measured
the scheduler. Throughput is given both ways (wall clock and CPU).
"""

from __future__ import annotations

import random
import time

from bench.report import Row
from kefu.routing.engine import Decision, Router, Snapshot
from kefu.routing.state import AgentState, OverflowStep, QueueConfig, StickyPolicy, WaitingContact

NOW = 1_800_000_000.0
SKILLS = [f"skill{i:02d}" for i in range(20)]
PROFILES = [({"voice": 1}, 1), ({"webchat": 3}, 3), ({"webchat": 3, "email": 5}, 5), ({"email": 5}, 5)]
CHANNELS = ["voice", "webchat", "email"]


def scenario(n_agents: int, n_queues: int, n_contacts: int, seed: int = 7) -> Snapshot:
    rng = random.Random(seed)
    agents = []
    for i in range(n_agents):
        capacity, total = PROFILES[i % len(PROFILES)]
        agents.append(
            AgentState(
                id=f"a{i:05d}",
                team=f"t{i % 20}",
                skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, 4)},
                languages=frozenset({"zh", "en"} if i % 3 == 0 else {"zh"}),
                presence="available",
                capacity=capacity,
                max_total=total,
                idle_since=NOW - rng.uniform(0, 600),
                quality=rng.uniform(60, 100) if i % 4 else None,
            )
        )
    queues = []
    for q in range(n_queues):
        overflow = (OverflowStep(60, min_level=1), OverflowStep(180, min_level=0)) if q % 5 else ()
        queues.append(
            QueueConfig(
                id=f"q{q:02d}",
                channel=CHANNELS[q % 3],
                skills={s: rng.randint(1, 3) for s in rng.sample(SKILLS, 1 + q % 2)},
                language="en" if q % 10 == 0 else "zh",
                strategy="skill_first" if q % 2 else "idle_first",
                sticky=StickyPolicy(last_agent_wait=30.0) if q % 4 == 0 else StickyPolicy(),
                overflow=overflow,
            )
        )
    contacts = []
    for c in range(n_contacts):
        queue = queues[rng.randrange(n_queues)]
        contacts.append(
            WaitingContact(
                id=f"c{c:06d}",
                queue=queue.id,
                channel=queue.channel,
                enqueued_at=NOW - rng.uniform(0, 600),
                tier=rng.choice(["new", "active", "active", "high_value", "vip"]),
                ticket_type=rng.choice([None, "inquiry", "complaint", "refund", "repair"]),
                severity="major" if rng.random() < 0.05 else "normal",
                urgency=rng.choice([0, 0, 0, 1, 2, 3]),
                last_agent=agents[rng.randrange(n_agents)].id if rng.random() < 0.2 else None,
            )
        )
    return Snapshot(agents=tuple(agents), queues=tuple(queues), contacts=tuple(contacts))


class _TimedRouter(Router):
    """Times each contact the full round looks at, keeping the ones that received an agent."""

    def __init__(self, snapshot: Snapshot, now: float) -> None:
        super().__init__(snapshot, now)
        self.latencies: list[float] = []
        self.wall_latencies: list[float] = []

    def _route_contact(self, contact, now, exhausted) -> Decision | None:
        start, wall = time.thread_time(), time.perf_counter()
        decision = super()._route_contact(contact, now, exhausted)
        if decision is not None:
            self.latencies.append(time.thread_time() - start)
            self.wall_latencies.append(time.perf_counter() - wall)
        return decision


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _full_round(snapshot: Snapshot) -> dict[str, float]:
    start_cpu = time.thread_time()
    router = _TimedRouter(snapshot, NOW)
    built, cpu = time.perf_counter(), time.thread_time()
    decisions = router.route(NOW)
    done, cpu_done = time.perf_counter(), time.thread_time()
    return {
        "build_s": cpu - start_cpu,
        "decisions": len(decisions),
        "per_s": len(decisions) / (done - built),
        "per_cpu_s": len(decisions) / (cpu_done - cpu),
        "p50": _percentile(router.latencies, 0.50),
        "p99": _percentile(router.latencies, 0.99),
        "wall_p99": _percentile(router.wall_latencies, 0.99),
        "router": router,
    }


def _events(router: Router, n_events: int, seed: int = 11) -> dict[str, float]:
    """Agents finish contacts one at a time; each freed place is refilled from the waiting contacts."""
    rng = random.Random(seed)
    busy = sorted(a for a in router._agents if router.agent(a).total_load)
    latencies, now = [], NOW
    for _ in range(n_events):
        now += 0.01
        agent = router.agent(busy[rng.randrange(len(busy))])
        while not agent.total_load:  # freed earlier and found nothing it may serve
            agent = router.agent(busy[rng.randrange(len(busy))])
        channel = sorted(c for c, n in agent.load.items() if n)[0]
        start = time.thread_time()
        decisions = router.release(agent.id, channel, now)
        elapsed = time.thread_time() - start
        if decisions:
            latencies.extend([elapsed / len(decisions)] * len(decisions))
    return {"p50": _percentile(latencies, 0.5), "p99": _percentile(latencies, 0.99), "n": len(latencies)}


def _measure(n_agents: int, n_contacts: int, n_events: int, repeats: int) -> dict[str, float]:
    """Best of `repeats` full rounds (the least disturbed by other work), then events on that router."""
    snapshot = scenario(n_agents, 50, n_contacts)
    result = max((_full_round(snapshot) for _ in range(repeats)), key=lambda r: r["per_cpu_s"])
    events = _events(result.pop("router"), n_events)
    return result | {f"event_{k}": v for k, v in events.items()}


def run(quick: bool) -> list[Row]:
    contacts, events = (2_000, 300) if quick else (10_000, 3_000)
    repeats = 1 if quick else 3
    big = _measure(200 if quick else 2_000, contacts, events, repeats)
    small = _measure(20 if quick else 200, contacts, events, repeats)
    label = f"{'200' if quick else '2,000'} agents, 50 queues, {contacts:,} contacts"
    cost_big, cost_small = 1 / big["per_cpu_s"], 1 / small["per_cpu_s"]
    return [
        Row(
            f"full round decisions/s (wall) — {label}",
            big["per_s"],
            "decisions/s",
            target="≥ 20,000",
            notes=f"{big['decisions']:,} decisions; build not counted",
        ),
        Row("full round decisions/s (CPU)", big["per_cpu_s"], "decisions/s", target="≥ 20,000"),
        Row(
            "router build from the snapshot (leader start / standby takeover), CPU time",
            big["build_s"] * 1e3,
            "ms",
            notes="indexes, pools and waiting lines for all agents and contacts",
        ),
        Row("full round p50 latency per decision", big["p50"] * 1e6, "µs"),
        Row("full round p99 latency per decision", big["p99"] * 1e6, "µs", target="< 1,000 µs"),
        Row(
            "full round p99 latency per decision (wall clock)",
            big["wall_p99"] * 1e6,
            "µs",
            notes="includes time the shared machine gave to other processes",
        ),
        Row(
            "event p50 latency per decision (agent freed)",
            big["event_p50"] * 1e6,
            "µs",
            notes=f"{big['event_n']:,} decisions from {events:,} releases",
        ),
        Row(
            "event p99 latency per decision (agent freed)", big["event_p99"] * 1e6, "µs", target="< 1,000 µs"
        ),
        Row(
            "full round decisions/s (CPU) — 1/10 of the agents",
            small["per_cpu_s"],
            "decisions/s",
            notes=f"{small['decisions']:,} decisions; build {small['build_s'] * 1e3:.0f} ms CPU",
        ),
        Row("full round p99 latency per decision — 1/10 of the agents", small["p99"] * 1e6, "µs"),
        Row("event p99 latency per decision — 1/10 of the agents", small["event_p99"] * 1e6, "µs"),
        Row(
            "CPU cost per decision, 10× the agents",
            cost_big * 1e6,
            "µs",
            reference="1/10 of the agents",
            ratio=cost_big / cost_small,
            notes="growth of the mean full-round cost per decision",
        ),
        Row(
            "event p99, 10× the agents",
            big["event_p99"] * 1e6,
            "µs",
            reference="1/10 of the agents",
            ratio=big["event_p99"] / small["event_p99"],
        ),
    ]
