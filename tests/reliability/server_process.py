"""`turnover serve` as a real server process (its own worker processes) on a free port."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def turnover_server(
    database_url: str,
    log_file: Path,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    console_script: bool = False,
) -> Iterator[str]:
    """Yield the base URL of `turnover serve --workers N` on `database_url`.

    uvicorn's master binds the port and shares it with its workers, so the port is found
    free first and handed over; a start that loses it to another process is retried.
    `console_script` runs the installed `turnover` script (as an operator does) instead of
    `python -c`: spawned workers then first re-import the module the script imports.
    """
    for _ in range(3):
        port = free_port()
        command = [sys.executable, "-c", "from cli.main import app; app()", "serve"]
        if console_script:
            command = [str(Path(sys.executable).with_name("turnover")), "serve"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        server_env = {**os.environ, "TURNOVER_DATABASE_URL": database_url, **(env or {})}
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                env=server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            if _wait_until_up(process, base_url):
                yield base_url
                return
        finally:
            _stop(process)
    raise AssertionError(f"turnover serve did not start; see {log_file}")


def _wait_until_up(process: subprocess.Popen, base_url: str) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # e.g. the port was taken meanwhile
        try:
            if httpx.get(base_url + "/healthz", timeout=30).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its workers (its own process group, started above)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
