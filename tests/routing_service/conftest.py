import pytest

from kefu.access.roles import Role
from kefu.core import clock
from kefu.routing.models import AgentPresence, AgentProfile, AgentSkill, Queue, Skill


class Centre:
    """A small centre: skills, queues and agents with profiles, created straight in the database."""

    def __init__(self, runtime, factory):
        self.runtime, self.factory = runtime, factory
        self.team = factory.team()
        with runtime.sessions() as session, session.begin():
            for code in ("orders", "lang_en"):
                session.add(Skill(code=code, name=code))
        self.skills = {"orders": 1, "lang_en": 2}

    def queue(self, code="chat_orders", channel="webchat", strategy="skill_first", min_level=2, **extra):
        with self.runtime.sessions() as session, session.begin():
            session.add(
                Queue(
                    code=code,
                    name=code,
                    channel=channel,
                    strategy=strategy,
                    required_skills=[{"skill": "orders", "min_level": min_level}],
                    overflow_steps=extra.pop("overflow_steps", []),
                    **extra,
                )
            )
        return code

    def agent(self, level=3, state="available", capacity=None, team=None, idle_minutes=0):
        user = self.factory.user(Role.agent, team or self.team)
        now = clock.now()
        with self.runtime.sessions() as session, session.begin():
            session.add(
                AgentProfile(
                    user_id=user.id,
                    languages=["zh_CN"],
                    channel_capacity=capacity or {"webchat": 3, "voice": 1},
                    max_concurrent=5,
                )
            )
            session.add(AgentSkill(user_id=user.id, skill_id=self.skills["orders"], level=level))
            session.add(
                AgentPresence(
                    user_id=user.id,
                    state=state,
                    since=now,
                    idle_since=now.replace(minute=0) if idle_minutes else now,
                )
            )
        return user


@pytest.fixture
def centre(runtime, factory, frozen_clock):
    return Centre(runtime, factory)
