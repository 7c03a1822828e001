"""Property-based tests of the engine's invariants over random small centres.

The checks re-derive the rules from the queue configuration independently of the engine's own pools.
"""

import math
import random
from bisect import bisect_right
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.routing.engine import Router, Snapshot, route
from kefu.routing.errors import ConflictError
from kefu.routing.priority import DEFAULT_POLICY, base_points
from kefu.routing.state import TIERS, AgentState, OverflowStep, QueueConfig, StickyPolicy, WaitingContact

NOW = 10_000.0
SKILLS = ("s1", "s2", "s3")
CHANNELS = ("voice", "webchat")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def agents(draw, aid):
    capacity = {ch: draw(st.integers(0, 3)) for ch in draw(st.sets(st.sampled_from(CHANNELS), min_size=1))}
    max_total = draw(st.integers(1, 4))
    load, room = {}, max_total
    for ch, cap in sorted(capacity.items()):
        load[ch] = draw(st.integers(0, min(cap, room)))
        room -= load[ch]
    presence = draw(
        st.sampled_from(["available", "available", "busy", "offline", "break", "after_contact_work"])
    )
    return AgentState(
        id=aid,
        team=draw(st.sampled_from(["t1", "t2"])),
        skills={s: draw(st.integers(1, 5)) for s in draw(st.sets(st.sampled_from(SKILLS)))},
        languages=draw(st.frozensets(st.sampled_from(["zh", "en"]))),
        presence=presence,
        capacity=capacity,
        max_total=max_total,
        load=load,
        idle_since=float(draw(st.integers(0, 9_000))),
        quality=draw(st.none() | st.floats(0, 100)),
        is_reserve=draw(st.booleans()) and draw(st.booleans()),
        break_reason="lunch" if presence == "break" else None,
        acw_until=NOW + draw(st.integers(-60, 60)) if presence == "after_contact_work" else None,
    )


@st.composite
def queues(draw, qid):
    afters = sorted(draw(st.sets(st.integers(1, 600), max_size=2)))
    overflow = tuple(
        OverflowStep(
            float(after),
            min_level=draw(st.none() | st.integers(0, 3)),
            teams=draw(st.frozensets(st.sampled_from(["t1", "t2"]))),
        )
        for after in afters
    )
    wait = st.none() | st.sampled_from([0.0, 30.0, 300.0])
    return QueueConfig(
        id=qid,
        channel=draw(st.sampled_from(CHANNELS)),
        skills={s: draw(st.integers(1, 4)) for s in draw(st.sets(st.sampled_from(SKILLS), max_size=2))},
        language=draw(st.none() | st.sampled_from(["zh", "en"])),
        strategy=draw(st.sampled_from(["skill_first", "idle_first"])),
        teams=draw(st.frozensets(st.sampled_from(["t1", "t2"]), max_size=1)),
        sticky=StickyPolicy(dedicated_agent_wait=draw(wait), last_agent_wait=draw(wait)),
        overflow=overflow,
    )


@st.composite
def snapshots(draw):
    agent_list = [draw(agents(f"a{i}")) for i in range(draw(st.integers(1, 8)))]
    queue_list = [draw(queues(f"q{i}")) for i in range(draw(st.integers(1, 3)))]
    ids = [a.id for a in agent_list] + ["gone"]
    contacts = []
    for i in range(draw(st.integers(0, 15))):
        q = draw(st.sampled_from(queue_list))
        contacts.append(
            WaitingContact(
                id=f"c{i}",
                queue=q.id,
                channel=q.channel,
                enqueued_at=NOW - draw(st.integers(0, 900)),
                tier=draw(st.sampled_from(TIERS)),
                ticket_type=draw(st.sampled_from([None, "inquiry", "complaint", "refund"])),
                severity=draw(st.sampled_from(["normal", "major"])),
                urgency=draw(st.integers(0, 3)),
                last_agent=draw(st.none() | st.sampled_from(ids)),
                dedicated_agent=draw(st.none() | st.sampled_from(ids)),
            )
        )
    return Snapshot(tuple(agent_list), tuple(queue_list), tuple(contacts), surge=draw(st.booleans()))


# ----- an independent reading of the rules ------------------------------------------------------------


def step_of(queue, contact, now=NOW):
    return bisect_right([s.after_seconds for s in queue.overflow], now - contact.enqueued_at)


def qualifies(agent, queue, step):
    levels, teams = dict(queue.skills), set(queue.teams)
    for s in queue.overflow[:step]:
        if s.min_level is not None:
            levels = {k: min(v, s.min_level) for k, v in levels.items()}
        if teams:
            teams |= s.teams
    return (
        agent.capacity.get(queue.channel, 0) >= 1
        and (not teams or agent.team in teams)
        and (queue.language is None or queue.language in agent.languages)
        and all(agent.skills.get(k, 0) >= v for k, v in levels.items())
    )


def takes_contacts(agent, surge, now=NOW):
    if agent.is_reserve and not surge:
        return False
    if agent.presence == "after_contact_work":
        return agent.acw_until <= now
    return agent.presence in ("available", "busy")


def has_room(agent, load, channel):
    return load[channel] < agent.capacity.get(channel, 0) and sum(load.values()) < agent.max_total


def held(contact, queue, agents_by_id, now=NOW):
    """Waiting for a logged-in sticky agent of this queue within the configured wait."""
    for target, wait in (
        (contact.dedicated_agent, queue.sticky.dedicated_agent_wait),
        (contact.last_agent, queue.sticky.last_agent_wait),
    ):
        agent = agents_by_id.get(target)
        if agent is None or wait is None or now - contact.enqueued_at >= wait:
            continue
        if agent.presence in ("available", "busy", "after_contact_work") and qualifies(
            agent, queue, len(queue.overflow)
        ):
            return True
    return False


def check_round(snapshot, decisions):
    agents_by_id = {a.id: a for a in snapshot.agents}
    queues_by_id = {q.id: q for q in snapshot.queues}
    contacts_by_id = {c.id: c for c in snapshot.contacts}
    assigned = [d.contact for d in decisions]
    assert len(assigned) == len(set(assigned)), "a contact was assigned twice"
    load = {a.id: Counter(a.load) for a in snapshot.agents}
    for d in decisions:
        agent, contact = agents_by_id[d.agent], contacts_by_id[d.contact]
        queue = queues_by_id[contact.queue]
        assert takes_contacts(agent, snapshot.surge)
        assert has_room(agent, load[agent.id], contact.channel), "over capacity"
        assert qualifies(agent, queue, step_of(queue, contact)), "agent lacks the required skill"
        assert d.overflow_step == step_of(queue, contact)
        assert d.reason != "skill_first" or d.chosen.overflow_step == 0
        check_runners_up(d, queue, contact, agents_by_id, load, snapshot.surge)
        load[agent.id][contact.channel] += 1
    return load, agents_by_id, queues_by_id


def check_runners_up(d, queue, contact, agents_by_id, load, surge):
    """Runners-up were real alternatives, ranked no better than the winner, in rank order."""
    names = [c.agent for c in d.runners_up]
    assert d.agent not in names and len(names) == len(set(names)) <= 3
    for c in d.runners_up:
        other = agents_by_id[c.agent]
        assert takes_contacts(other, surge) and has_room(other, load[other.id], contact.channel)
        assert qualifies(other, queue, step_of(queue, contact))
    ranked = [d.chosen, *d.runners_up]
    if queue.strategy == "skill_first":
        keys = [
            (c.overflow_step, -c.skill_match, -(50.0 if c.quality is None else c.quality)) for c in ranked
        ]
    else:
        keys = [(c.overflow_step, -c.score) for c in ranked]
    assert keys == sorted(keys)


@SETTINGS
@given(snapshots())
def test_a_round_respects_skills_capacity_and_uniqueness(snapshot):
    check_round(snapshot, route(snapshot, NOW))


@SETTINGS
@given(snapshots())
def test_after_a_round_no_waiting_contact_could_go_to_a_free_agent(snapshot):
    decisions = route(snapshot, NOW)
    load, _, queues_by_id = check_round(snapshot, decisions)
    assigned = {d.contact for d in decisions}
    waiting = [c for c in snapshot.contacts if c.id not in assigned]
    assert servable(waiting, snapshot.agents, load, queues_by_id, snapshot.surge, NOW) == []


def servable(contacts, agents, load, queues_by_id, surge, now):
    """(contact, agent) pairs that could be matched now: must be empty after a round."""
    agents_by_id = {a.id: a for a in agents}
    pairs = []
    for contact in contacts:
        queue = queues_by_id[contact.queue]
        if held(contact, queue, agents_by_id, now):
            continue
        step = step_of(queue, contact, now)
        for agent in agents:
            free = takes_contacts(agent, surge, now) and has_room(agent, load[agent.id], queue.channel)
            if free and qualifies(agent, queue, step):
                pairs.append((contact.id, agent.id))
    return pairs


@SETTINGS
@given(snapshots())
def test_within_a_queue_and_step_higher_priority_is_served_first(snapshot):
    decisions = route(snapshot, NOW)
    assigned = {d.contact for d in decisions}
    queues_by_id = {q.id: q for q in snapshot.queues}
    plain = [c for c in snapshot.contacts if c.last_agent is None and c.dedicated_agent is None]
    for a in plain:
        for b in plain:
            same = a.queue == b.queue and step_of(queues_by_id[a.queue], a) == step_of(
                queues_by_id[b.queue], b
            )
            higher = base_points(a) * DEFAULT_POLICY.ageing_seconds - a.enqueued_at > (
                base_points(b) * DEFAULT_POLICY.ageing_seconds - b.enqueued_at
            )
            if same and higher and b.id in assigned:
                assert a.id in assigned, f"{b.id} served before higher-priority {a.id}"


@SETTINGS
@given(snapshots(), st.randoms(use_true_random=False))
def test_decisions_are_deterministic_and_independent_of_input_order(snapshot, rnd):
    first = route(snapshot, NOW)
    assert route(snapshot, NOW) == first
    shuffled = Snapshot(
        tuple(rnd.sample(snapshot.agents, len(snapshot.agents))),
        tuple(rnd.sample(snapshot.queues, len(snapshot.queues))),
        tuple(rnd.sample(snapshot.contacts, len(snapshot.contacts))),
        surge=snapshot.surge,
    )
    assert route(shuffled, NOW) == first


@SETTINGS
@given(snapshots(), st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30)), max_size=25))
def test_event_sequences_never_double_assign_overfill_or_leave_work_undone(snapshot, events):
    router = Router(snapshot, NOW)
    holder: dict[str, str] = {}
    now, extra = NOW, 0
    agent_ids = sorted(a.id for a in snapshot.agents)
    for kind, pick in events:
        now += 1.0
        if kind == 0:
            queue = snapshot.queues[pick % len(snapshot.queues)]
            decisions = router.offer(
                WaitingContact(f"n{extra}", queue.id, queue.channel, enqueued_at=now), now
            )
            extra += 1
        elif kind == 1:
            agent = router.agent(agent_ids[pick % len(agent_ids)])
            busy = sorted(ch for ch, n in agent.load.items() if n)
            decisions = router.release(agent.id, busy[0], now, acw_seconds=pick % 3) if busy else []
        elif kind == 2:
            agent = router.agent(agent_ids[pick % len(agent_ids)])
            target = "available" if agent.presence in ("offline", "break", "training") else "break"
            try:
                decisions = router.set_presence(agent.id, target, now, reason="x")
            except ConflictError:  # e.g. no capacity to be available with: refused, state unchanged
                decisions = []
        elif kind == 3:
            queue = snapshot.queues[pick % len(snapshot.queues)]
            moved = WaitingContact(f"t{extra}", queue.id, queue.channel, enqueued_at=now)
            extra += 1
            try:
                decisions = [router.transfer_to_agent(moved, agent_ids[pick % len(agent_ids)], now)]
            except ConflictError:  # the agent is full or not taking contacts
                decisions = []
        else:
            decisions = router.route(now)
            agents = [router.agent(a) for a in agent_ids]
            load = {a.id: Counter(a.load) for a in agents}
            waiting = [c for q in snapshot.queues for c in router.waiting(q.id)]
            queues_by_id = {q.id: q for q in snapshot.queues}
            assert servable(waiting, agents, load, queues_by_id, snapshot.surge, now) == []
        for d in decisions:
            assert d.contact not in holder, "a contact was assigned twice"
            holder[d.contact] = d.agent
        for agent_id in agent_ids:
            agent = router.agent(agent_id)
            assert all(n <= agent.capacity.get(ch, 0) for ch, n in agent.load.items())
            assert agent.total_load <= agent.max_total


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(0, 6),
    st.lists(st.tuples(st.sampled_from(TIERS), st.integers(0, 3), st.booleans()), min_size=5, max_size=40),
)
def test_no_contact_starves_while_agents_keep_serving(n_agents, backlog, arrivals):
    """Agents serve one contact per round; exactly n_agents arrive per round, so the line never grows.

    A contact can only be overtaken by the line at its arrival plus newcomers of its first gap·T seconds
    (later ones rank below it), so it waits at most gap·T + (backlog / agents + 2) rounds.
    """
    dt, ageing = 10.0, DEFAULT_POLICY.ageing_seconds
    agents = tuple(
        AgentState(id=f"a{i}", team="t", skills={}, presence="available", capacity={"voice": 1}, max_total=1)
        for i in range(n_agents)
    )
    rnd = random.Random(len(arrivals))
    specs = [(tier, urgency, major) for tier, urgency, major in arrivals]
    made = [0]

    def new_contact(now):
        tier, urgency, major = specs[made[0] % len(specs)]
        made[0] += 1
        kind = "complaint" if major else rnd.choice([None, "inquiry"])
        return WaitingContact(
            f"c{made[0]}",
            "q",
            "voice",
            now,
            tier=tier,
            urgency=urgency,
            ticket_type=kind,
            severity="major" if major else "normal",
        )

    initial = tuple(new_contact(0.0) for _ in range(backlog))
    router = Router(Snapshot(agents, (QueueConfig(id="q", channel="voice"),), initial), 0.0)
    enqueued = {c.id: c for c in initial}
    served_at: dict[str, float] = {}
    holding: dict[str, str] = {}
    rounds = len(arrivals)
    for r in range(rounds + backlog + 50):
        now = r * dt
        decisions = []
        for agent_id in sorted(holding.values()):
            decisions += router.release(agent_id, "voice", now)
        holding = {}
        if r < rounds:
            for _ in range(n_agents):
                c = new_contact(now)
                enqueued[c.id] = c
                decisions += router.offer(c, now)
        decisions += router.route(now)
        for d in decisions:
            served_at[d.contact] = now
            holding[d.contact] = d.agent
    assert set(served_at) == set(enqueued), "some contacts were never served"
    bases = [base_points(c) for c in enqueued.values()]
    bound = (max(bases) - min(bases)) * ageing + (math.ceil(backlog / n_agents) + 2) * dt
    for cid, contact in enqueued.items():
        assert served_at[cid] - contact.enqueued_at <= bound, cid


@SETTINGS
@given(snapshots())
def test_repeated_rounds_serve_every_contact_an_agent_can_serve(snapshot):
    """Agents finish each contact at once; every contact some agent could ever take gets served."""
    router, now, served = Router(snapshot, NOW), NOW, set()
    for _ in range(len(snapshot.contacts) + 20):  # + overflow (≤ 600 s) and sticky waits (≤ 300 s)
        pending = router.route(now)
        while pending:
            decision = pending.pop()
            served.add(decision.contact)
            pending += router.release(decision.agent, decision.channel, now)
        now += 60.0
    queues_by_id = {q.id: q for q in snapshot.queues}
    for contact in snapshot.contacts:
        queue = queues_by_id[contact.queue]
        able = [
            a
            for a in snapshot.agents
            if takes_contacts(a, snapshot.surge, now=NOW + 3600)
            and has_room(a, Counter(a.load), queue.channel)
            and qualifies(a, queue, len(queue.overflow))
        ]
        assert contact.id in served or not able, (contact.id, [a.id for a in able])
