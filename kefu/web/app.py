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


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    # Tickets first: FastAPI tries the routes one by one, and ticket creation is the busiest API call
    # (their prefixes are their own, so the order changes no match).
    router.include_router(
        tickets_api.router, dependencies=[require_by_method(P.tickets_read, P.tickets_write)]
    )
    router.include_router(
        tickets_api.follow_up_router, dependencies=[require_by_method(P.tickets_read, P.tickets_write)]
    )
    router.include_router(
        customers_api.router, dependencies=[require_by_method(P.customers_read, P.customers_write)]
    )
    router.include_router(access_api.router)
    router.include_router(channels_api.router)
    router.include_router(routing_api.router)
    router.include_router(workforce_api.router)
    router.include_router(voice_api.router)
    router.include_router(conversations_api.router)
    router.include_router(attachments_api.router)
    router.include_router(webchat_uploads.router)
    router.include_router(tickets_api.status_router)
    router.include_router(tickets_api.reports_router)
    router.include_router(sla_api.router)
    router.include_router(surveys_api.router)
    router.include_router(knowledge_api.router)
    router.include_router(bot_api.router)
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
    app.include_router(health.router)
    app.include_router(api_router())
    app.include_router(webchat.router)
    app.include_router(pages_router())
    app.mount("/static", static_files(), name="static")
    return app
