"""django-helpdesk as the peer of the ticket-creation benchmark, in its own venv (bench/.envs/helpdesk).

A minimal Django project on SQLite (WAL, write transactions BEGIN IMMEDIATE as kefu's, so that two workers
do not fail on "database is locked"), django-helpdesk's REST API (`POST /api/tickets/`, staff only) with
DRF token authentication (a hashed password per request would measure PBKDF2, not the ticket path), e-mail
to the dummy backend, served by gunicorn with 2 workers. Nothing of it enters kefu's dependencies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.server import free_port

ROOT = Path(__file__).resolve().parent / ".envs"
VENV = ROOT / "helpdesk"
PROJECT = ROOT / "helpdesk_project"
PYTHON = VENV / "bin" / "python"
PATH = "/api/tickets/"
PACKAGES = ["django-helpdesk==2.6.1", "gunicorn"]

SETTINGS = """
from pathlib import Path
BASE = Path(__file__).resolve().parent
SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "bench_project.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE / "helpdesk.db",
                         "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                                     "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}}
SITE_ID = 1
USE_TZ = True
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
HELPDESK_API_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False  # teams need pinax-teams; not used by ticket creation
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
"""
URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""
WSGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_project.settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
"""
SEED = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from helpdesk.models import Queue
staff = {"is_staff": True, "is_superuser": True}
user, _ = get_user_model().objects.get_or_create(username="bench", defaults=staff)
queue, _ = Queue.objects.get_or_create(slug="orders", defaults={"title": "Orders"})
token, _ = Token.objects.get_or_create(user=user)
print(token.key, queue.id)
"""


class Unavailable(RuntimeError):
    """The peer could not be installed or started here."""


def _run(*args: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_project.settings", "PYTHONPATH": str(PROJECT)}
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=PROJECT)
    if result.returncode != 0:
        raise Unavailable(f"{' '.join(args[:3])}: {result.stderr.strip()[-300:]}")
    return result.stdout


def install() -> None:
    """Its own venv (once), a fresh project and database, a staff user with a DRF token, one queue."""
    PROJECT.mkdir(parents=True, exist_ok=True)  # the working directory of every step below
    if not (VENV / "bin" / "gunicorn").exists():  # also finishes an install that was interrupted
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        _run(str(VENV / "bin" / "pip"), "install", "-q", *PACKAGES)
    package = PROJECT / "bench_project"
    package.mkdir(parents=True, exist_ok=True)
    for name, text in {"__init__.py": "", "settings.py": SETTINGS, "urls.py": URLS, "wsgi.py": WSGI}.items():
        (package / name).write_text(text.lstrip())
    for suffix in ("", "-wal", "-shm"):
        (package / f"helpdesk.db{suffix}").unlink(missing_ok=True)
    _run(str(PYTHON), "-m", "django", "migrate", "--noinput")


@contextmanager
def server(workers: int = 2) -> Iterator[tuple[str, dict[str, str], int, int]]:
    """gunicorn serving the project; yields the base URL, the auth headers, the queue id and the pid of
    gunicorn's master (its workers are its children)."""
    install()
    key, queue_id = _run(str(PYTHON), "-m", "django", "shell", "-v", "0", "-c", SEED).split()
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_project.settings", "PYTHONPATH": str(PROJECT)}
    command = [
        str(VENV / "bin" / "gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "bench_project.wsgi",
    ]
    process = subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Token {key}"}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}{PATH}", headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise Unavailable("gunicorn did not answer within 60 s")
        yield base, headers, int(queue_id), process.pid
    finally:
        process.terminate()
        process.wait(10)


def body(queue_id: int, title: str, description: str) -> dict[str, object]:
    return {"queue": queue_id, "title": title, "description": description,
            "submitter_email": "customer@example.com", "priority": 3}  # fmt: skip
