"""Browser clients on other origins: off by default; exact origins from
TURNOVER_CORS_ORIGINS may call with credentials, preflights are answered."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from config.settings import Settings, get_settings
from tests.api.conftest import BASE, Headers

BOARD = "https://board.hotel-killarney.ie"


@pytest.fixture
def cors_origins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TURNOVER_CORS_ORIGINS", f"{BOARD}, http://localhost:5173")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def preflight(client: TestClient, origin: str):  # type: ignore[no-untyped-def]
    return client.options(
        BASE + "/rooms/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_cors_is_off_by_default(client: TestClient, staff: Headers) -> None:
    response = client.get(BASE + "/rooms/", headers={**staff, "Origin": BOARD})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight(client, BOARD).headers


@pytest.mark.usefixtures("cors_origins")
def test_an_exact_origin_gets_a_preflight_and_credentials(api_hotel: str, staff: Headers) -> None:
    client = TestClient(create_app())
    answer = preflight(client, BOARD)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == BOARD
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "authorization" in answer.headers["access-control-allow-headers"].lower()
    response = client.get(BASE + "/rooms/", headers={**staff, "Origin": BOARD})
    assert response.headers["access-control-allow-origin"] == BOARD
    refused = client.get(BASE + "/rooms/", headers={"Origin": BOARD})  # errors carry it too
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == BOARD


@pytest.mark.usefixtures("cors_origins")
def test_another_origin_gets_nothing(api_hotel: str) -> None:
    client = TestClient(create_app())
    answer = preflight(client, "https://evil.example")
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def test_a_wildcard_never_allows_credentials(
    api_hotel: str, staff: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TURNOVER_CORS_ORIGINS", "*")
    get_settings.cache_clear()
    try:
        client = TestClient(create_app())
        response = client.get(BASE + "/rooms/", headers={**staff, "Origin": BOARD})
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "value", [f"{BOARD}/", f"{BOARD}/app", "board.hotel-killarney.ie", f"*,{BOARD}"]
)
def test_an_origin_that_is_not_exact_is_refused_at_start(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TURNOVER_CORS_ORIGINS", value)
    with pytest.raises(ValidationError, match="origin"):
        Settings()
