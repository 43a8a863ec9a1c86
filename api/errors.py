"""The error envelope: every error is `{"error": {"code", "message"}}` (+ `details`)."""

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from workflows.machines.errors import DomainError

log = logging.getLogger("turnover.api")

STATUS_BY_CODE = {
    "BOOKING_NOT_FOUND": 404,
    "ROOM_NOT_FOUND": 404,
    "HOTEL_NOT_FOUND": 404,
    "NOT_FOUND": 404,
    "NOT_CHECKED_IN": 409,
    "CHECKOUT_FAILED": 409,
    "CHECKIN_FAILED": 409,
    "TRANSITION_NOT_ALLOWED": 409,
    "CONCURRENT_UPDATE": 409,
    "STAFF_EXISTS": 409,
    "NOT_AUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "VALIDATION_ERROR": 422,
    "WEBHOOK_NOT_FOUND": 404,
    "DELIVERY_NOT_FOUND": 404,
    "WEBHOOK_URL_NOT_ALLOWED": 422,
    "REPLAY_TOO_LARGE": 422,
}

CODE_BY_HTTP_STATUS = {
    400: "BAD_REQUEST",
    401: "NOT_AUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class ApiError(Exception):
    """An error raised by the API layer itself (auth, scoping), not by the domain."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        status_code=status, content=error_body(code, message, details), headers=headers
    )


def _validation_details(error: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
        for item in error.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        return error_response(STATUS_BY_CODE.get(error.code, 409), error.code, error.message)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        details = _validation_details(error)
        return error_response(422, "VALIDATION_ERROR", "The request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = CODE_BY_HTTP_STATUS.get(error.status_code, "HTTP_ERROR")
        # Keeps the exception's headers, e.g. the `Allow` a 405 must carry (RFC 9110).
        return error_response(error.status_code, code, str(error.detail), headers=error.headers)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        log.exception("request %s %s %s failed", request_id, request.method, request.url.path)
        message = f"Internal error (request id {request_id})"
        return error_response(500, "INTERNAL_ERROR", message)
