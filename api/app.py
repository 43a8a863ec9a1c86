"""The FastAPI application."""

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import checkout, health, workflows


def create_app() -> FastAPI:
    app = FastAPI(
        title="Turnover",
        summary="Hotel booking and room-turnover workflows on explicit state machines.",
        version="0.1.0",
        redirect_slashes=False,
    )
    install_error_handlers(app)
    for module in (health, checkout, workflows):
        app.include_router(module.router)
    return app
