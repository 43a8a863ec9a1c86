"""The public diagram endpoint runs Graphviz once per drawing and process, not per request:
16 anonymous clients asking for it slowed an authenticated room list from 8.6 ms to 724 ms
(issue 11, item 4)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import BASE, bearer, new_staff_token
from workflows.documentation import diagrams


@pytest.fixture
def graphviz_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts Graphviz runs (a stand-in draws, so `dot` need not be installed)."""
    runs: list[str] = []

    def fake_run_graphviz(dot_source: str, output_format: str) -> bytes:
        runs.append(dot_source)
        return f"<svg><!-- drawing {len(runs)} --></svg>".encode()

    monkeypatch.setattr(diagrams, "run_graphviz", fake_run_graphviz)
    diagrams.svg.cache_clear()
    yield runs
    diagrams.svg.cache_clear()  # no stand-in drawing outlives the test


def test_the_second_request_for_a_diagram_does_not_run_graphviz(
    sqlite_database: str, graphviz_runs: list[str]
) -> None:
    client = TestClient(create_app())
    answers = [client.get("/api/workflows/booking-lifecycle/diagram.svg") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert len(graphviz_runs) == 1
    assert {a.content for a in answers} == {b"<svg><!-- drawing 1 --></svg>"}

    client.get("/api/workflows/room-turnover/diagram.svg")
    client.get("/api/workflows/room-turnover/diagram.svg")
    assert len(graphviz_runs) == 2  # one drawing per machine


def test_a_rooms_diagram_is_drawn_once_per_state(hotel: str, graphviz_runs: list[str]) -> None:
    client = TestClient(create_app())
    staff_headers = bearer(new_staff_token(hotel, "maria"))
    for _ in range(3):
        for room in (101, 104):  # OCCUPIED, CHECKOUT_DIRTY
            answer = client.get(f"{BASE}/rooms/{room}/diagram.svg", headers=staff_headers)
            assert answer.status_code == 200
    assert len(graphviz_runs) == 2
