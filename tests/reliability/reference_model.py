"""A reference model of one hotel, written from the specification (README, DESIGN.md, the
issue texts), not from the machines: what each operation must do to the data.

The model-based test runs the same operations against the real services and this model and
compares the two after every step. Refusals raise `Refused(code)` and change nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

READY, OCCUPIED, DIRTY = "READY_FOR_GUEST", "OCCUPIED", "CHECKOUT_DIRTY"
CLEANING, CLEANED, OUT_OF_ORDER = "CLEANING_IN_PROGRESS", "CLEANED_UNINSPECTED", "OUT_OF_ORDER"
CONFIRMED, CHECKED_IN, COMPLETED = "CONFIRMED", "CHECKED_IN", "COMPLETED"
CANCELLED, NO_SHOW = "CANCELLED", "NO_SHOW"

HOUSEKEEPING_MOVES = {
    (DIRTY, "start_cleaning"): CLEANING,
    (CLEANING, "finish_cleaning"): CLEANED,
    (CLEANED, "pass_inspection"): READY,
    (CLEANED, "fail_inspection"): DIRTY,
    (READY, "take_out_of_order"): OUT_OF_ORDER,
    (DIRTY, "take_out_of_order"): OUT_OF_ORDER,
    (CLEANING, "take_out_of_order"): OUT_OF_ORDER,
    (CLEANED, "take_out_of_order"): OUT_OF_ORDER,
    (OUT_OF_ORDER, "return_to_service"): DIRTY,
}
HOUSEKEEPING_EVENTS = sorted({event for _, event in HOUSEKEEPING_MOVES})
BOOKING_EVENT_NAMES = {
    "check_in": "booking-checked-in",
    "check_out": "booking-checked-out",
    "cancel": "booking-cancelled",
    "mark_no_show": "booking-no-show",
}
GHOST_NOTE = "ghost room: occupied with no in-house booking"
DESTRUCTIVE_NOTE = "destructive bulk checkout"


class Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class ModelRoom:
    status: str
    has_fcm_token: bool = False
    notes: list[str] = field(default_factory=list)  # "<source> by <actor>[: <note>]"
    chats: int = 0
    conversations: int = 0
    open_orders: int = 0
    closed_orders: int = 0


@dataclass
class ModelBooking:
    status: str
    room: int | None = None
    checked_in: bool = False
    checked_out: bool = False


@dataclass
class ModelGuest:
    booking_id: str
    first_name: str
    room: int | None = None


@dataclass
class BulkOutcome:
    checked_out: list[str] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    errors: list[tuple[Any, str]] = field(default_factory=list)


class HotelModel:
    def __init__(
        self,
        rooms: dict[int, ModelRoom],
        bookings: dict[str, ModelBooking],
        guests: list[ModelGuest],
    ) -> None:
        self.rooms, self.bookings, self.guests = rooms, bookings, guests
        # Rooms seeded OCCUPIED with nobody in house (the seed's "ghost rooms").
        self.ghosts = {
            number
            for number, room in rooms.items()
            if room.status == OCCUPIED and not self.in_house(number)
        }
        self.log: list[tuple] = []  # (kind, ref, event, from, to, actor, source)
        self.outbox: list[tuple[str, dict]] = []  # (event name, payload minus timestamp)

    def in_house(self, room: int) -> list[str]:
        return [
            booking_id
            for booking_id, booking in self.bookings.items()
            if booking.status == CHECKED_IN and booking.room == room
        ]

    # --- what a well-aimed caller would pick --------------------------------------------

    def with_status(self, status: str) -> list[str]:
        return [booking_id for booking_id, b in self.bookings.items() if b.status == status]

    def rooms_in(self, status: str) -> list[int]:
        return [number for number, room in self.rooms.items() if room.status == status]

    def housekeeping_moves(self) -> list[tuple[int, str]]:
        """(room, event) pairs the housekeeping cycle allows right now."""
        return [
            (number, event)
            for number, room in self.rooms.items()
            for (status, event) in HOUSEKEEPING_MOVES
            if status == room.status
        ]

    # --- operations -----------------------------------------------------------------------

    def check_in(self, booking_id: str, room_number: int | None, actor: str) -> bool:
        """True when nothing changed (a repeated check-in)."""
        booking = self.bookings[booking_id]
        if booking.status == CHECKED_IN:
            if room_number is None or room_number == booking.room:
                return True
            raise Refused("CHECKIN_FAILED")
        room = booking.room
        if room_number is not None and booking.status == CONFIRMED:
            if room_number not in self.rooms:
                raise Refused("ROOM_NOT_FOUND")
            room = room_number
        if booking.status != CONFIRMED:
            raise Refused("TRANSITION_NOT_ALLOWED")
        if room is None:
            raise Refused("CHECKIN_FAILED")
        if self.rooms[room].status != READY:
            raise Refused("CHECKIN_FAILED")
        booking.room = room
        self._move_booking(booking_id, "check_in", CHECKED_IN, actor, "staff_api")
        booking.checked_in = True
        for guest in self.guests:
            if guest.booking_id == booking_id:
                guest.room = room
        self._move_room(room, "check_in", OCCUPIED, actor, "staff_api")
        return False

    def checkout(self, booking_id: str, actor: str, source: str) -> bool:
        booking = self.bookings[booking_id]
        if booking.status == COMPLETED:
            return True
        if booking.status != CHECKED_IN:
            raise Refused("NOT_CHECKED_IN")
        self._checkout(booking_id, actor, source)
        return False

    def bulk_checkout(
        self,
        refs: list[Any],
        actor: str,
        superuser: bool,
        destructive: bool,
        lock_order: Callable[[Any], int],
    ) -> BulkOutcome:
        """Rooms are worked on (log and outbox written) in `lock_order` (the rooms' ids:
        one global lock order), and reported in the order given."""
        if destructive and not superuser:
            raise Refused("PERMISSION_DENIED")
        refs = list(dict.fromkeys(refs))
        by_room = {
            ref: self._bulk_room(ref, actor, destructive) for ref in sorted(refs, key=lock_order)
        }
        outcome = BulkOutcome()
        for ref in refs:
            outcome.checked_out += by_room[ref].checked_out
            outcome.cleared += by_room[ref].cleared
            outcome.errors += by_room[ref].errors
        return outcome

    def _bulk_room(self, ref: Any, actor: str, destructive: bool) -> BulkOutcome:
        outcome = BulkOutcome()
        if ref not in self.rooms:
            outcome.errors.append((ref, "ROOM_NOT_FOUND"))
            return outcome
        in_house = self.in_house(ref)
        if destructive:
            self._force_checkout(ref, in_house, actor, outcome)
            return outcome
        for booking_id in in_house:
            self._checkout(booking_id, actor, "bulk_checkout")
            outcome.checked_out.append(booking_id)
        if not in_house and self.rooms[ref].status == OCCUPIED:
            self._clear_room(ref, "check_out", actor, "bulk_checkout", GHOST_NOTE)
            outcome.cleared.append(ref)
        return outcome

    def housekeeping(self, room: int, event: str, actor: str) -> None:
        new = HOUSEKEEPING_MOVES.get((self.rooms[room].status, event))
        if new is None:
            raise Refused("TRANSITION_NOT_ALLOWED")
        self._move_room(room, event, new, actor, "housekeeping")

    def end_before_arrival(self, booking_id: str, event: str, actor: str) -> bool:
        final = CANCELLED if event == "cancel" else NO_SHOW
        booking = self.bookings[booking_id]
        if booking.status == final:
            return True
        if booking.status != CONFIRMED:
            raise Refused("TRANSITION_NOT_ALLOWED")
        self._move_booking(booking_id, event, final, actor, "staff_api")
        return False

    # --- what the operations have in common -----------------------------------------------

    def _checkout(self, booking_id: str, actor: str, source: str) -> None:
        booking = self.bookings[booking_id]
        self._move_booking(booking_id, "check_out", COMPLETED, actor, source)
        booking.checked_out = True
        assert booking.room is not None
        note = f"checked out booking {booking_id}"
        self._clear_room(booking.room, "check_out", actor, source, note)

    def _clear_room(self, number: int, event: str, actor: str, source: str, note: str) -> None:
        """A room's checkout: guests detached, chats, conversations and open orders gone."""
        room = self.rooms[number]
        for guest in self.guests:
            if guest.room == number:
                guest.room = None
        room.chats = room.conversations = room.open_orders = 0
        room.has_fcm_token = False
        room.notes.append(f"{source} by {actor}: {note}")
        self._move_room(number, event, DIRTY, actor, source)

    def _force_checkout(
        self, number: int, in_house: list[str], actor: str, outcome: BulkOutcome
    ) -> None:
        """Destructive: bookings completed, the room's guest records deleted, room dirty.
        A room already dirty with nothing of a guest left is skipped: nothing is logged."""
        room = self.rooms[number]
        guests_here = any(guest.room == number for guest in self.guests)
        leftovers = guests_here or room.chats or room.conversations or room.open_orders
        if not in_house and room.status == DIRTY and not (leftovers or room.has_fcm_token):
            return
        for booking_id in in_house:
            self._move_booking(booking_id, "check_out", COMPLETED, actor, "bulk_checkout")
            self.bookings[booking_id].checked_out = True
            outcome.checked_out.append(booking_id)
        self.guests = [guest for guest in self.guests if guest.room != number]
        room.chats = room.conversations = room.open_orders = 0
        room.has_fcm_token = False
        room.notes.append(f"bulk_checkout by {actor}: {DESTRUCTIVE_NOTE}")
        self._move_room(number, "force_checkout", DIRTY, actor, "bulk_checkout")
        outcome.cleared.append(number)

    def _move_booking(self, booking_id: str, event: str, new: str, actor: str, src: str) -> None:
        booking = self.bookings[booking_id]
        self.log.append(("booking", booking_id, event, booking.status, new, actor, src))
        payload = {"booking_id": booking_id, "room_number": booking.room}
        self.outbox.append((BOOKING_EVENT_NAMES[event], payload))
        booking.status = new

    def _move_room(self, number: int, event: str, new: str, actor: str, source: str) -> None:
        room = self.rooms[number]
        self.log.append(("room", str(number), event, room.status, new, actor, source))
        payload = {
            "room_number": number,
            "old_status": room.status,
            "new_status": new,
            "source": source,
            # The operations modelled here never raise a room's flags.
            "room_flags": {
                "do_not_disturb": False,
                "make_up_room": False,
                "service_declined": False,
            },
        }
        self.outbox.append(("room-status-changed", payload))
        room.status = new
        if new != OCCUPIED:
            self.ghosts.discard(number)

    # --- the view compared with the database ----------------------------------------------

    def view(self) -> dict[str, Any]:
        return {
            "rooms": {
                number: (
                    room.status,
                    room.status == OCCUPIED,  # is_occupied
                    room.has_fcm_token,
                    room.notes,
                    room.chats,
                    room.conversations,
                    room.open_orders,
                    room.closed_orders,
                )
                for number, room in self.rooms.items()
            },
            "bookings": {
                booking_id: (b.status, b.room, b.checked_in, b.checked_out)
                for booking_id, b in self.bookings.items()
            },
            "guests": sorted((g.booking_id, g.first_name, g.room) for g in self.guests),
            "log": self.log,
            "outbox": self.outbox,
        }
