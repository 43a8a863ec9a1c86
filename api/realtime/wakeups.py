"""Wakes the event streams of this process right after a commit, from any thread."""

import asyncio
import contextlib
from collections.abc import Iterator
from contextlib import contextmanager


class StreamWakeups:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiters: set[asyncio.Event] = set()

    def notify(self) -> None:
        """Thread-safe: called by the commit listener, usually from a worker thread."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
            self._loop.call_soon_threadsafe(self._set_all)

    def _set_all(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    @contextmanager
    def waiter(self) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiters.add(event)
        try:
            yield event
        finally:
            self._waiters.discard(event)
