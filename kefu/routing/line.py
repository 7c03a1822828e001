"""One queue's waiting contacts in service order, with the subsets old enough for each overflow step.

`levels[0]` holds every waiting contact's sort key (see `priority.order_key`); `levels[k]` those that
have waited at least the k-th overflow threshold, so an agent admitted only from step k reads its best
contact off the top of `levels[k]` instead of skipping every contact too young for it. Contacts are
promoted lazily when a level is read, which is why time given to `at_step` must never go backwards.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort

Key = tuple[float, float, str]  # (time-free priority order, enqueued_at, contact id)


def _index(level: list[Key], key: Key) -> int | None:
    i = bisect_left(level, key)
    return i if i < len(level) and level[i] == key else None


class WaitingLine:
    __slots__ = ("afters", "levels", "pending")

    def __init__(self, afters: tuple[float, ...], keys: list[Key] | None = None) -> None:
        self.afters = afters
        self.levels: list[list[Key]] = [[] for _ in range(len(afters) + 1)]
        # pending[k]: (enqueued_at, key) of contacts in levels[k] not yet promoted to levels[k + 1]
        self.pending: list[list[tuple[float, Key]]] = [[] for _ in afters]
        for key in keys or ():
            self.add(key)

    def __len__(self) -> int:
        return len(self.levels[0])

    def add(self, key: Key) -> None:
        insort(self.levels[0], key)
        if self.afters:
            heapq.heappush(self.pending[0], (key[1], key))

    def remove(self, key: Key) -> None:
        for level in self.levels:  # nested: a key missing from level k is missing from k + 1 too
            i = _index(level, key)
            if i is None:
                return
            del level[i]

    def position(self, key: Key) -> int:
        """1-based position in service order."""
        return bisect_left(self.levels[0], key) + 1

    def at_step(self, step: int, now: float) -> list[Key]:
        """Keys of contacts that have reached overflow `step` at `now`, best first (do not mutate)."""
        for k, after in enumerate(self.afters[:step]):
            pending, limit = self.pending[k], now - after
            while pending and pending[0][0] <= limit:
                key = heapq.heappop(pending)[1]
                if _index(self.levels[k], key) is not None:  # still waiting
                    insort(self.levels[k + 1], key)
                    if k + 1 < len(self.afters):
                        heapq.heappush(self.pending[k + 1], (key[1], key))
        return self.levels[step]
