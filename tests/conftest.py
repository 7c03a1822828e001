"""Shared fixtures: a migrated database per test on every configured backend, an app client, a frozen clock.

SQLite always runs. PostgreSQL runs when KEFU_TEST_POSTGRES_URL is set and Redis when KEFU_TEST_REDIS_URL
is set; when set, an unreachable server fails the whole run instead of skipping (CI sets both).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from kefu.access.actions import do_create_api_token, do_create_user
from kefu.access.models import ApiToken, Team, User
from kefu.access.passwords import hash_password
from kefu.access.permissions import permissions_of
from kefu.access.roles import Role
from kefu.core import migrate
from kefu.core.clock import FrozenClock, use_clock
from kefu.core.config import Settings
from kefu.core.db import make_engine
from kefu.core.registry import metadata
from kefu.core.runtime import Runtime, open_runtime
from kefu.web.app import create_app

POSTGRES_URL = os.environ.get("KEFU_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])
TEST_PASSWORD = "correct horse battery staple"


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = []
    if POSTGRES_URL:
        try:
            with create_engine(_psycopg(POSTGRES_URL)).connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001
            problems.append(f"KEFU_TEST_POSTGRES_URL={POSTGRES_URL} unreachable: {exc}")
    if REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"KEFU_TEST_REDIS_URL={REDIS_URL} unreachable: {exc}")
    if problems:
        pytest.exit("; ".join(problems), returncode=3)


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file, which is far faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "kefu.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """One schema per test process (xdist worker), migrated once and dropped at the end of the run."""
    assert POSTGRES_URL
    schema = f"kefu_test_{os.getpid()}"
    admin = create_engine(_psycopg(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{_psycopg(POSTGRES_URL)}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "kefu.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        auto_migrate=False,
        # Background work (routing rounds, the plan warm-up) runs only when a test asks: deterministic.
        routing_interval_seconds=0,
        sla_sweep_interval_seconds=0,
        plan_warmup=False,
        channel_workers=False,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = open_runtime(settings, run_migrations=False)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """Time stands at Monday 2 March 2026, 09:00 in Shanghai (01:00 UTC) until the test moves it."""
    clock = FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    with use_clock(clock):
        yield clock


class Factory:
    """Creates people and credentials through kefu's own actions, committed, for tests to act as."""

    _password_hash = hash_password(TEST_PASSWORD)

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._count = 0

    def team(self, code: str = "") -> Team:
        self._count += 1
        with self.runtime.sessions() as session, session.begin():
            team = Team(code=code or f"team{self._count}", name=f"Team {self._count}")
            session.add(team)
        return team

    def user(self, role: Role | str = Role.agent, team: Team | None = None, username: str = "") -> User:
        self._count += 1
        with self.runtime.sessions() as session, session.begin():
            return do_create_user(
                session,
                username=username or f"{Role(role).value}{self._count}",
                display_name="Test User",
                role=Role(role),
                password_hash=self._password_hash,
                team_id=team.id if team else None,
            )

    def token(self, user: User, scopes: list[str] | None = None) -> tuple[ApiToken, str]:
        """A token scoped to `scopes`, or to everything the user's role may do."""
        granted = scopes if scopes is not None else sorted(p.value for p in permissions_of(user.role))
        with self.runtime.sessions() as session, session.begin():
            return do_create_api_token(session, user_id=user.id, name="test", scopes=granted)

    def auth(self, user: User, scopes: list[str] | None = None) -> dict[str, str]:
        """Headers that authenticate as `user` through an API token."""
        return {"Authorization": f"Bearer {self.token(user, scopes)[1]}"}


@pytest.fixture
def factory(runtime: Runtime) -> Factory:
    return Factory(runtime)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def kefu_serve(data_dir: Path, **env: str) -> Iterator[str]:
    """A real `kefu serve` on SQLite in `data_dir` (extra KEFU_* settings in `env`); yields its base URL
    once /readyz answers, and stops it afterwards."""
    port = unused_port()
    environ = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_PLAN_WARMUP": "false", **env}
    environ.pop("KEFU_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("kefu serve did not become ready")
        yield base
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def serve():
    """`with serve(data_dir, KEFU_X="…") as base_url:` runs a real kefu server for the block."""
    return kefu_serve


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    return unused_port()
