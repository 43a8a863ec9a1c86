"""Every number read from a header, a path or a query: anything but ASCII digits is a 4xx
in the envelope, never a 500. `Last-Event-ID: ²` answered 500 (`str.isdigit` says yes,
`int` says no); the Content-Length check had the same mistake (issue 11, item 6)."""

import asyncio
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.body_limit import BodySizeLimit
from api.numbers import parse_decimal
from tests.api.conftest import BASE, Headers, bearer, new_staff_token
from tests.conftest import HOTEL
from tests.realtime.live_server import running_app

# Characters str.isdigit accepts that int refuses (superscripts), or that int reads as
# digits although HTTP's DIGIT is ASCII only (Arabic-Indic, fullwidth, Devanagari).
NOT_ASCII_NUMBERS = [
    *("\u00b2", "1\u00b2", "\u00b9", "\u00b33"),  # superscripts: isdigit yes, int no
    *("\u0661\u0662", "\uff11\uff12", "\u0967"),  # Arabic-Indic, fullwidth, Devanagari
    *("1_0", "+1", "-1", "0x1", "1.0", ""),
]


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_parse_decimal_takes_ascii_digits_only(text: str) -> None:
    assert parse_decimal(text) is None


def test_parse_decimal() -> None:
    assert [parse_decimal(t) for t in ["0", "42", " 7\t", "0012"]] == [0, 42, 7, 12]
    assert parse_decimal("9" * 40) == int("9" * 40)


def test_last_event_id_that_is_no_number_is_422(api_hotel: str) -> None:
    """Over a real server: header bytes are read as latin-1, so b"\\xb2" reaches the app as
    "\u00b2". (The TestClient would re-encode it as UTF-8 and hide the bug.)"""
    headers = bearer(new_staff_token(HOTEL, "maria"))
    with running_app() as base_url, httpx.Client(base_url=base_url, headers=headers) as client:
        for value in [b"\xb2", b"1\xb2", b"\xb9", b"\xb3", b"abc", b"-1", b"1.0"]:
            response = client.get(f"{BASE}/events/", headers={"Last-Event-ID": value})
            assert response.status_code == 422, (value, response.text)
            assert response.json()["error"] == {
                "code": "VALIDATION_ERROR",
                "message": "Last-Event-ID must be an event id (a number)",
            }


def call_asgi(app: Any, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """One POST straight through ASGI: servers refuse a bad Content-Length themselves, but
    the middleware must not depend on it."""
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("value", [b"\xb2", b"1\xb2", b"\xb9"])
def test_content_length_that_is_no_number_is_left_to_the_counted_body(value: bytes) -> None:
    async def ok(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = call_asgi(BodySizeLimit(ok), [(b"content-length", value)])
    assert sent[0]["status"] == 204


def test_content_length_over_the_limit_is_413() -> None:
    sent = call_asgi(BodySizeLimit(create_app()), [(b"content-length", b" 99999999 ")])
    assert sent[0]["status"] == 413


PATHS_WITH_NUMBERS = [
    f"{BASE}/rooms/{{n}}/",
    f"{BASE}/rooms/{{n}}/history/",
    f"{BASE}/rooms/{{n}}/diagram.mmd",
    f"{BASE}/rooms/{{n}}/diagram.svg",
    f"{BASE}/rooms/?limit={{n}}",
    f"{BASE}/rooms/?offset={{n}}",
    f"{BASE}/bookings/?room_number={{n}}",
    f"{BASE}/bookings/?limit={{n}}",
    f"{BASE}/rooms/101/history/?offset={{n}}",
]


@pytest.mark.parametrize("template", PATHS_WITH_NUMBERS)
def test_numbers_in_paths_and_queries_are_ascii_or_422(
    client: TestClient, staff: Headers, template: str
) -> None:
    for text in ["%C2%B2", "%D9%A1%D9%A2", "%EF%BC%91%EF%BC%92", "0x1", "1e3"]:
        response = client.get(template.format(n=text), headers=staff)
        assert response.status_code == 422, (template, text, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
