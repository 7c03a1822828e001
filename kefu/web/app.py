"""The ASGI application: `create_app()` wires settings, database, event bus and routers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from kefu import __version__
from kefu.access import api as access_api
from kefu.access.permissions import Permission as P
from kefu.bot import api as bot_api
from kefu.bot.worker import start_bot_worker
from kefu.channels import api as channels_api
from kefu.channels import attachments_api, conversations_api, voice_api, webchat, webchat_uploads
from kefu.channels.settings import ChannelSettings
from kefu.channels.workers import start_channel_workers
from kefu.core import clock
from kefu.core.config import Settings
from kefu.core.dialect import start_wal_checkpoints
from kefu.core.logs import configure_logging
from kefu.core.runtime import Runtime, open_runtime
from kefu.customers import api as customers_api
from kefu.knowledge import api as knowledge_api
from kefu.routing import api as routing_api
from kefu.routing.leader import RoutingLeader
from kefu.surveys import api as surveys_api
from kefu.tickets import api as tickets_api
from kefu.tickets import sla_api
from kefu.tickets.sweeper import SlaSweeper
from kefu.web import health
from kefu.web.deps import require_by_method
from kefu.web.errors import install_error_handlers
from kefu.web.middleware import ResponseHeaders
from kefu.web.pages import pages_router, static_files
from kefu.wiring import connect_domains
from kefu.workforce import api as workforce_api
from kefu.workforce.service import warm_plan

API_PREFIX = "/api/v1"


def include_api(parent: APIRouter) -> None:
    """Every API router, each included straight into `parent` under /api/v1.

    Not under one /api/v1 router: FastAPI matches a request against an included router by first walking
    that router's whole route tree (to see whether it changed), so a router holding the whole API cost
    every request a walk over all its routes. Ticket creation, the busiest API call, comes first in a
    router of its own (a POST to /api/v1/tickets is matched after one route); the prefixes are disjoint,
    so the order changes no match.
    """
    tickets = [require_by_method(P.tickets_read, P.tickets_write)]
    routers: list[tuple[APIRouter, list]] = [
        (tickets_api.create_router, tickets),
        (tickets_api.router, tickets),
        (tickets_api.follow_up_router, tickets),
        (customers_api.router, [require_by_method(P.customers_read, P.customers_write)]),
    ]
    routers += [
        (r, [])
        for r in (
            access_api.router, channels_api.router, routing_api.router, workforce_api.router,
            voice_api.router, conversations_api.router, attachments_api.router, webchat_uploads.router,
            tickets_api.status_router, tickets_api.reports_router, sla_api.router, surveys_api.router,
            knowledge_api.router, bot_api.router,
        )
    ]  # fmt: skip
    for router, dependencies in routers:
        parent.include_router(router, prefix=API_PREFIX, dependencies=dependencies)


def api_router() -> APIRouter:
    """The whole API in one router (for tests that walk its routes)."""
    router = APIRouter()
    include_api(router)
    return router


def _channel_settings(app: FastAPI) -> ChannelSettings:
    """The app's channel settings (a test or an embedding program may have set them on the app)."""
    if not hasattr(app.state, "channel_settings"):
        app.state.channel_settings = ChannelSettings()
    return app.state.channel_settings


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app; the runtime (engine, bus) opens now so a broken configuration fails at start-up."""
    settings = settings or Settings()
    connect_domains()
    configure_logging(settings.log_format, settings.log_level)
    runtime = runtime or open_runtime(settings, run_migrations=settings.auto_migrate)

    leader = RoutingLeader(runtime, settings.routing_interval_seconds)
    sweeper = SlaSweeper(runtime, settings.sla_sweep_interval_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop_checkpoints = start_wal_checkpoints(runtime.engine)
        if settings.routing_interval_seconds > 0:
            leader.start()
        stop_channel_workers = start_channel_workers(runtime) if settings.channel_workers else None
        stop_bot = start_bot_worker(runtime, lambda: _channel_settings(_app))
        if settings.plan_warmup:
            threading.Thread(
                target=warm_plan,
                args=(runtime.sessions, clock.now(), settings.timezone),
                name="kefu-plan-warmup",
                daemon=True,
            ).start()
        if settings.sla_sweep_interval_seconds > 0:
            sweeper.start()
        yield
        if stop_bot:
            stop_bot()
        if stop_channel_workers:
            stop_channel_workers()
        sweeper.stop()
        leader.stop()
        if stop_checkpoints:
            stop_checkpoints()
        runtime.close()

    app = FastAPI(
        title="kefu",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    # hardening headers, Content-Security-Policy and request metrics on every response
    app.add_middleware(ResponseHeaders, docs_url=app.docs_url)
    include_api(app.router)
    app.include_router(health.router)
    app.include_router(webchat.router)
    app.include_router(pages_router())
    app.mount("/static", static_files(), name="static")
    return app
