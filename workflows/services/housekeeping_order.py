"""The order of the day's housekeeping work, and how it is shared out. Pure functions.

Priority (lower comes first), with the reason the API shows as `priority_reason`:
1. a room with an arrival today (earliest expected arrival first): its cleaning, touch-up
   or inspection must be done before the guest comes;
2. the other departures (and touch-ups and inspections): rooms to sell again;
3. stayovers whose guest asked for the room to be made up;
4. the other stayovers;
5. stayovers of rooms with Do Not Disturb or whose guest declined service: last.
Within a rank: earliest expected arrival, then floor, then room number, then task id.

Auto-assignment (`share_out`): the tasks, ordered by floor and room number, are cut into
one run per housekeeper, in the order the housekeepers were named; a run ends when one
more task would take it further past its fair share (the credits still to share divided by
the housekeepers still to serve) than stopping short of it. Each housekeeper therefore
gets neighbouring rooms (one floor, or two where a floor is split), credits differ by at
most about one task, and the same input always gives the same result.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from storage.models import Booking, HousekeepingTask, Room, floor_of
from workflows.machines.housekeeping_task import STAYOVER

ARRIVAL_TODAY, DEPARTURE_RANK, MAKE_UP_ROOM, STAYOVER_RANK, LAST = 1, 2, 3, 4, 5
LATEST = time(23, 59, 59)


@dataclass(frozen=True)
class Priority:
    rank: int
    reason: str
    arrival_time: time | None = None


def priority_of(task: HousekeepingTask, room: Room, arrival: Booking | None) -> Priority:
    """Why `task` comes where it does; `arrival`: the room's booking arriving that day."""
    if task.kind == STAYOVER:
        return _stayover_priority(room)
    work = task.kind.lower().replace("_", "-")
    if arrival is not None:
        expected = arrival.expected_arrival_time
        when = f" at {expected.strftime('%H:%M')}" if expected else ""
        reason = f"arrival today{when} ({arrival.booking_id}): {work} first"
        return Priority(ARRIVAL_TODAY, reason, expected)
    return Priority(DEPARTURE_RANK, f"{work}, no arrival today")


def _stayover_priority(room: Room) -> Priority:
    if room.do_not_disturb:
        return Priority(LAST, "stayover, do not disturb: last")
    if room.service_declined:
        return Priority(LAST, "stayover, service declined: last")
    if room.make_up_room:
        return Priority(MAKE_UP_ROOM, "stayover, make-up room requested")
    return Priority(STAYOVER_RANK, "stayover")


def order_key(priority: Priority, task: HousekeepingTask, room: Room) -> tuple:
    arrival = priority.arrival_time or LATEST
    return (priority.rank, arrival, floor_of(room), room.room_number, task.id)


@dataclass(frozen=True)
class Work:
    """A task to share out: its id, the room's floor and number, its credits."""

    task_id: int
    floor: int
    room_number: int
    credits: float


def share_out(work: Sequence[Work], housekeepers: Sequence[str]) -> dict[int, str]:
    """task id -> housekeeper (see the module's docstring for the rule)."""
    if not housekeepers:
        return {}
    ordered = sorted(work, key=lambda w: (w.floor, w.room_number, w.task_id))
    remaining = sum(w.credits for w in ordered)
    shares: dict[int, str] = {}
    person, load = 0, 0.0
    fair = remaining / len(housekeepers)
    for item in ordered:
        last = person == len(housekeepers) - 1
        if not last and load > 0 and load + item.credits / 2 > fair:
            person, load = person + 1, 0.0
            fair = remaining / (len(housekeepers) - person)
        shares[item.task_id] = housekeepers[person]
        load += item.credits
        remaining -= item.credits
    return shares
