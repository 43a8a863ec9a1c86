"""Request heads are limited (issue 11, item 7): against a real `turnover serve`, a 50 MB
header was answered 200 and a 300 MB one grew a worker from 110 MB to 391 MB, without a
token. Now a head over 32 KiB is refused while it arrives (400 and the connection closed,
or just closed), more than 100 headers get 431 in the envelope, and the worker's memory
does not grow with what a caller sends."""

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from api.header_limits import MAX_HEAD_BYTES, MAX_HEADERS
from storage.database import get_engine
from tests.reliability.server_process import turnover_server

MB = 1024 * 1024


@pytest.fixture
def server(sqlite_database: str, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`turnover serve` (one worker process) and that process's pid."""
    log_file = tmp_path / "server.log"
    url = get_engine().url.render_as_string(hide_password=False)
    with turnover_server(url, log_file, workers=1) as base_url:
        (pid,) = re.findall(r"Started server process \[(\d+)\]", log_file.read_text())
        yield base_url, int(pid)


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]


def send_header(base_url: str, value_bytes: int) -> tuple[bytes, int]:
    """GET /healthz with one header of `value_bytes`, sent in 64 KiB pieces; returns what
    the server answered (b"" when it closed without a word) and how much it took first."""
    address = urlsplit(base_url)
    sent = 0
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: turnover\r\nX-Padding: ")
        piece = b"a" * 65536
        try:
            while sent < value_bytes:
                sock.sendall(piece[: value_bytes - sent])
                sent += min(len(piece), value_bytes - sent)
            sock.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading and closed: refused
        try:
            return sock.recv(65536), sent
        except ConnectionResetError:
            return b"", sent


def refused(answer: bytes) -> bool:
    """Closed without a word, or refused by h11 while the head arrives (400), or by the app
    once a head that came in one piece was parsed (431)."""
    return answer == b"" or answer.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 431 "))


def test_a_50_mb_header_is_refused_while_it_arrives(server: tuple[str, int]) -> None:
    base_url, pid = server
    assert httpx.get(base_url + "/healthz").status_code == 200
    before = peak_rss_mb(pid)
    answer, sent = send_header(base_url, 50 * MB)
    grown = peak_rss_mb(pid) - before
    print(f"\n50 MB header: {answer[:12]!r}, {sent / MB:.1f} MB taken, peak RSS +{grown:.1f} MB")
    assert refused(answer), answer[:200]
    assert grown < 20  # a few MB of socket buffers at most, not the header
    assert httpx.get(base_url + "/healthz").status_code == 200  # the worker serves on


def test_head_size_limit(server: tuple[str, int]) -> None:
    base_url, _ = server
    fits, _ = send_header(base_url, MAX_HEAD_BYTES - 1024)
    assert fits.startswith(b"HTTP/1.1 200 ")
    too_large, _ = send_header(base_url, MAX_HEAD_BYTES + 1)
    assert refused(too_large), too_large[:200]


def test_too_many_headers_is_431_in_the_envelope(server: tuple[str, int]) -> None:
    base_url, _ = server
    many = {f"X-Header-{n}": "1" for n in range(MAX_HEADERS + 1)}
    response = httpx.get(base_url + "/healthz", headers=many)
    assert response.status_code == 431
    assert response.json()["error"]["code"] == "REQUEST_HEADERS_TOO_LARGE"
    some = {f"X-Header-{n}": "1" for n in range(MAX_HEADERS - 10)}  # httpx adds a few
    assert httpx.get(base_url + "/healthz", headers=some).status_code == 200
