"""How every service and query opens its work: one transaction, one hotel, its rows.

`with hotel_scope(slug, uow) as scope:` opens the transaction; `scope.hotel` is the hotel
(404 when it does not exist), and `scope.booking(...)`, `scope.room(...)` load rows of that
hotel only, as the database has them now. `scope.context(...)` is what a machine needs to
fire. The hotel is read with the first of them (`booking_with_room` reads the hotel, the
booking and its room in one query).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage.models import Booking, Hotel, Room
from storage.unit_of_work import UnitOfWork, transaction
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.services.lookups import (
    load_assigned_room,
    load_booking,
    load_booking_with_room,
    load_hotel,
    load_room,
)


@dataclass
class HotelScope:
    uow: UnitOfWork
    hotel_slug: str
    _hotel: Hotel | None = None

    @property
    def session(self) -> Session:
        return self.uow.session

    @property
    def hotel(self) -> Hotel:
        if self._hotel is None:
            self._hotel = load_hotel(self.session, self.hotel_slug)
        return self._hotel

    def booking(self, booking_id: str) -> Booking:
        return load_booking(self.session, self.hotel, booking_id)

    def room(self, room_number: int) -> Room:
        return load_room(self.session, self.hotel, room_number)

    def assigned_room(self, booking: Booking) -> Room | None:
        return load_assigned_room(self.session, booking)

    def booking_with_room(self, booking_id: str) -> tuple[Booking, Room | None]:
        """`booking(booking_id)` and its `assigned_room`, read together (with the hotel)."""
        hotel, booking, room = load_booking_with_room(self.session, self.hotel_slug, booking_id)
        self._hotel = hotel
        return booking, room

    def context(
        self, actor: Actor, source: str, note: str | None = None, now: datetime | None = None
    ) -> TransitionContext:
        """`now`: the caller's clock (tests pass one); unset, the wall clock."""
        ctx = TransitionContext(self.session, self.hotel, actor, source, note=note)
        if now is not None:
            ctx.now = now
        return ctx


@contextmanager
def hotel_scope(
    hotel_slug: str, uow: UnitOfWork | None = None, *, write: bool = True
) -> Iterator[HotelScope]:
    """A transaction in `uow` (see `transaction`) scoped to the hotel `hotel_slug`."""
    with transaction(uow, write=write) as tx:
        yield HotelScope(tx, hotel_slug)
