"""The FastAPI application."""

from fastapi import FastAPI

from api.body_limit import BodySizeLimit
from api.errors import install_error_handlers
from api.routes import bookings, bulk_checkout, checkout, health, rooms, workflows


def create_app() -> FastAPI:
    app = FastAPI(
        title="Turnover",
        summary="Hotel booking and room-turnover workflows on explicit state machines.",
        version="0.1.0",
        redirect_slashes=False,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    for module in (health, checkout, bookings, rooms, bulk_checkout, workflows):
        app.include_router(module.router)
    return app
