"""docs/front-desk.md runs: every `curl` of the guide, in order, against the front desk's
test hotel on its day (the request clock fixed at 3 December 2026, 10:00 in Dublin), and
each answer shown in the guide is what came back (the guide may leave fields out)."""

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.clock import request_now
from tests.api.conftest import bearer, new_staff_token
from tests.conftest import seed
from tests.docs.conftest import read_doc
from tests.front_desk_hotel import HOTEL, NOW, front_desk_hotel

FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass
class Curl:
    method: str
    path: str
    body: Any
    shown: Any = None  # the answer the guide shows, if any


def curls(page: str) -> list[Curl]:
    found: list[Curl] = []
    for language, text in FENCE.findall(page):
        if language == "sh":
            found += [
                parse(line) for line in text.replace("\\\n", " ").splitlines() if "curl" in line
            ]
        elif language == "json" and found:
            found[-1].shown = json.loads(text)
    return found


def parse(line: str) -> Curl:
    words = shlex.split(line, posix=True)
    method, body, path = "GET", None, ""
    for i, word in enumerate(words):
        if word == "-X":
            method = words[i + 1]
        elif word == "-d":
            body = json.loads(words[i + 1])
        elif word.startswith("$BASE"):
            path = word.removeprefix("$BASE")
    return Curl(method, path, body)


def contains(actual: Any, shown: Any, where: str = "answer") -> None:
    """What the guide shows is in the answer: every key it shows, with the value it shows;
    lists item by item, of the same length."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), where
        for key, value in shown.items():
            assert key in actual, f"{where}.{key} missing"
            contains(actual[key], value, f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(actual, list) and len(actual) == len(shown), where
        for n, (a, s) in enumerate(zip(actual, shown, strict=True)):
            contains(a, s, f"{where}[{n}]")
    else:
        assert actual == shown, f"{where}: {actual!r} != {shown!r}"


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    seed(front_desk_hotel())
    app = create_app()
    app.dependency_overrides[request_now] = lambda: NOW
    yield TestClient(app)


def test_the_guides_day_runs_as_shown(client: TestClient):
    headers = bearer(new_staff_token(HOTEL, "maeve", role="manager"))
    examples = curls(read_doc("front-desk.md"))
    assert len(examples) >= 10
    for example in examples:
        response = client.request(example.method, example.path, json=example.body, headers=headers)
        assert response.status_code < 300, f"{example.method} {example.path}: {response.text}"
        if example.shown is not None:
            contains(response.json(), example.shown, f"{example.method} {example.path}")
