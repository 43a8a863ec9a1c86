"""A database connection terminated under a request (`pg_terminate_backend`, as a restart
or a failover does) used to answer 500. Now the request is run again on a fresh connection
when none of its transactions reached COMMIT, and otherwise answered 503
DATABASE_UNAVAILABLE with Retry-After, saying whether anything may have been stored
(issue 11, item 8)."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

import api.routes.checkout
from api.app import create_app
from storage.database import get_engine
from storage.models import Booking, OutboxEvent, TransitionLog
from tests.api.conftest import BASE, Headers
from tests.conftest import rows, snapshot

CHECKOUT = f"{BASE}/room-bookings/BK-1/check-out/"
pytestmark = pytest.mark.usefixtures("api_hotel")
# pg_terminate_backend: these run on PostgreSQL only.
on_postgres = pytest.mark.parametrize(
    "database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def terminate(postgres_admin: Engine) -> Callable[[int], None]:
    def terminate_backend(pid: int) -> None:
        with postgres_admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    return terminate_backend


@contextmanager
def terminated_before(
    terminate: Callable[[int], None], statement_start: str, times: int = 1
) -> Iterator[list[str]]:
    """The app's connection is terminated just before its next `times` statements that
    start with `statement_start` (so each of them fails as if the server had gone)."""
    done: list[str] = []

    def before_cursor_execute(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if len(done) < times and statement.lstrip().startswith(statement_start):
            done.append(statement)
            terminate(cursor.connection.info.backend_pid)

    event.listen(get_engine(), "before_cursor_execute", before_cursor_execute)
    try:
        yield done
    finally:
        event.remove(get_engine(), "before_cursor_execute", before_cursor_execute)


def checkouts_logged() -> int:
    return sum(e.event == "check_out" and e.entity_kind == "booking" for e in rows(TransitionLog))


@on_postgres
def test_a_write_whose_connection_died_before_commit_is_run_again(
    staff: Headers, terminate, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(create_app())
    with terminated_before(terminate, "UPDATE booking SET status") as terminated:
        response = client.post(CHECKOUT, headers=staff)
    assert len(terminated) == 1
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Booking checked out successfully"
    assert checkouts_logged() == 1
    assert [e.event_name for e in rows(OutboxEvent)] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",  # the room's departure cleaning
    ]
    assert "running it again on a new connection" in caplog.text


@on_postgres
def test_a_read_whose_connection_died_is_run_again(staff: Headers, terminate) -> None:
    client = TestClient(create_app())
    with terminated_before(terminate, "SELECT room") as terminated:
        response = client.get(f"{BASE}/rooms/", headers=staff)
    assert len(terminated) == 1
    assert response.status_code == 200
    assert response.json()["total"] == 4  # the hotel's rooms 101-104


@on_postgres
def test_a_connection_lost_during_commit_is_503_maybe_stored(staff: Headers, terminate) -> None:
    """COMMIT never reached the server here, but the app cannot know that: 503 says the
    change may have been stored; repeating the checkout then does it (or reports it done)."""
    client = TestClient(create_app())
    # The token's last-used stamp is written now, so the checkout's COMMIT is the next one.
    assert client.get(BASE + "/rooms/", headers=staff).status_code == 200
    before = snapshot()
    commits: list[int] = []

    def terminate_at_commit(conn: Any) -> None:
        if not commits:
            commits.append(1)
            terminate(conn.connection.dbapi_connection.info.backend_pid)

    event.listen(get_engine(), "commit", terminate_at_commit)
    try:
        response = client.post(CHECKOUT, headers=staff)
    finally:
        event.remove(get_engine(), "commit", terminate_at_commit)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = response.json()["error"]
    assert error["code"] == "DATABASE_UNAVAILABLE"
    assert "may or may not have been stored" in error["message"]
    assert snapshot() == before
    again = client.post(CHECKOUT, headers=staff)
    assert again.status_code == 200 and again.json()["booking"]["status"] == "COMPLETED"
    assert checkouts_logged() == 1


@on_postgres
def test_a_database_gone_for_both_runs_is_503_nothing_stored(staff: Headers, terminate) -> None:
    client = TestClient(create_app())
    before = snapshot()
    with terminated_before(terminate, "UPDATE booking SET status", times=2) as terminated:
        response = client.post(CHECKOUT, headers=staff)
    assert len(terminated) == 2
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = response.json()["error"]
    assert error["code"] == "DATABASE_UNAVAILABLE"
    assert error["message"].startswith("The database is unavailable; nothing was stored.")
    assert snapshot() == before
    assert {b.booking_id: b.status for b in rows(Booking)}["BK-1"] == "CHECKED_IN"


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_deadlock_the_retries_did_not_settle_is_503(
    database: str, staff: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_deadlocked(**_: Any) -> None:
        raise OperationalError("UPDATE booking ...", {}, _Deadlock("deadlock detected"))

    monkeypatch.setattr(api.routes.checkout, "checkout_booking", always_deadlocked)
    response = TestClient(create_app()).post(CHECKOUT, headers=staff)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert "Retry-After" in response.headers


def test_other_errors_are_still_500(
    database: str, staff: Headers, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("a bug")

    caplog.set_level(logging.ERROR)
    monkeypatch.setattr(api.routes.checkout, "checkout_booking", broken)
    client = TestClient(create_app(), raise_server_exceptions=False)
    response = client.post(CHECKOUT, headers=staff)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
