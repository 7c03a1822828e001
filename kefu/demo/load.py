"""Write the generated demo centre into a database, with a progress bar."""

from __future__ import annotations

from datetime import date

from rich.progress import Progress
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from kefu.access.passwords import HASHER
from kefu.core.dialect import reset_sequences
from kefu.core.registry import metadata
from kefu.demo.generate import DEMO_PASSWORD, DemoData, generate

BATCH = 2000
# A fixed salt for the shared demo password keeps two generations byte-identical; demo accounts only.
DEMO_SALT = b"kefu-demo-salt-16"


def demo_password_hash() -> str:
    return HASHER.hash(DEMO_PASSWORD, salt=DEMO_SALT)


def load(
    sessions: sessionmaker[Session], anchor: date, seed: int = 2026, show_progress: bool = True
) -> DemoData:
    data = generate(anchor, seed=seed, password_hash=demo_password_hash())
    ordered = [t.name for t in metadata.sorted_tables if t.name in data.tables]
    total = sum(len(data.tables[name]) for name in ordered)
    with sessions() as session, session.begin(), Progress(disable=not show_progress) as progress:
        task = progress.add_task("Generating the demo centre", total=total)
        team_leads = _detach_team_leads(data)
        for name in ordered:
            rows = data.tables[name]
            for i in range(0, len(rows), BATCH):
                session.execute(insert(metadata.tables[name]), rows[i : i + BATCH])
                progress.advance(task, len(rows[i : i + BATCH]))
        teams = metadata.tables["teams"]
        for team_id, lead_id in team_leads:
            session.execute(teams.update().where(teams.c.id == team_id).values(lead_id=lead_id))
        reset_sequences(
            session, [n for n in ordered if "id" in metadata.tables[n].c and n != "agent_profiles"]
        )
    return data


def _detach_team_leads(data: DemoData) -> list[tuple[int, int]]:
    """teams.lead_id points at users, which point at teams: insert teams without leads, then set them."""
    rows = data.tables["teams"]
    leads = [(row["id"], row["lead_id"]) for row in rows]
    data.tables["teams"] = [{**row, "lead_id": None} for row in rows]
    return leads
