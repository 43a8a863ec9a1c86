"""Secrets stay secret: bearer tokens are stored only as hashes, and no token or Pusher
secret shows in any log record (captured at DEBUG, SQL included), error body, response
header or stored relay error, through successes, refusals, a 500 and a Pusher that
answers 401 and then 500."""

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

import api.routes.rooms
from admin.demo import ensure_demo
from api.log_redaction import REDACTED
from config.settings import get_settings
from storage.models import OutboxEvent, Staff, StaffToken
from storage.unit_of_work import UnitOfWork
from tests.api.conftest import OTHER_HOTEL, new_staff_token
from tests.conftest import HOTEL, rows, seed, snapshot
from tests.realtime.conftest import wait_until
from tests.realtime.fake_pusher import APP_ID, KEY, FakePusher
from tests.realtime.live_server import running_app
from workflows.services.staff_accounts import issue_token, new_token, set_password

# Not the stand-in's secret: it answers 401 (bad signature) to everything we send.
PUSHER_SECRET = "pusher-secret-that-must-never-show-7f3a9c"
BASE = f"/api/staff/hotels/{HOTEL}"


def every_stored_text() -> str:
    """Every value of every row of every table, as one string."""
    return repr(snapshot())


def test_tokens_and_passwords_are_stored_only_as_hashes(hotel: str, tmp_path: Path) -> None:
    seeded = "seeded-token-0123456789abcdef"
    seed({"hotels": [], "staff": [{"hotel": HOTEL, "username": "s", "token": seeded}]})
    issued = [seeded, new_staff_token(HOTEL, "maria"), new_staff_token(OTHER_HOTEL, "sean")]
    with UnitOfWork() as uow:
        maria = uow.session.exec(select(Staff).where(Staff.username == "maria")).one()
        issued.append(issue_token(uow.session, maria, name="laptop").secret)
        set_password(maria, "maria-password-7f3a9c")
        uow.commit()
    with UnitOfWork() as uow:  # the demo hotel is this hotel: its staff get demo tokens
        demo = ensure_demo(uow.session, tmp_path / "demo.json")
        issued += [m.token for m in demo.members]
        uow.commit()

    stored = every_stored_text()
    for secret in [*issued, "maria-password-7f3a9c", *(m.password for m in demo.members)]:
        assert secret not in stored
    hashes = {token.token_hash for token in rows(StaffToken)}
    assert len(issued) == len(hashes) >= 10
    assert {hashlib.sha256(token.encode()).hexdigest() for token in issued} == hashes
    assert all(s.password_hash.startswith("$argon2id$") for s in rows(Staff) if s.password_hash)


@contextmanager
def app_logging_everything() -> Iterator[str]:
    """The app under uvicorn without its own logging set-up, so that every record (access
    log included) reaches the root logger that caplog listens on."""
    with running_app(log_config=None, log_level="debug") as url:
        yield url


@pytest.fixture
def pusher_answering_401(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePusher]:
    server = FakePusher().start()
    settings = {
        "PUSHER_APP_ID": APP_ID,
        "PUSHER_KEY": KEY,
        "PUSHER_SECRET": PUSHER_SECRET,
        "PUSHER_HOST": "127.0.0.1",
        "PUSHER_PORT": str(server.port),
        "PUSHER_SSL": "0",
        "PUSHER_PRIVATE": "1",
        "RELAY_POLL_SECONDS": "0.05",
        "RELAY_MAX_BACKOFF_SECONDS": "0.1",
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"TURNOVER_{name}", value)
    get_settings.cache_clear()
    yield server
    get_settings.cache_clear()
    server.stop()


def exchange(client: httpx.Client, method: str, url: str, **kwargs: Any) -> str:
    """Send a request; return everything the caller got back (headers and body)."""
    with client.stream(method, url, **kwargs) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            body = next(response.iter_lines())  # the stream's first line, then hang up
        else:
            body = response.read().decode()
    return f"{response.status_code} {dict(response.headers)} {body}"


def test_no_token_or_pusher_secret_in_logs_error_bodies_or_stored_errors(
    hotel: str,
    pusher_answering_401: FakePusher,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = new_staff_token(HOTEL, "maria", role="manager")  # may try an inspection
    superuser = new_staff_token(HOTEL, "root", superuser=True)
    other_hotel = new_staff_token(OTHER_HOTEL, "sean")
    unknown = new_token()
    secrets = [staff, superuser, other_hotel, unknown, PUSHER_SECRET]

    def failing_room_list(**_: Any) -> None:
        raise RuntimeError("the room list broke")

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # SQLAlchemy defaults it to WARN
    answers = []
    with (
        app_logging_everything() as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):

        def call(method: str, path: str, token: str | None = None, **kwargs: Any) -> None:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answers.append(exchange(client, method, path, headers=headers, **kwargs))

        call("POST", f"{BASE}/room-bookings/BK-1/check-out/", staff)  # 200, relay gets 401s
        call("GET", f"{BASE}/rooms/", unknown)  # 401
        call("GET", f"{BASE}/rooms/", other_hotel)  # 403
        call("POST", f"/api/staff/hotel/{HOTEL}/rooms/checkout/", staff, json={"x": staff})
        call("POST", f"{BASE}/rooms/104/transitions/", staff, json={"event": "pass_inspection"})
        call("GET", f"{BASE}/events/", params={"token": staff})  # EventSource: token in query
        call("GET", f"{BASE}/events/", params={"token": unknown})  # 401
        channel = {"socket_id": "1.2", "channel_name": f"private-hotel-{HOTEL}"}
        call("POST", "/api/pusher/auth", superuser, data=channel)  # 200, signed
        call("POST", "/api/pusher/auth", superuser, data={**channel, "socket_id": "x"})  # 422
        monkeypatch.setattr(api.routes.rooms, "list_rooms", failing_room_list)
        call("GET", f"{BASE}/rooms/", staff)  # 500
        wait_until(lambda: any("BadAuth" in (row.last_error or "") for row in rows(OutboxEvent)))
        pusher_answering_401.mode = "error"
        wait_until(lambda: any("500" in (row.last_error or "") for row in rows(OutboxEvent)))

    statuses = sorted(int(answer.split()[0]) for answer in answers)
    assert statuses == [200, 200, 200, 401, 401, 403, 409, 422, 422, 500]
    # What the server logged (not the test's own httpx client), formatted with tracebacks.
    server_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(caplog.handler.format(record) for record in server_records)
    assert "uvicorn.access" in logged  # everything was captured, access log and SQL too
    assert "sqlalchemy.engine" in logged
    assert "publishing failed" in logged and "the room list broke" in logged
    assert f"/events/?token={REDACTED}" in logged
    stored_errors = " ".join(row.last_error or "" for row in rows(OutboxEvent))
    for secret in secrets:
        assert secret not in logged
        assert secret not in " ".join(answers)
        assert secret not in stored_errors
