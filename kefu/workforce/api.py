"""Workforce planning over the REST API: the live surge check against the week plan."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.web.deps import RuntimeDep, SessionDep, require
from kefu.workforce.service import surge_now

router = APIRouter(prefix="/workforce", tags=["workforce"])


class SurgeOut(BaseModel):
    queue: str
    active: bool
    interval_start: datetime
    expected_volume: float
    aht_seconds: float
    offered_erlangs: float
    scheduled_agents: int
    capacity_erlangs: float
    load_ratio: float
    threshold: float


@router.get("/surge", response_model=list[SurgeOut], dependencies=[require(Permission.workforce_read)])
def get_surge(session: SessionDep, runtime: RuntimeDep) -> list[SurgeOut]:
    """Per queue: the next interval's offered load against the plan's capacity (surge above 120 %),
    with the evidence. Empty while there is too little history for a plan."""
    states = surge_now(session, clock.now(), runtime.settings.timezone)
    return [SurgeOut(active=s.active, **{k: v for k, v in vars(s.evidence).items()}) for s in states]
