"""The real app under uvicorn on a free loopback port, and a small SSE reader for httpx."""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from api.app import create_app


@contextmanager
def running_app(
    app_factory: Callable[[], Any] = create_app, **uvicorn_options: Any
) -> Iterator[str]:
    """The app (`app_factory`'s: the API's, or web.app's with the pages) under uvicorn in a
    thread, on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = {"log_level": "warning", "timeout_graceful_shutdown": 2, **uvicorn_options}
    config = uvicorn.Config(app_factory(), **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a ceiling: a busy machine starts slowly
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()


@dataclass
class Message:
    id: str | None
    event: str | None
    data: Any


class SseReader:
    """Reads `text/event-stream` lines: events, and comments (keep-alives). A stream with
    keep-alives never goes quiet, so waiting for an event has a ceiling (checked at each
    line) instead of hanging a test whose event never comes."""

    def __init__(self, lines: Iterator[str], ceiling_seconds: float = 60) -> None:
        self.lines = lines
        self.comments: list[str] = []
        self.ceiling_seconds = ceiling_seconds

    def next_event(self) -> Message:
        fields: dict[str, str] = {}
        deadline = time.monotonic() + self.ceiling_seconds
        for line in self.lines:
            if time.monotonic() > deadline:
                raise AssertionError(f"no event within {self.ceiling_seconds} s")
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line == "":
                if "data" in fields:  # as in the SSE spec, a block without data is no event
                    return Message(
                        fields.get("id"), fields.get("event"), json.loads(fields["data"])
                    )
                fields = {}
            elif ":" in line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        raise AssertionError("stream ended")

    def wait_comment(self, text: str) -> None:
        for line in self.lines:
            if line.startswith(":") and text in line:
                return
        raise AssertionError("stream ended")
