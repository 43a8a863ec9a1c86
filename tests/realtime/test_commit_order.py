"""On PostgreSQL a transaction can commit after one that took a later outbox id. Readers
must neither skip the late row nor deliver past it early, and a rolled-back id must not
hold them up."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import select

from api.realtime.sse import HotelEventReader
from storage.models import Hotel, OutboxEvent
from storage.unit_of_work import UnitOfWork
from tests.conftest import HOTEL
from tests.realtime.conftest import FAST, add_events, outbox_rows, wait_until
from workers.publishers import StreamOnlyPublisher
from workers.relay import Relay
from workflows.machines.realtime_events import hotel_channel


@contextmanager
def transaction_with_event() -> Iterator[tuple[UnitOfWork, int]]:
    """An outbox row written by a transaction still running; rolled back unless committed."""
    with UnitOfWork() as uow:
        hotel = uow.session.exec(select(Hotel).where(Hotel.slug == HOTEL)).one()
        event = OutboxEvent(
            hotel_id=hotel.id, channel=hotel_channel(HOTEL), event_name="late", payload={}
        )
        uow.session.add(event)
        uow.session.flush()
        yield uow, event.id  # type: ignore[misc]


def hotel_id() -> int:
    with UnitOfWork(write=False) as uow:
        return uow.session.exec(select(Hotel.id).where(Hotel.slug == HOTEL)).one()  # type: ignore[return-value]


# SQLite serializes writers, so ids always commit in order there: PostgreSQL only.
ON_POSTGRES = pytest.mark.parametrize(
    "database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def postgres_hotel(hotel: str) -> str:
    return hotel


@ON_POSTGRES
def test_a_late_commit_with_a_lower_id_is_delivered_first(postgres_hotel: str) -> None:
    reader = HotelEventReader(hotel_id(), cursor=0)
    relay = Relay(StreamOnlyPublisher(), FAST)
    with transaction_with_event() as (slow, late_id):
        [later_id] = add_events(HOTEL, 1)
        assert later_id > late_id

        assert reader.next_events() == []  # held back behind the running transaction
        assert relay.run_once().delivered == 0

        slow.commit()
    assert [int(e.id) for e in reader.next_events()] == [late_id, later_id]  # type: ignore[arg-type]
    assert relay.run_once().delivered == 2


@ON_POSTGRES
def test_a_rolled_back_id_stops_holding_readers_back(postgres_hotel: str) -> None:
    reader = HotelEventReader(hotel_id(), cursor=0)
    with transaction_with_event() as (_, doomed_id):
        [later_id] = add_events(HOTEL, 1)
        assert reader.next_events() == []
    # rolled back

    delivered: list[str | None] = []
    wait_until(lambda: bool(delivered.extend(e.id for e in reader.next_events()) or delivered))
    assert delivered == [str(later_id)]
    assert [row.id for row in outbox_rows()] == [later_id] and doomed_id < later_id
