"""The error envelope: every error is `{"error": {"code", "message"}}` (+ `details`)."""

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.request_checks import json_problem
from workflows.machines.errors import (
    INTERNAL_ERROR,
    VALIDATION_ERROR,
    DomainError,
    ErrorCode,
    http_status_of,
)

log = logging.getLogger("turnover.api")

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
    """An error raised by the API layer itself (auth, scoping), not by the domain. Its HTTP
    status and usual message come from the error-code registry."""

    def __init__(
        self, code: ErrorCode, message: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.code, self.status = code.name, code.http_status
        self.message = message or code.message
        self.headers = headers
        super().__init__(self.message)


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
        return error_response(http_status_of(error.code), error.code, error.message)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        details = _validation_details(error)
        message = json_problem(error) or VALIDATION_ERROR.message
        return error_response(422, VALIDATION_ERROR.name, message, details)

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
        return error_response(500, INTERNAL_ERROR.name, message)
