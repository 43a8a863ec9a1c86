"""Refuse request bodies above a size with 413 in the error envelope.

Every body this API takes is a few hundred bytes. A declared Content-Length over the limit
is answered before anything is read; a chunked body is counted as it arrives.
"""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from api.numbers import parse_decimal

MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = f"The request body is larger than {MAX_BODY_BYTES} bytes"


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = parse_decimal(Headers(scope=scope).get("content-length", ""))
        if declared is not None and declared > self.max_bytes:
            response = error_response(413, "PAYLOAD_TOO_LARGE", TOO_LARGE)
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge  # FastAPI passes it on to the envelope handler
            return message

        await self.app(scope, counted_receive, send)
