"""The roles of the glossary (pure)."""

from enum import StrEnum


class Role(StrEnum):
    agent = "agent"
    team_lead = "team_lead"
    qa_specialist = "qa_specialist"
    trainer = "trainer"
    supervisor = "supervisor"
    admin = "admin"
