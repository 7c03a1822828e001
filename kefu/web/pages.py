"""The console's pages and static assets, mounted by create_app()."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from kefu.web.console import admin, live, sign_in, supervisor, ticket_handoffs, tickets, workforce, workspace

STATIC_DIR = Path(__file__).resolve().parent / "static"


def pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", lambda: RedirectResponse("/console", status_code=303), methods=["GET"])
    router.include_router(sign_in.router)
    router.include_router(workspace.router)
    router.include_router(supervisor.router)
    router.include_router(live.router)
    router.include_router(workforce.router)
    router.include_router(tickets.router)
    router.include_router(ticket_handoffs.router)
    router.include_router(admin.router)
    return router


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
