"""A lost database connection is retried once where that is safe, else answered 503.

PostgreSQL restarting, a backend terminated (`pg_terminate_backend`, a failover) or the
server unreachable fail the request's statement with an error that used to answer 500.

- Before any unit of work of the request sent COMMIT, the request's transactions died with
  the connection: nothing was stored, so the whole request is run once more (the pool
  replaces dead connections), and the caller sees only the answer of the second run.
- Otherwise (the connection was lost during COMMIT, the second run failed too, or a
  deadlock still happened after the services' retries) the answer is
  503 `DATABASE_UNAVAILABLE` in the error envelope with a `Retry-After` header, saying
  whether anything may have been stored.

Nothing is retried once the response has started (an event stream): its client resumes
with Last-Event-ID.
"""

import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from storage.transient_errors import (
    CommitOutcomeUnknown,
    is_connection_lost,
    is_database_unavailable,
)
from storage.unit_of_work import track_commits

log = logging.getLogger("turnover.api")

RETRY_AFTER_SECONDS = 2
NOTHING_STORED = (
    "The database is unavailable; nothing was stored. Repeat the request in a moment (Retry-After)."
)
MAYBE_STORED = (
    "The database connection was lost while the change was being committed: it may or "
    "may not have been stored. Read it back, or repeat the request (Retry-After): a "
    "checkout already done answers as such."
)


class _ReplayableReceive:
    """Keeps the request messages the app read, to give them again to a second run."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._received: list[Message] = []

    def for_attempt(self) -> Receive:
        replay = iter(list(self._received))

        async def receive() -> Message:
            for message in replay:
                return message
            message = await self._receive()
            self._received.append(message)
            return message

        return receive


class DatabaseUnavailable:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages = _ReplayableReceive(receive)
        response_started = False

        async def tracked_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        for attempt in (1, 2):
            with track_commits() as commits:
                try:
                    await self.app(dict(scope), messages.for_attempt(), tracked_send)
                    return
                except Exception as error:
                    if response_started or not is_database_unavailable(error):
                        raise
                    failure = error
            if attempt == 1 and is_connection_lost(failure) and not commits.started:
                _log(scope, failure, "running it again on a new connection")
                continue
            break
        maybe_stored = commits.started or isinstance(failure, CommitOutcomeUnknown)
        reference = _log(scope, failure, "answering 503")
        response = error_response(
            503,
            "DATABASE_UNAVAILABLE",
            f"{MAYBE_STORED if maybe_stored else NOTHING_STORED} (request id {reference})",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        await response(scope, receive, send)


def _log(scope: Scope, error: Exception, outcome: str) -> str:
    reference = uuid.uuid4().hex[:12]
    cause = error.__cause__ or error
    log.warning(
        "request %s %s %s: database unavailable (%s: %s), %s",
        reference,
        scope["method"],
        scope["path"],
        type(cause).__name__,
        str(cause).strip().splitlines()[0] if str(cause).strip() else "",
        outcome,
    )
    return reference
