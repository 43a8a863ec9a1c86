"""The FastAPI application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from api.body_limit import BodySizeLimit
from api.cors import install_cors
from api.database_unavailable import DatabaseUnavailable
from api.docs_pages import install_docs
from api.errors import install_error_handlers
from api.header_limits import HeaderLimits
from api.log_redaction import redact_tokens_in_access_log
from api.realtime import pusher_auth, sse
from api.realtime.lifespan import realtime_lifespan
from api.request_checks import check_request
from api.routes import (
    analytics,
    bookings,
    bulk_checkout,
    checkout,
    front_desk,
    health,
    housekeeping,
    rooms,
    staff,
    webhooks,
    workflows,
)
from api.scheduler_jobs import scheduler_lifespan
from storage.database import prepare_database

ROUTERS = (
    health,
    checkout,
    bookings,
    rooms,
    housekeeping,
    bulk_checkout,
    front_desk,
    sse,
    pusher_auth,
    workflows,
    staff,
    webhooks,
    analytics,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    prepare_database()  # upgrades the schema unless TURNOVER_AUTO_MIGRATE=0
    async with realtime_lifespan(app), scheduler_lifespan():
        yield


def create_app(engine: Engine | None = None) -> FastAPI:
    """The composition root of the API: `engine` (default: TURNOVER_DATABASE_URL's) backs
    every request's unit of work."""
    app = FastAPI(
        title="Turnover",
        summary="Hotel booking and room-turnover workflows on explicit state machines.",
        version="0.1.0",
        redirect_slashes=False,
        lifespan=lifespan,
        dependencies=[Depends(check_request)],  # unknown query parameters, unreadable bodies
        docs_url=None,  # /docs and /redoc: install_docs, with assets served from here
        redoc_url=None,
    )
    app.state.engine = engine
    install_docs(app)
    install_error_handlers(app)
    redact_tokens_in_access_log()
    app.add_middleware(DatabaseUnavailable)  # inside the body limit: replays a small body
    app.add_middleware(BodySizeLimit)
    app.add_middleware(HeaderLimits)  # outermost: checked before anything else
    install_cors(app)  # CORS answers preflights before anything else but the header limits
    for module in ROUTERS:
        app.include_router(module.router)
    return app
