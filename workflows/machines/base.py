"""What every Turnover machine shares: how it binds to a row, fires events, explains refusals.

A machine is built per operation around one database row (`model=`, `state_field=`) and a
`TransitionContext` (session, actor, source, clock). Guards are plain `cond` methods, so
`enabled_events()` can evaluate them for a UI; when an event is refused, `fire` works out
which rule said no and raises a `TransitionRefused` with that rule's stable code.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlmodel import Session, SQLModel
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from storage.models import Hotel
from storage.timestamps import utc_now
from workflows.machines.actors import Actor
from workflows.machines.errors import TransitionRefused
from workflows.machines.recorder import TransitionRecorder

TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"

# (code, message) of a refusal; the message may use {event}, {state} and {entity}.
Refusal = tuple[str, str]
# The refusal of an event the current state has no transition for, unless `unavailable`
# names another.
NOT_AVAILABLE: Refusal = (TRANSITION_NOT_ALLOWED, "Cannot {event} {entity} while it is {state}")


@dataclass
class TransitionContext:
    """Everything a transition's guards, hooks and audit row need besides the row itself."""

    session: Session
    hotel: Hotel
    actor: Actor
    source: str
    note: str | None = None
    now: datetime = field(default_factory=utc_now)

    def execute_bulk(self, statement: Any) -> Any:
        """Run a set-based UPDATE/DELETE from a hook. The session's loaded rows are not
        synchronised: hooks never re-read what they wrote, and syncing walks every row the
        session holds, which makes a 1,000-room bulk checkout quadratic. Nor is the session
        flushed first: no such statement depends on a pending row, and the audit and
        outbox rows then go out together at the next flush, one batched INSERT per table."""
        with self.session.no_autoflush:
            return self.session.execute(statement, execution_options={"synchronize_session": False})


class TurnoverMachine(TransitionRecorder, StateMachine):
    """Base of the project's machines. `StateMachine` (not `StateChart`) so that a refused
    event raises and a failing hook propagates instead of becoming an internal event.
    `TransitionRecorder` gives every machine its before/after_transition hooks."""

    entity_kind: ClassVar[str]
    status_field: ClassVar[str]
    # Why an event is refused when the current state has no transition for it.
    unavailable: ClassVar[dict[str, Refusal]] = {}
    # Why an event is refused when a guard returns False, by (event, guard method name).
    guard_refusals: ClassVar[dict[tuple[str, str], Refusal]] = {}

    def __init__(self, row: SQLModel, ctx: TransitionContext, **related: Any) -> None:
        self.ctx = ctx
        self.related = related
        # Set by hooks that need the audit row to carry more (e.g. a deleted-rows snapshot).
        self.log_details: dict[str, Any] | None = None
        super().__init__(model=row, state_field=self.status_field)

    # --- what the recorder and the messages need to know about the row --------------------

    @property
    def status(self) -> str:
        return getattr(self.model, self.status_field)

    def entity_label(self) -> str:
        raise NotImplementedError

    def entity_ref(self) -> str:
        raise NotImplementedError

    def realtime_event(self, event: str, old_status: str, new_status: str) -> tuple[str, dict]:
        """The (event name, payload) published for a transition."""
        raise NotImplementedError

    # --- firing ---------------------------------------------------------------------------

    def fire(self, event: str) -> None:
        """Send `event`; a refusal raises `TransitionRefused` with the rule's code."""
        try:
            self.send(event)
        except TransitionNotAllowed:
            raise self.refusal(event) from None

    def enabled_event_names(self) -> list[str]:
        """Events whose transition exists here and whose guards pass (a UI's buttons)."""
        return [event.id for event in self.enabled_events()]

    def refusal(self, event: str) -> TransitionRefused:
        state = self.states_map[self.status]
        candidates = [t for t in state.transitions if t.match(event)]
        if not candidates:
            known = any(e.id == event for e in self.events)
            default = NOT_AVAILABLE
            if not known:
                default = (TRANSITION_NOT_ALLOWED, "Unknown event '{event}' for {entity}")
            return self._refusal(self.unavailable.get(event, default), event)
        for transition in candidates:
            for guard in guard_names(transition):
                if not getattr(self, guard)():
                    return self._refusal(self.guard_refusals[(event, guard)], event)
        return self._refusal((TRANSITION_NOT_ALLOWED, "Cannot {event} {entity} now"), event)

    def _refusal(self, refusal: Refusal, event: str) -> TransitionRefused:
        code, template = refusal
        message = template.format(event=event, state=self.status, entity=self.entity_label())
        return TransitionRefused(message, code=code)


def guard_names(transition: Any) -> list[str]:
    return [spec.func for spec in transition.cond if isinstance(spec.func, str)]


def hook_names(transition: Any) -> list[str]:
    """The transition's own `on=` hooks, in the order they run."""
    return [spec.func for spec in transition.on if not spec.is_convention]


def state_values(machine: type[TurnoverMachine]) -> list[str]:
    return [state.value for state in machine.states]


def initial_value(machine: type[TurnoverMachine]) -> str:
    initial: State | None = machine.initial_state
    assert initial is not None
    return initial.value
