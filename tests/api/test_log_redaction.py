"""The access log never shows a token passed in the query, however the client spells the
parameter's name: the server decodes `?%74oken=` to `token` and authenticates with it, so
the log redacts what the server decodes (issue 11, item 5)."""

import logging
from typing import Any

import httpx
import pytest

from api.log_redaction import REDACTED, redact
from tests.api.conftest import BASE, new_staff_token
from tests.conftest import HOTEL
from tests.realtime.live_server import running_app

SPELLINGS = ["token", "%74oken", "%74%6F%6B%65%6E", "tok%65n", "%74%6f%6b%65%6e"]


@pytest.mark.parametrize(
    ("logged", "shown"),
    [
        ("GET /e/?token=s3cret HTTP/1.1", f"GET /e/?token={REDACTED} HTTP/1.1"),
        ("/e/?%74oken=s3cret", f"/e/?%74oken={REDACTED}"),
        ("/e/?a=1&tok%65n=s3cret&b=2", f"/e/?a=1&tok%65n={REDACTED}&b=2"),
        ("/e/?TOKEN=s3cret", f"/e/?TOKEN={REDACTED}"),
        ("/e/?token=s3#cret&token=again", f"/e/?token={REDACTED}&token={REDACTED}"),
        ("/e/?tokens=1&my_token=2&to+ken=3", "/e/?tokens=1&my_token=2&to+ken=3"),
    ],
)
def test_redact(logged: str, shown: str) -> None:
    assert redact(logged) == shown


def test_no_spelling_of_the_token_parameter_reaches_the_access_log(
    api_hotel: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = new_staff_token(HOTEL, "maria")
    caplog.set_level(logging.INFO)
    statuses: list[Any] = []
    with running_app(log_config=None, log_level="info") as base_url, httpx.Client() as client:
        for name in SPELLINGS:
            url = f"{base_url}{BASE}/events/?{name}={token}"
            with client.stream("GET", url) as response:
                statuses.append(response.status_code)  # hang up after the headers
    assert statuses == [200] * len(SPELLINGS)  # each spelling authenticates
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(access) == len(SPELLINGS)
    for line, name in zip(access, SPELLINGS, strict=True):
        assert f"/events/?{name}={REDACTED}" in line
        assert token not in line
