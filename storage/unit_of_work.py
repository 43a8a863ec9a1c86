"""One operation, one transaction: state, side effects, audit and outbox commit together."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from storage import outbox
from storage.database import get_engine, is_sqlite

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


class UnitOfWork:
    """Cosmic-python style: `with UnitOfWork() as uow: ...; uow.commit()`.

    Leaving the block without `commit()` rolls everything back. Commit listeners run only
    once the transaction is durable, and only if it wrote outbox rows.
    """

    def __init__(self, engine: Engine | None = None, *, write: bool = True) -> None:
        self.engine = engine
        self.write = write
        self.active = False

    def __enter__(self) -> "UnitOfWork":
        engine = self.engine or get_engine()
        if self.write and is_sqlite(engine):
            engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        self.session = Session(engine, expire_on_commit=False)
        self.session.begin()
        self.active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed; loaded rows stay readable.
        self.active = False
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
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
