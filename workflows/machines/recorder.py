"""What every machine does: claim the state change, then write the row, audit and outbox.

Before the transition's hooks run, the new state is claimed with a compare-and-set
(`UPDATE ... WHERE id = ? AND <status> = <expected>`). A concurrent transaction that got
there first makes it match no row: `ConcurrentTransition` is raised before any side effect,
and the caller's retry sees the new state. After the hooks, the columns they changed on the
row are written (one UPDATE; the status column is not written again), and one
`TransitionLog` row and one `OutboxEvent` row are recorded in the same transaction, so they
commit with the change or not at all. They are inserted when the outermost `fire` returns
(`TransitionContext.records`): a booking's checkout and the room checkout it drives write
their audit rows in one INSERT. A bulk checkout holds its rooms' column updates and hook
writes too, and runs each statement once for all its rooms at the end.
"""

from typing import TYPE_CHECKING, Any

from storage.outbox import PENDING
from storage.transition_writes import compare_and_set
from workflows.machines.errors import ConcurrentTransition
from workflows.machines.realtime_events import hotel_channel

if TYPE_CHECKING:
    from workflows.machines.base import TransitionContext, TurnoverMachine


class TransitionRecorder:
    """A mixin of `TurnoverMachine`: python-statemachine finds these two hooks on the
    machine itself (a separate listener object costs a callback resolution per machine)."""

    def before_transition(self: "TurnoverMachine", event: str, source: Any, target: Any) -> None:
        """Claims the new state with a compare-and-set before any other hook runs."""
        _compare_and_set(self, str(event), source.value, target.value)
        self.ctx.records.claimed = True
        self.model.capture()

    def after_transition(self: "TurnoverMachine", event: str, source: Any, target: Any) -> None:
        """Writes what the hooks changed on the row, then records the TransitionLog row and
        the OutboxEvent row (the realtime event)."""
        ctx = self.ctx
        self.model.write_changes(ctx.session, written=self.status_field)
        name, old, new = str(event), source.value, target.value
        # (written when the outermost `fire` ends; at once when fired with a bare `send`)
        ctx.records.record(
            ctx.session, audit_row(self, name, old, new), outbox_row(self, name, old, new)
        )


def audit_row(machine: "TurnoverMachine", event: str, old: str, new: str) -> dict[str, Any]:
    """The TransitionLog row's columns."""
    return log_row(
        machine.ctx,
        entity_kind=machine.entity_kind,
        entity_id=machine.model.id,
        entity_ref=machine.entity_ref(),
        event=event,
        from_state=old,
        to_state=new,
        details=machine.log_details,
    )


def outbox_row(machine: "TurnoverMachine", event: str, old: str, new: str) -> dict[str, Any]:
    """The OutboxEvent row's columns: the realtime event of the transition."""
    name, payload = machine.realtime_event(event, old, new)
    return event_row(machine.ctx, name, payload)


def log_row(
    ctx: "TransitionContext",
    *,
    entity_kind: str,
    entity_id: int | None,
    entity_ref: str,
    event: str,
    from_state: str,
    to_state: str,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A TransitionLog row's columns (for `TransitionContext.records`): who, when, why."""
    return {
        "hotel_id": ctx.hotel.id,
        "entity_kind": entity_kind,
        "entity_id": entity_id,
        "entity_ref": entity_ref,
        "event": event,
        "from_state": from_state,
        "to_state": to_state,
        "actor": ctx.actor.username,
        "actor_id": ctx.actor.staff_id,
        "source": ctx.source,
        "note": ctx.note,
        "details": details,
        "created_at": ctx.now,
    }


def event_row(ctx: "TransitionContext", name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An OutboxEvent row's columns (for `TransitionContext.records`), on the hotel's channel."""
    return {
        "hotel_id": ctx.hotel.id,
        "channel": hotel_channel(ctx.hotel.slug),
        "event_name": name,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "created_at": ctx.now,
    }


def _compare_and_set(machine: "TurnoverMachine", event: str, expected: str, new: str) -> None:
    if not compare_and_set(machine.ctx.session, machine.row, machine.status_field, expected, new):
        raise ConcurrentTransition(
            f"{machine.entity_label()} changed while {event} was being applied"
        )
