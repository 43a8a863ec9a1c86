"""Killing the `turnover serve` worker that is in the middle of a given request.

The test holds a row lock; the first request that needs that row blocks inside a worker,
its PostgreSQL backend waiting on the test's session. That backend's client port names the
worker's socket, and /proc names the worker process holding it: that one gets SIGKILL
while its request is in flight, then the lock is released.
"""

import os
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, text

from storage.database import get_engine


def worker_pids(server_log: Path) -> list[int]:
    return [
        int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", server_log.read_text())
    ]


def _socket_inode(local_port: int) -> str | None:
    """The inode of the loopback TCP socket whose local port is `local_port`."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                return fields[9]
    return None


def _owner(pids: list[int], inode: str) -> int | None:
    for pid in pids:
        with os.scandir(f"/proc/{pid}/fd") as fds:
            for fd in fds:
                try:
                    if os.readlink(fd.path) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue  # closed meanwhile
    return None


@dataclass
class KillMidRequest:
    """Holds a lock on `booking_id` (a booking row id); kills the worker whose request
    waits for it, then lets go. Runs in a thread beside the clients."""

    booking_id: int
    server_log: Path
    ceiling_seconds: float = 120.0
    killed: list[int] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._holder: Connection = get_engine().connect()
        self._holder.execute(
            text("SELECT id FROM booking WHERE id = :id FOR UPDATE"), {"id": self.booking_id}
        )
        self._holder_pid = self._holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "KillMidRequest":
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join(self.ceiling_seconds)
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            worker = self._wait_for_blocked_worker()
            os.kill(worker, signal.SIGKILL)
            self.killed.append(worker)
        except BaseException as error:  # reported by join()
            self.error = error
        finally:
            self._holder.rollback()
            self._holder.close()

    def _wait_for_blocked_worker(self) -> int:
        deadline = time.monotonic() + self.ceiling_seconds
        query = text(
            "SELECT client_port FROM pg_stat_activity "
            "WHERE :holder = ANY(pg_blocking_pids(pid)) ORDER BY backend_start"
        )
        while time.monotonic() < deadline:
            with get_engine().connect() as connection:
                ports = connection.execute(query, {"holder": self._holder_pid}).scalars()
                for port in ports:
                    inode = _socket_inode(port)
                    worker = inode and _owner(worker_pids(self.server_log), inode)
                    if worker:
                        return worker
            time.sleep(0.05)
        raise AssertionError("no request came to wait for the held row")
