"""Outbound HTTP requests with a whole-request deadline (Pusher now, webhooks later).

httpx and requests bound each network operation (the connect, every read, every write),
not the request: a receiver that sends one header line every 2 s holds the caller as long
as it likes. Here a request runs on httpx's async client inside `asyncio.timeout`, which
cancels it wherever it is once the deadline has passed. Synchronous callers (the relay's
thread) drive a private event loop, kept between requests so that connections are reused.
"""

import asyncio
import threading

import httpx


class RequestTimedOut(Exception):
    """No complete answer before the deadline: the receiver may or may not have acted."""


class DeadlineHttpClient:
    """`request()` returns the whole response within `deadline_seconds`, or raises
    `RequestTimedOut`. For synchronous code only (not from inside a running event loop)."""

    def __init__(self, deadline_seconds: float) -> None:
        self.deadline_seconds = deadline_seconds
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                # The per-operation timeouts can never outlast the deadline either.
                self._client = httpx.AsyncClient(timeout=self.deadline_seconds)
            return self._loop.run_until_complete(self._send(method, url, headers, content))

    async def _send(
        self, method: str, url: str, headers: dict[str, str] | None, content: bytes | None
    ) -> httpx.Response:
        assert self._client is not None
        try:
            async with asyncio.timeout(self.deadline_seconds):
                return await self._client.request(method, url, headers=headers, content=content)
        except (TimeoutError, httpx.TimeoutException) as error:
            raise RequestTimedOut(
                f"request timed out: no complete answer within {self.deadline_seconds:g} s"
            ) from error
