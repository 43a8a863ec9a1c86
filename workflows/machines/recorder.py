"""What every machine does: claim the state change, then write audit and outbox.

Before the transition's hooks run, the new state is claimed with a compare-and-set
(`UPDATE ... WHERE id = ? AND <status> = <expected>`). A concurrent transaction that got
there first makes it match no row: `ConcurrentTransition` is raised before any side effect,
and the caller's retry sees the new state. After the hooks, one `TransitionLog` row and one
`OutboxEvent` row are added to the same session, so they commit with the change or not at all.
"""

from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from storage.models import OutboxEvent, TransitionLog
from workflows.machines.errors import ConcurrentTransition
from workflows.machines.realtime_events import hotel_channel

if TYPE_CHECKING:
    from workflows.machines.base import TurnoverMachine


class TransitionRecorder:
    """A mixin of `TurnoverMachine`: python-statemachine finds these two hooks on the
    machine itself (a separate listener object costs a callback resolution per machine)."""

    def before_transition(self: "TurnoverMachine", event: str, source: Any, target: Any) -> None:
        """Claims the new state with a compare-and-set before any other hook runs."""
        _compare_and_set(self, str(event), source.value, target.value)

    def after_transition(self: "TurnoverMachine", event: str, source: Any, target: Any) -> None:
        """Adds the TransitionLog row and the OutboxEvent row (the realtime event)."""
        ctx = self.ctx
        ctx.session.add(
            TransitionLog(
                hotel_id=ctx.hotel.id,
                entity_kind=self.entity_kind,
                entity_id=self.model.id,
                entity_ref=self.entity_ref(),
                event=str(event),
                from_state=source.value,
                to_state=target.value,
                actor=ctx.actor.username,
                actor_id=ctx.actor.staff_id,
                source=ctx.source,
                note=ctx.note,
                details=self.log_details,
                created_at=ctx.now,
            )
        )
        name, payload = self.realtime_event(str(event), source.value, target.value)
        ctx.session.add(
            OutboxEvent(
                hotel_id=ctx.hotel.id,
                channel=hotel_channel(ctx.hotel.slug),
                event_name=name,
                payload=payload,
                created_at=ctx.now,
            )
        )


def _compare_and_set(machine: "TurnoverMachine", event: str, expected: str, new: str) -> None:
    row = machine.model
    table = type(row).__table__  # type: ignore[attr-defined]
    status_column = table.c[machine.status_field]
    claimed = machine.ctx.execute_bulk(
        update(table)
        .where(table.c.id == row.id, status_column == expected)
        .values({machine.status_field: new})
    )
    if claimed.rowcount != 1:
        raise ConcurrentTransition(
            f"{machine.entity_label()} changed while {event} was being applied"
        )
