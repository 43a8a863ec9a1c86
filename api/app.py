"""The FastAPI application."""

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.realtime import pusher_auth, sse
from api.realtime.lifespan import realtime_lifespan
from api.routes import checkout, health


def create_app() -> FastAPI:
    app = FastAPI(
        title="Turnover",
        summary="Hotel booking and room-turnover workflows on explicit state machines.",
        version="0.1.0",
        redirect_slashes=False,
        lifespan=realtime_lifespan,
    )
    install_error_handlers(app)
    for module in (health, checkout, sse, pusher_auth):
        app.include_router(module.router)
    return app
