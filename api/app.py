"""The FastAPI application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.body_limit import BodySizeLimit
from api.errors import install_error_handlers
from api.log_redaction import redact_tokens_in_access_log
from api.realtime import pusher_auth, sse
from api.realtime.lifespan import realtime_lifespan
from api.routes import bookings, bulk_checkout, checkout, health, rooms, webhooks, workflows
from storage.database import prepare_database

ROUTERS = (health, checkout, bookings, rooms, bulk_checkout, sse, pusher_auth, workflows, webhooks)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    prepare_database()  # upgrades the schema unless TURNOVER_AUTO_MIGRATE=0
    async with realtime_lifespan(app):
        yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="Turnover",
        summary="Hotel booking and room-turnover workflows on explicit state machines.",
        version="0.1.0",
        redirect_slashes=False,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    redact_tokens_in_access_log()
    app.add_middleware(BodySizeLimit)
    for module in ROUTERS:
        app.include_router(module.router)
    return app
