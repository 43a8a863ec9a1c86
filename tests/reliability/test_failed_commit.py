"""A COMMIT that fails leaves the database as it was, wakes no relay, and leaves no pooled
connection inside the failed transaction (the regression test of storage/database.py's
pool reset)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from storage.database import get_engine
from storage.models import OutboxEvent, Room
from storage.unit_of_work import UnitOfWork, add_commit_listener
from tests.conftest import ANNA, HOTEL, outbox, snapshot
from tests.reliability.operations import OPERATIONS
from workflows.services.checkout import BookingRef, checkout_booking


class InjectedFault(Exception):
    pass


@contextmanager
def failing_commit() -> Iterator[list[int]]:
    """COMMIT fails after every row was flushed, before the database has ended the
    transaction (as when SQLite answers SQLITE_BUSY, or the commit never gets sent)."""
    commits: list[int] = []

    def fail(*_: Any) -> None:
        commits.append(1)
        raise InjectedFault("commit failed")

    engine = get_engine()
    event.listen(engine, "commit", fail)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", fail)


def pooled_connections_in_a_transaction() -> int:
    """How many idle pooled connections still hold an open transaction."""
    pool = get_engine().pool
    connections = [pool.connect() for _ in range(pool.checkedin())]
    try:
        return sum(_in_transaction(c.driver_connection) for c in connections)
    finally:
        for connection in connections:
            connection.close()


def _in_transaction(connection: Any) -> bool:
    if hasattr(connection, "in_transaction"):  # sqlite3
        return bool(connection.in_transaction)
    return connection.info.transaction_status != 0  # psycopg: 0 is IDLE


@pytest.mark.parametrize("operation", OPERATIONS)
def test_failing_commit_leaves_everything_as_it_was(hotel: str, operation: str) -> None:
    before = snapshot()
    with failing_commit() as commits, pytest.raises(InjectedFault):
        OPERATIONS[operation]()
    assert commits == [1]
    assert pooled_connections_in_a_transaction() == 0
    assert snapshot() == before
    OPERATIONS[operation]()  # the same operation then succeeds, once
    assert outbox() != []


def test_failing_commit_never_wakes_the_relay(hotel: str) -> None:
    """Commit listeners (the relay's wake-up) run only for a durable commit."""
    woken: list[str] = []
    unregister = add_commit_listener(lambda: woken.append("relay"))
    try:
        with failing_commit(), pytest.raises(InjectedFault), UnitOfWork() as uow:
            hotel_id = uow.session.exec(select(Room.hotel_id)).first()
            uow.session.add(
                OutboxEvent(hotel_id=hotel_id, channel="hotel-x", event_name="e", payload={})
            )
            uow.commit()
    finally:
        unregister()
    assert woken == [] and outbox() == []
    assert pooled_connections_in_a_transaction() == 0


def test_a_failing_commit_listener_does_not_fail_a_committed_checkout(hotel: str) -> None:
    def broken_wake_up() -> None:
        raise RuntimeError("relay wake-up broke")

    unregister = add_commit_listener(broken_wake_up)
    try:
        outcome = checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)
    finally:
        unregister()
    assert outcome.booking.status == "COMPLETED"
    assert [name for name, _ in outbox()] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",
    ]
