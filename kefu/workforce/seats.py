"""From seats the queue model needs to people on the schedule (pure).

Chat concurrency is an approximation: an agent who may hold up to N chats at once is modelled as N
independent servers, each working one chat for the chat's handle time as measured *under* concurrency
(so the slowdown of juggling chats is in the AHT, not in the model). Erlang then gives chat slots and
agents = ceil(slots / N). It overstates capacity when chats arrive in bursts to the same agent and
understates it when short chats free slots quickly; voice and e-mail use N = 1, where it is exact.

Shrinkage (glossary: paid time not available for contacts) converts the seats that must be occupied
into the heads to schedule: heads = ceil(seats / (1 − shrinkage)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kefu.workforce.errors import WorkforceInputError

# 1 − 0.3 is 0.7000000000000001 in binary; without a tolerance 7 seats at 30 % shrinkage would need 11.
_TOLERANCE = 1e-9


def agents_for_slots(slots: ArrayLike, concurrency: ArrayLike) -> NDArray:
    """Agents who together provide `slots` simultaneous chats when each holds up to `concurrency`."""
    s = np.asarray(slots, dtype=float)
    c = np.asarray(concurrency, dtype=float)
    if np.any(c < 1) or np.any(c != np.floor(c)):
        raise WorkforceInputError("concurrency", "must be a whole number >= 1")
    if np.any(s < 0):
        raise WorkforceInputError("slots", "must be >= 0")
    return np.ceil(s / c - _TOLERANCE).astype(np.int64)


def scheduled_heads(agents: ArrayLike, shrinkage: ArrayLike) -> NDArray:
    """People to schedule so that `agents` are available after shrinkage (breaks, training, absence)."""
    a = np.asarray(agents, dtype=float)
    s = np.asarray(shrinkage, dtype=float)
    if not np.all(np.isfinite(s)) or np.any(s < 0) or np.any(s >= 1):
        raise WorkforceInputError("shrinkage", "must be a fraction in [0, 1), e.g. 0.3 for 30 %")
    return np.ceil(a / (1.0 - s) - _TOLERANCE).astype(np.int64)
