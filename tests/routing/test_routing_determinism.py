"""A standby in another process must reach the same decisions: no dependence on hash seeds."""

import os
import subprocess
import sys

SCRIPT = """
import random
from kefu.routing.engine import Router, Snapshot
from kefu.routing.state import AgentState, OverflowStep, QueueConfig, StickyPolicy, WaitingContact

rng = random.Random(3)
skills = ["s1", "s2", "s3", "s4"]
agents = tuple(
    AgentState(id=f"a{i}", team=f"t{i % 3}", skills={s: rng.randint(1, 5) for s in rng.sample(skills, 2)},
               presence="available", capacity={"webchat": 2, "email": 3}, max_total=4,
               idle_since=float(rng.randint(0, 100)), quality=rng.choice([None, 60.0, 90.0]))
    for i in range(40)
)
queues = tuple(
    QueueConfig(id=f"q{i}", channel=["webchat", "email"][i % 2], skills={skills[i % 4]: 2},
                strategy=["skill_first", "idle_first"][i % 2], sticky=StickyPolicy(last_agent_wait=20.0),
                overflow=(OverflowStep(30, min_level=1), OverflowStep(90, min_level=0)))
    for i in range(6)
)
contacts = tuple(
    WaitingContact(id=f"c{i}", queue=q.id, channel=q.channel, enqueued_at=1000.0 - rng.randint(0, 200),
                   tier=rng.choice(["new", "vip"]), urgency=rng.randint(0, 3),
                   last_agent=rng.choice([None, "a1", "a7"]))
    for i in range(200) for q in [queues[i % 6]]
)
router = Router(Snapshot(agents, queues, contacts), 1000.0)
out = [(d.contact, d.agent, d.reason, tuple(c.agent for c in d.runners_up)) for d in router.route(1000.0)]
for i in range(30):
    held = sorted(channel for channel, n in router.agent(f"a{i}").load.items() if n)
    for d in router.release(f"a{i}", held[0], 1001.0 + i) if held else []:
        out.append((d.contact, d.agent, d.reason))
print(out)
"""


def run_with_seed(seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stdout


def test_decisions_do_not_depend_on_the_hash_seed():
    first = run_with_seed("1")
    assert first.count("(") > 50  # decisions were made
    assert run_with_seed("2") == first
