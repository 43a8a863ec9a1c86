"""Browser clients on other origins (CORS), off unless TURNOVER_CORS_ORIGINS lists them.

Exact origins may send credentials (the Authorization header); `*` lets any origin read
the API but without credentials, which the CORS rules forbid with a wildcard anyway.
Preflight requests are answered by the middleware, before authentication.
"""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from config.settings import get_settings

ALLOWED_METHODS = ["GET", "POST", "PATCH", "DELETE"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID"]
EXPOSED_HEADERS = ["Retry-After"]
PREFLIGHT_CACHE_SECONDS = 600


def install_cors(app: FastAPI) -> None:
    """Add the CORS middleware when origins are configured; call it after every other
    middleware so that it wraps them (refusals such as 413 carry the headers too)."""
    origins = get_settings().cors_origins
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials="*" not in origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_CACHE_SECONDS,
    )
