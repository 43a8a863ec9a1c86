"""Errors on the pages are pages: a readable message, never an error envelope or a trace.

The app's error handlers (api/errors.py) answer every request with the JSON envelope; here
they are wrapped so that a page request (a path of the pages, asked by a browser for HTML)
gets an HTML page with the same message instead. The pages' own fetches ask for JSON and
get the envelope, whose `message` the script shows. Everything else is as before.
"""

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import ApiError, error_response
from web.refusals import PageError, SignInRequired
from web.sessions import session_of
from web.templating import render_page
from workflows.machines.errors import DomainError, http_status_of

log = logging.getLogger("turnover.web")

PAGE_PREFIXES = ("/hotels/", "/sign-in", "/sign-out")

TITLES = {
    400: "The request could not be read",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "That did not happen",
    413: "Too large",
    415: "Not a form Turnover sent",
    422: "Something in the request is not right",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "The database is not answering",
}


def is_page_request(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(PAGE_PREFIXES)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _status_and_message(error: Exception) -> tuple[int, str, str]:
    if isinstance(error, PageError):
        return error.status, error.code, error.message
    if isinstance(error, DomainError):
        return http_status_of(error.code), error.code, error.message
    if isinstance(error, ApiError):
        return error.status, error.code, error.message
    if isinstance(error, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in error.errors()
        )
        return 422, "VALIDATION_ERROR", f"Something in the address is not right ({problems})"
    if isinstance(error, StarletteHTTPException):
        return error.status_code, "HTTP_ERROR", str(error.detail)
    request_id = uuid.uuid4().hex[:12]
    log.error("page request failed (request id %s)", request_id, exc_info=error)
    return 500, "INTERNAL_ERROR", f"Something went wrong on the server (request id {request_id})"


def install_page_errors(app: FastAPI) -> None:
    """Wrap the app's handlers: pages get HTML, everything else what it got before."""
    handled = (DomainError, ApiError, RequestValidationError, StarletteHTTPException, Exception)
    for error_type in handled:
        app.add_exception_handler(error_type, _for_pages(app.exception_handlers.get(error_type)))
    app.add_exception_handler(PageError, _for_pages(None))
    app.add_exception_handler(SignInRequired, _sign_in_first)


def _for_pages(api_handler: Any):  # type: ignore[no-untyped-def]
    async def handle(request: Request, error: Exception) -> Response:
        if api_handler is not None and not is_page_request(request):
            return await api_handler(request, error)
        status, code, message = _status_and_message(error)
        headers = getattr(error, "headers", None)
        if wants_json(request):
            return error_response(status, code, message, headers=headers)
        title = TITLES.get(status, "That did not work")
        page = render_page(
            request,
            "error.html",
            {"title": title, "message": message, "status": status},
            user=await run_in_threadpool(_best_effort_user, request),
            status_code=status,
        )
        if headers:
            page.headers.update(headers)
        return page

    return handle


def _best_effort_user(request: Request):  # type: ignore[no-untyped-def]
    """Who is signed in, for the page's header; nobody when that cannot be told (the
    database being the problem, say)."""
    try:
        return session_of(request)
    except Exception:
        return None


async def _sign_in_first(request: Request, _: Exception) -> Response:
    if wants_json(request):
        return error_response(401, "NOT_AUTHENTICATED", "Your session has ended; sign in again")
    target = request.url.path if request.method == "GET" else ""
    location = f"/?next={target}" if target.startswith("/hotels/") else "/"
    return RedirectResponse(location, status_code=303)
