"""Limits on a request's head (request line and headers), so that no caller, with or
without a token, can make a worker hold a head of any size in memory.

- `turnover serve` runs uvicorn with the h11 parser and `h11_max_incomplete_event_size`:
  a head larger than MAX_HEAD_BYTES is refused while it arrives (400, connection closed),
  before any of it reaches the app. (httptools, uvicorn's default when installed, has no
  such limit: a 50 MB header was answered 200 and a 300 MB one grew a worker by 280 MB.)
- The app refuses more than MAX_HEADERS headers, or heads over MAX_HEAD_BYTES however it
  is served (e.g. `uvicorn api.app:create_app` with httptools), with 431 in the envelope.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response

MAX_HEAD_BYTES = 32 * 1024
MAX_HEADERS = 100
TOO_LARGE = (
    f"The request's headers are too large (at most {MAX_HEADERS} headers and "
    f"{MAX_HEAD_BYTES // 1024} KiB in all)"
)

# uvicorn.run() options of `turnover serve`.
SERVER_OPTIONS = {"http": "h11", "h11_max_incomplete_event_size": MAX_HEAD_BYTES}


class HeaderLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _too_large(scope["headers"]):
            response = error_response(431, "REQUEST_HEADERS_TOO_LARGE", TOO_LARGE)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _too_large(headers: list[tuple[bytes, bytes]]) -> bool:
    if len(headers) > MAX_HEADERS:
        return True
    return sum(len(name) + len(value) + 4 for name, value in headers) > MAX_HEAD_BYTES
