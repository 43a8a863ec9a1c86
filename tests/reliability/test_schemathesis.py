"""schemathesis against the app's own /openapi.json: every operation, generated valid and
invalid requests with a valid staff token of the seeded hotel. No answer may be a 5xx or
break the documented schema (status, content type, headers, body).

CI runs a bounded number of examples per operation (TURNOVER_SCHEMATHESIS_EXAMPLES, default
25); docs/reliability.md has the command for a longer run.
"""

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from tests.conftest import HOTEL, seed, small_hotel

STAFF_TOKEN = "schemathesis-staff-token-0123456789"
MAX_EXAMPLES = int(os.environ.get("TURNOVER_SCHEMATHESIS_EXAMPLES", "25"))
# The event stream never ends; it has its own tests (tests/realtime/test_sse.py) and is in
# the authorization matrix. Every other operation is generated here.
ENDLESS_STREAM = "/api/staff/hotels/{hotel_slug}/events/"
# schemathesis gives up on an answer after 10 s: on a busy machine (CI's) a plain GET once
# took longer. A ceiling for a hung request, not a speed requirement.
ANSWER_CEILING_SECONDS = 120


def seeded_hotel() -> dict[str, Any]:
    data = small_hotel()
    data["staff"].append(
        {"hotel": HOTEL, "username": "fuzzer", "token": STAFF_TOKEN, "role": "manager"}
    )
    return data


@pytest.fixture
def fuzzed_hotel(sqlite_database: str) -> str:
    """A fresh database per operation: the seeded hotel and the fuzzer's staff account."""
    seed(seeded_hotel())
    return HOTEL


# The app's own document, read without starting the app (its start-up would migrate and
# relay on the default database); every case is sent to the app in-process.
APP = create_app()
schema = schemathesis.openapi.from_dict(APP.openapi()).exclude(path=ENDLESS_STREAM)
# Always the seeded hotel: another slug is refused (403) before anything else happens, as
# the authorization matrix shows; a random one would test nothing else.
schema.config.update(parameters={"path.hotel_slug": HOTEL})


ANSWERS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_answers() -> Iterator[None]:
    yield
    by_status = dict(sorted(ANSWERS.items()))
    print(f"\nschemathesis: {sum(ANSWERS.values())} requests, by status: {by_status}")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("TURNOVER_SCHEMATHESIS_RANDOM"),
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: Any, fuzzed_hotel: str) -> None:
    # A schema-valid body may still be refused with a documented 422 by a rule the schema
    # cannot state (a PATCH that changes nothing, a webhook host that does not resolve).
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
        app=APP,
        excluded_checks=[positive_data_acceptance],
        timeout=ANSWER_CEILING_SECONDS,
    )
    ANSWERS[str(response.status_code)] += 1
