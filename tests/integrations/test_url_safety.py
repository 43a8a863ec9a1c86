"""SSRF: a webhook URL must be http(s) and its host must resolve to public addresses only,
when it is saved and again at every connection (a DNS answer can change)."""

import ipaddress
import re
from collections.abc import Callable, Iterator

import pytest

from config.settings import get_settings
from tests.conftest import HOTEL, seed, small_hotel
from tests.integrations.conftest import FakeClock, attempts, deliveries, worker
from tests.integrations.receiver import Receiver
from tests.realtime.conftest import add_events
from workers.webhooks import url_safety
from workflows.services import webhooks
from workflows.services.webhooks import WebhookUrlRefused

PUBLIC = "93.184.215.14"


@pytest.fixture
def strict_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The production rule: private addresses refused."""
    monkeypatch.delenv("TURNOVER_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def strict(sqlite_database: str, strict_rule: None) -> str:
    """The rule does not depend on the database: SQLite only."""
    seed(small_hotel())
    return HOTEL


@pytest.fixture
def strict_on_each_database(database: str, strict_rule: None) -> str:
    seed(small_hotel())
    return HOTEL


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Fake DNS answers by host name (unknown names do not resolve)."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list:
        if host not in answers:
            raise url_safety.UnsafeUrl(f"the host {host!r} does not resolve")
        return [ipaddress.ip_address(address) for address in answers[host]]

    monkeypatch.setattr(url_safety, "resolve", resolve)
    return answers


def create(url: str) -> Callable[[], object]:
    return lambda: webhooks.create_endpoint(hotel_slug=HOTEL, url=url, event_types=["*"])


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost.internal.test/hook", "loopback"),  # resolves to 127.0.0.2
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local (metadata)"),
        ("http://[::1]/hook", "loopback"),
        ("http://[fd00::1]/hook", "private"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://[::ffff:10.0.0.1]/hook", "private"),
        ("http://100.64.0.1/hook", "non-public"),  # carrier-grade NAT
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://rebinds.example.test/hook", "private"),  # one private answer among public
        ("http://pms.internal.test/hook", "private"),
    ],
)
def test_non_public_addresses_are_refused_at_save(
    strict: str, dns: dict[str, list[str]], url: str, reason: str
) -> None:
    dns["localhost.internal.test"] = ["127.0.0.2"]
    dns["rebinds.example.test"] = [PUBLIC, "10.9.9.9"]
    dns["pms.internal.test"] = ["172.16.4.4"]

    with pytest.raises(WebhookUrlRefused, match=re.escape(reason)):
        create(url)()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.test/hook", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("https:///no-host", "no host"),
        ("http://nowhere.example.test/hook", "does not resolve"),
        ("http://[::1/hook", "not a valid URL"),
    ],
)
def test_malformed_or_unresolvable_urls_are_refused(
    strict: str, dns: dict[str, list[str]], url: str, message: str
) -> None:
    with pytest.raises(WebhookUrlRefused, match=re.escape(message)):
        create(url)()


def test_public_hosts_are_accepted(strict: str, dns: dict[str, list[str]]) -> None:
    dns["pms.example.test"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    create(f"https://{PUBLIC}/hook")()
    created = create("https://pms.example.test/turnover")()
    assert created.endpoint.url == "https://pms.example.test/turnover"  # type: ignore[attr-defined]


def test_changing_the_url_is_checked_too(strict: str, dns: dict[str, list[str]]) -> None:
    created = create(f"https://{PUBLIC}/hook")()
    endpoint_id = created.endpoint.id  # type: ignore[attr-defined]
    with pytest.raises(WebhookUrlRefused):
        webhooks.update_endpoint(
            hotel_slug=HOTEL, endpoint_id=endpoint_id, url="http://169.254.169.254/"
        )
    assert webhooks.get_endpoint(hotel_slug=HOTEL, endpoint_id=endpoint_id).url.startswith(
        "https://93."
    )


def test_a_host_that_resolves_elsewhere_later_is_refused_at_send(
    strict_on_each_database: str, dns: dict[str, list[str]], receiver: Receiver, clock: FakeClock
) -> None:
    """Saved while public; by sending time the name points at 127.0.0.1 (DNS rebinding)."""
    dns["hooks.example.test"] = [PUBLIC]
    create(f"http://hooks.example.test:{receiver.port}/hook")()
    add_events(HOTEL, 1)
    dns["hooks.example.test"] = ["127.0.0.1"]

    worker(clock, allow_private=False).run_once()

    assert receiver.received() == []
    (attempt,) = attempts()
    assert "refused" in (attempt.error or "") and "loopback" in (attempt.error or "")
    assert deliveries()[0].status == "PENDING"


def test_the_checked_address_is_the_one_connected_to(
    database: str,
    allow_private: None,
    dns: dict[str, list[str]],
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    """The worker resolves the name itself and connects there, with the name as Host."""
    seed(small_hotel())
    dns["hooks.example.test"] = ["127.0.0.1"]
    create(f"http://hooks.example.test:{receiver.port}/hook")()
    add_events(HOTEL, 1)

    worker(clock).run_once()

    (request,) = receiver.received()
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"


def test_private_addresses_allowed_in_development(
    database: str, allow_private: None, receiver: Receiver
) -> None:
    seed(small_hotel())
    assert create(receiver.url())()
    assert create("http://[::1]:9/hook")()
