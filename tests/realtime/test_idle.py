"""An idle server stays idle: only a commit that wrote outbox rows wakes the relay and the
event streams, so with nothing to deliver they look once per poll interval and the worker
uses next to no CPU (issue 18: the relay's own bookkeeping commits used to wake it)."""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from config.settings import get_settings
from storage import outbox
from storage.database import get_engine
from storage.unit_of_work import UnitOfWork, add_commit_listener
from tests.conftest import ANNA, HOTEL
from tests.realtime.conftest import FAST, add_events, wait_until
from tests.realtime.live_server import SseReader, running_app
from tests.realtime.test_sse import EVENTS, staff_token
from tests.reliability.server_process import turnover_server
from workers.publishers import StreamOnlyPublisher
from workers.relay import Relay
from workflows.services.checkout import BookingRef, checkout_booking

POLL_SECONDS = 0.2


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement this process sends from now on."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def claims(sent: list[str]) -> int:
    return sum("outboxevent.claimed_by !=" in statement for statement in sent)


def stream_reads(sent: list[str]) -> int:
    return sum("outboxevent.hotel_id =" in statement for statement in sent)


def test_only_commits_that_wrote_outbox_rows_wake_the_consumers(hotel: str) -> None:
    woken: list[int] = []
    unregister = add_commit_listener(lambda: woken.append(1))
    try:
        checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)
        assert len(woken) == 1

        relay = Relay(StreamOnlyPublisher(), FAST)
        # the checkout's three events (booking, room, the room's departure task)
        assert relay.run_once().delivered == 3
        assert relay.run_once().claimed == 0
        with UnitOfWork() as uow:  # a write without events
            outbox.mark_failed(uow.session, 1, "not pending any more: changes nothing")
            uow.commit()
        assert len(woken) == 1

        [failed] = add_events(HOTEL, 1)
        with UnitOfWork() as uow:
            outbox.mark_failed(uow.session, failed, "for the test")
            uow.commit()
        assert len(woken) == 2
        with UnitOfWork() as uow:  # requeued events are work again
            assert outbox.requeue_failed(uow.session) == 1
            uow.commit()
        assert len(woken) == 3
    finally:
        unregister()


@pytest.fixture
def idle_app(hotel: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app with its in-process relay (no Pusher), polling every POLL_SECONDS."""
    for name in ("APP_ID", "KEY", "SECRET"):
        monkeypatch.delenv(f"TURNOVER_PUSHER_{name}", raising=False)
    monkeypatch.setenv("TURNOVER_RELAY_POLL_SECONDS", str(POLL_SECONDS))
    get_settings.cache_clear()
    with running_app() as url:
        yield url
    get_settings.cache_clear()


def test_an_idle_relay_and_stream_read_the_outbox_once_per_poll_interval(
    idle_app: str,
) -> None:
    token = staff_token(HOTEL, "frank")
    with (
        httpx.Client(base_url=idle_app, timeout=60) as client,
        client.stream("GET", EVENTS.format(hotel=HOTEL), params={"token": token}) as response,
    ):
        SseReader(response.iter_lines()).wait_comment("connected")
        with statements() as sent:
            started = time.monotonic()
            wait_until(lambda: claims(sent) >= 6)
            elapsed = time.monotonic() - started
            reads = stream_reads(sent)

    # Six claims are five waits of a poll interval apart unless something woke the relay
    # (a machine slower than expected only makes `elapsed` longer).
    assert elapsed >= 5 * POLL_SECONDS * 0.9, f"6 claims in {elapsed:.3f} s"
    assert reads <= 2 * 6 + 2, f"{reads} stream reads while the relay claimed 6 times"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_an_idle_server_process_uses_almost_no_cpu(hotel: str, tmp_path: Path) -> None:
    url = get_engine().url.render_as_string(hide_password=False)
    env = {"TURNOVER_RELAY_POLL_SECONDS": "0.2"}
    with turnover_server(url, tmp_path / "server.log", workers=1, env=env):
        pid = _server_pid(tmp_path / "server.log")  # one worker: the server process itself
        before, started = cpu_seconds(pid), time.monotonic()
        time.sleep(3)  # the measurement window, nothing is waited for
        used = cpu_seconds(pid) - before
        share = used / (time.monotonic() - started)
    # Spinning, the relay thread took 45-75% of a core; idle it takes well under 1%.
    assert share < 0.10, f"idle server used {share:.0%} of a core"


def _server_pid(log: Path) -> int:
    """uvicorn logs "Started server process [pid]"."""
    for line in log.read_text().splitlines():
        if "Started server process" in line:
            return int(line.rsplit("[", 1)[1].split("]")[0])
    raise AssertionError(f"no server pid in {log}")
