"""SLA sweep over 100,000 open tickets with the pure functions (policy choice, deadlines with pauses,
warnings, breaches, escalation decisions), against a raw Python loop over the same tickets that only adds
fixed targets to the creation time (24×7, no pauses): the floor any Python sweep pays to touch each ticket.

Then the scheduler's own pass (kefu.tickets.sweeper.sweep_pass) on SQLite over 100,000 open tickets: what
the issue's target ("SLA deadlines and escalations for 100,000 open tickets in one scheduler pass, under
2 s on SQLite") asks, as the scheduler runs it (only the tickets whose stored `due_at` has come) and as a
full reconciliation that reads and evaluates every open ticket, once in steady state and once catching up
after downtime (every due event new, each recorded in its own row)."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import Row
from kefu.core.holidays import CHINA
from kefu.tickets.calendar import BusinessCalendar
from kefu.tickets.sla import (
    PolicyBook,
    PolicyRule,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    StatusInterval,
    TicketTimes,
)
from kefu.tickets.sweep import SweepTicket, next_due, sweep

HOUR = 3600
NOW = datetime(2025, 2, 12, 6, tzinfo=UTC)  # just after Spring Festival 2025 and its make-up Saturday
CHANNELS = ["email", "webchat", "voice", "app", "social", "api"]
TYPES = ["inquiry", "complaint", "suggestion", "repair", "refund"]
PRIORITIES = ["low", "normal", "high", "urgent"]
TIERS = ["new", "active", "high_value", "vip"]


def policy_book() -> PolicyBook:
    office = BusinessCalendar.build("Asia/Shanghai", {"mon-fri": ["09:00-12:00", "13:30-18:00"]}, CHINA)
    fr, nr, res = SlaMetric.first_response, SlaMetric.next_response, SlaMetric.resolution
    policies = [
        SlaPolicy(
            "email",
            (SlaTarget(fr, 4 * HOUR, HOUR), SlaTarget(nr, 8 * HOUR), SlaTarget(res, 40 * HOUR, 4 * HOUR)),
            office,
        ),
        SlaPolicy("chat", (SlaTarget(fr, 30, 10), SlaTarget(nr, 120), SlaTarget(res, 24 * HOUR, 2 * HOUR))),
        SlaPolicy(
            "complaint", (SlaTarget(fr, 24 * HOUR, 2 * HOUR), SlaTarget(res, 72 * HOUR, 8 * HOUR)), office
        ),
        SlaPolicy("repair", (SlaTarget(fr, 8 * HOUR, HOUR), SlaTarget(res, 48 * HOUR, 4 * HOUR)), office),
    ]
    rules = [
        PolicyRule("complaint", types={"complaint"}),
        PolicyRule("repair", types={"repair"}),
        PolicyRule("chat", channels={"webchat", "app"}),
    ]
    return PolicyBook({p.name: p for p in policies}, rules, default="email")


def make_tickets(n: int, seed: int = 6) -> list[tuple[TicketTimes, tuple[str, str, str, str], bool]]:
    """Open tickets created over the last 30 days; some answered, some waiting on a reply, some pending."""
    rng = random.Random(seed)
    tickets = []
    for i in range(n):
        created = NOW - timedelta(seconds=rng.uniform(60, 30 * 86400))
        age = (NOW - created).total_seconds()
        first = created + timedelta(seconds=rng.uniform(10, age)) if rng.random() < 0.6 else None
        awaiting = None
        if first is not None and rng.random() < 0.3:
            awaiting = first + timedelta(seconds=rng.uniform(0, (NOW - first).total_seconds()))
        history: tuple[StatusInterval, ...] = ()
        if first is not None and rng.random() < 0.25:
            resumed = first + timedelta(hours=rng.uniform(1, 48))
            end = resumed if resumed < NOW and rng.random() < 0.7 else None
            history = (StatusInterval("open", created, first), StatusInterval("pending", first, end))
        facts = (rng.choice(CHANNELS), rng.choice(TYPES), rng.choice(PRIORITIES), rng.choice(TIERS))
        major = facts[1] == "complaint" and rng.random() < 0.1
        tickets.append((TicketTimes(i, created, history, first, awaiting), facts, major))
    return tickets


def items_of(book: PolicyBook, tickets: list) -> list[SweepTicket]:
    return [SweepTicket(times, book.choose(*facts), major_complaint=major) for times, facts, major in tickets]


def sla_sweep(book: PolicyBook, tickets: list, recorded: set) -> int:
    return len(sweep(items_of(book, tickets), NOW, recorded))


def raw_loop(tickets: list) -> int:
    """Reference: fixed 24×7 targets added to the creation time, compared with now; no calendar, no pauses."""
    targets = (timedelta(hours=4), timedelta(hours=40))
    due = 0
    for times, _facts, _major in tickets:
        for target in targets:
            if times.created_at + target <= NOW:
                due += 1
    return due


def best_of(repeats: int, fn, *args) -> tuple[float, object]:
    """Best CPU time of this process over `repeats` runs. CPU time rather than wall time because the
    machine is shared: other engineers' jobs stretch wall time by a factor that changes minute to minute,
    while this single-threaded work needs the same CPU either way."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.process_time()
        result = fn(*args)
        best = min(best, time.process_time() - start)
    return best, result


def run(quick: bool) -> list[Row]:
    n = 5_000 if quick else 100_000
    repeats = 1 if quick else 3
    tickets = make_tickets(n)
    book = policy_book()
    sla_sweep(book, tickets[:100], set())  # build the calendar timelines outside the timing
    raw_s, _ = best_of(repeats, raw_loop, tickets)
    first_s, events = best_of(repeats, sla_sweep, book, tickets, set())
    recorded = _recorded_keys(book, tickets)
    steady_s, again = best_of(repeats, sla_sweep, book, tickets, recorded)
    raw = f"raw loop {raw_s * 1000:.0f} ms"
    setting = f"Shanghai office hours + 2025 holidays, chat 24×7; CPU time, best of {repeats}"
    setting += "; the sweep pauses the cyclic collector, as the scheduler's pass does"
    return [
        Row(
            f"SLA sweep, {n:,} open tickets, first pass (every due event new)",
            first_s,
            "s",
            reference=raw,
            ratio=first_s / raw_s,
            target="< 2 s for 100,000",
            notes=f"{events:,} warnings/breaches/escalations due; {setting}",
        ),
        Row(
            f"SLA sweep, {n:,} open tickets, steady pass (all due events recorded)",
            steady_s,
            "s",
            reference=raw,
            ratio=steady_s / raw_s,
            target="< 2 s for 100,000",
            notes=f"{again} new events: idempotent; CPU time",
        ),
        Row(
            "steady pass per ticket", steady_s / n * 1e6, "µs", notes="policy choice, 2–3 clocks, escalation"
        ),
        *incremental_rows(book, tickets, repeats, steady_s),
        calendar_row(book, 20_000 if quick else 200_000),
        *scheduler_rows(quick),
    ]


def scheduler_rows(quick: bool) -> list[Row]:
    """The real pass on SQLite (the tickets benchmark's data: 100,000 open tickets over three days, a
    quarter pending). CPU time of this process, SQLite included; best of 3 except the catch-up pass."""
    from bench.bench_tickets import NOW as TICKETS_NOW  # noqa: PLC0415 - the same data, one definition
    from bench.bench_tickets import _measure, _seed_tickets  # noqa: PLC0415
    from kefu.core.config import Settings  # noqa: PLC0415
    from kefu.core.runtime import open_runtime  # noqa: PLC0415

    count, repeats = (5_000, 1) if quick else (100_000, 3)
    with tempfile.TemporaryDirectory() as tmp:
        runtime = open_runtime(Settings(data_dir=Path(tmp), secret_key="bench", auto_migrate=False))
        try:
            _seed_tickets(runtime, count)
            catch_up = _measure(runtime, TICKETS_NOW, True, count)  # heavy: once
            _measure(runtime, TICKETS_NOW, True, count, keep=True)  # everything due now recorded
            later = TICKETS_NOW + timedelta(minutes=1)
            full = min(_measure(runtime, later, True, count) for _ in range(repeats))
            due = min(_measure(runtime, later, False, count) for _ in range(repeats))
        finally:
            runtime.close()
    target, cpu = "< 2 s for 100,000", f"CPU time incl. SQLite, best of {repeats}"
    return [
        Row(
            f"scheduler pass on SQLite, {count:,} open tickets, as it runs (due_at index): {due[2]:,} due",
            due[0],
            "s",
            reference=f"full pass {full[0]:.2f} s (ratio: times faster)",
            ratio=full[0] / max(due[0], 1e-9),
            target=target,
            notes=f"{due[1]:,} new events, as the full pass finds ({full[1]:,}); {cpu}",
        ),
        Row(
            f"scheduler pass on SQLite, {count:,} open tickets, every ticket read and evaluated (steady)",
            full[0],
            "s",
            target=target,
            notes=f"reconciliation (`full=True`), 1 min after the last pass; {cpu}",
        ),
        Row(
            f"scheduler pass on SQLite, {count:,} open tickets, every ticket evaluated, catch-up",
            catch_up[0],
            "s",
            target=target,
            notes=f"{catch_up[1]:,} warnings/breaches/escalations due and recorded (after downtime); CPU",
        ),
    ]


def incremental_rows(book: PolicyBook, tickets: list, repeats: int, full_s: float) -> list[Row]:
    """The design the scheduler should use: `next_due` stored per ticket when it changes, and a pass that
    sweeps only the tickets whose stored instant has come. Checked against a full sweep."""
    items, before = items_of(book, tickets), NOW - timedelta(minutes=1)
    recorded = {e.key for e in sweep(items, before, set())}
    next_due_s, stored = best_of(repeats, lambda: [next_due(item, before) for item in items])

    def incremental() -> tuple[int, int]:
        due = [item for item, at in zip(items, stored, strict=True) if at is not None and at <= NOW]
        return len(due), len(sweep(due, NOW, recorded))

    pass_s, (count, new) = best_of(repeats, incremental)
    full = len(sweep(items, NOW, recorded))
    if new != full:
        raise AssertionError(f"incremental pass found {new} events, a full sweep {full}")
    return [
        Row("next_due per ticket (computed when a ticket changes)", next_due_s / len(items) * 1e6, "µs"),
        Row(
            f"incremental pass, 1 minute after the last: {count:,} of {len(items):,} tickets due",
            pass_s,
            "s",
            reference=f"full steady pass {full_s:.2f} s (ratio: times faster)",
            ratio=full_s / pass_s,
            notes=f"{new} new events, as a full sweep finds; selection = an indexed due_at query in the DB",
        ),
    ]


def calendar_row(book: PolicyBook, calls: int) -> Row:
    """One calendar question across the 2025 Spring Festival (Jan 27 17:00 + 48 business hours), next to
    the plain datetime + timedelta a 24×7 clock would do."""
    cal, start = book.policies["email"].calendar, datetime(2025, 1, 27, 9, tzinfo=UTC)
    step = timedelta(hours=48)

    def business() -> None:
        for _ in range(calls):
            cal.add_business_seconds(start, 48 * HOUR)

    def plain() -> None:
        for _ in range(calls):
            start + step  # the reference cost of the simplest deadline

    business_s, _ = best_of(3, business)
    plain_s, _ = best_of(3, plain)
    return Row(
        "add_business_seconds, 48 h across Spring Festival",
        business_s / calls * 1e6,
        "µs",
        reference=f"datetime + timedelta {plain_s / calls * 1e9:.0f} ns",
        ratio=business_s / plain_s,
        notes="timeline lookup: cost independent of the distance",
    )


def _recorded_keys(book: PolicyBook, tickets: list) -> set:
    return {e.key for e in sweep(items_of(book, tickets), NOW, set())}
