"""The routing leader: one process at a time runs routing rounds (see kefu.core.leader for the election).

Rounds are woken by routing events, so a queued contact is routed without waiting for the next tick.
"""

from __future__ import annotations

from kefu.core import clock
from kefu.core.leader import Leader
from kefu.core.runtime import Runtime
from kefu.routing.actions import round_has_work, route_waiting

LOCK_KEY = 0x6B65_6675_0001  # "kefu" + 1: the routing leader
WAKE_ON = {"routing.queued", "routing.presence", "routing.released", "routing.queue_changed"}


def routing_round(runtime: Runtime) -> int:
    """One round; returns how many contacts were assigned or offered. Most rounds find nothing to do (no
    free agent for what waits): those are decided in a read transaction, without the write lock."""
    with runtime.sessions() as session:
        if not round_has_work(session, clock.now()):
            return 0
    with runtime.write_sessions() as session, session.begin():
        return len(route_waiting(session, clock.now()))


class RoutingLeader(Leader):
    def __init__(self, runtime: Runtime, interval_seconds: float = 1.0) -> None:
        super().__init__(runtime, LOCK_KEY, routing_round, interval_seconds, WAKE_ON, name="routing-leader")
