"""The app `turnover serve` and `make run` serve: the API and the pages, one process."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api.app import create_app as create_api_app
from web.errors import install_page_errors
from web.routes import analytics, board, sign_in
from web.templating import STATIC_DIR, STATIC_URL

PAGE_ROUTERS = (sign_in, board, analytics)


def create_app(engine: Engine | None = None) -> FastAPI:
    app = create_api_app(engine)
    app.mount(STATIC_URL, StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in PAGE_ROUTERS:
        app.include_router(module.router)
    install_page_errors(app)
    return app
