"""One operation, one transaction: state, side effects, audit and outbox commit together."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from storage import outbox
from storage.database import get_engine, is_sqlite
from storage.transient_errors import CommitOutcomeUnknown, is_connection_lost

log = logging.getLogger("turnover.storage")

# Called after every successful commit in this process that wrote outbox rows, to wake the
# outbox relay and the event streams at once instead of at their next poll. Only those: the
# relay's own bookkeeping commits (claims, marking rows delivered) must not wake it, or an
# idle relay never waits.
_commit_listeners: list[Callable[[], None]] = []


def add_commit_listener(listener: Callable[[], None]) -> Callable[[], None]:
    """Register `listener` (called after commits that wrote outbox rows); returns a function
    that unregisters it."""
    _commit_listeners.append(listener)
    return lambda: _commit_listeners.remove(listener)


# How many units of work this thread (or task) has open: only the outermost one may be
# retried as a whole (see workflows/services/retries.py).
_open_units: ContextVar[int] = ContextVar("open_units_of_work", default=0)


def inside_unit_of_work() -> bool:
    return _open_units.get() > 0


@dataclass
class CommitTracker:
    """Whether any unit of work sent COMMIT while this tracker was active."""

    started: bool = False


_commit_tracker: ContextVar[CommitTracker | None] = ContextVar("commit_tracker", default=None)


@contextmanager
def track_commits() -> Iterator[CommitTracker]:
    """Tells a caller running several units of work (an HTTP request) whether any of them
    reached COMMIT; until then all of them can be run again safely. Threads started from
    inside the block with a copy of the context (Starlette's thread pool) report too."""
    tracker = CommitTracker()
    token = _commit_tracker.set(tracker)
    try:
        yield tracker
    finally:
        _commit_tracker.reset(token)


class UnitOfWork:
    """Cosmic-python style: `with UnitOfWork() as uow: ...; uow.commit()`.

    Leaving the block without `commit()` rolls everything back. Commit listeners run only
    once the transaction is durable, and only if it wrote outbox rows.
    """

    def __init__(
        self, engine: Engine | None = None, *, write: bool = True, repeatable: bool = False
    ) -> None:
        self.engine = engine
        self.write = write
        # A commit that may be done again harmlessly (a last-used stamp) does not make the
        # request it belongs to unsafe to run again (see `track_commits`).
        self.repeatable = repeatable
        self.active = False

    def __enter__(self) -> "UnitOfWork":
        engine = self.engine or get_engine()
        if self.write and is_sqlite(engine):
            engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        self.session = Session(engine, expire_on_commit=False)
        self.session.begin()
        self.active = True
        _open_units.set(_open_units.get() + 1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed; loaded rows stay readable.
        self.active = False
        _open_units.set(_open_units.get() - 1)
        self.session.close()

    def commit(self) -> None:
        # Statements first: a connection lost while they run loses the whole transaction,
        # which can then be run again. Once COMMIT is sent, the outcome of a lost
        # connection is unknown.
        self.session.flush()
        tracker = _commit_tracker.get()
        if tracker is not None and not self.repeatable:
            tracker.started = True
        try:
            self.session.commit()
        except DBAPIError as error:
            if is_connection_lost(error):
                raise CommitOutcomeUnknown("The connection was lost during COMMIT") from error
            raise
        if not outbox.take_new_work(self.session):
            return
        for listener in list(_commit_listeners):
            try:
                listener()
            except Exception:
                # The data is committed: a broken wake-up must not turn success into an error.
                log.exception("commit listener %r failed", listener)

    @contextmanager
    def savepoint(self) -> Iterator["UnitOfWork"]:
        """A nested transaction: an error inside undoes only what the block did."""
        with self.session.begin_nested():
            yield self


@contextmanager
def transaction(uow: UnitOfWork | None = None, *, write: bool = True) -> Iterator[UnitOfWork]:
    """Run in `uow` (the caller's, e.g. the request's; a new one when None): as a savepoint
    when it is already in a transaction, else as its transaction, committed on success when
    `write`."""
    uow = uow or UnitOfWork()
    if uow.active:
        with uow.savepoint():
            yield uow
        return
    uow.write = write
    with uow:
        yield uow
        if write:
            uow.commit()
