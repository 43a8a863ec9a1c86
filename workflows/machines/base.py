"""What every Turnover machine shares: how it binds to a row, fires events, explains refusals.

A machine is built around one database row (`model=`, `state_field=`) and a
`TransitionContext` (session, actor, source, clock). Each machine declares, beside its
transitions:
- its guards with `@guard(event=Refusal(...))`: the code and message a caller gets when
  that guard stops that event (`enabled_events()` evaluates the same guards for a UI);
- `unavailable`: the refusal of an event the current state has no transition for;
- `who_may_fire`: which staff roles may fire each event (a superuser may fire every one);
  events missing there are only ever driven by another machine;
- `drives`: the events of other machines an event fires after its own transition (a
  booking's checkout checks its room out): a `Drive` (one fixed event of one related row)
  or a `Follow` (a method of the machine decides, e.g. a room's tasks follow the room). A
  driven event never drives back to a row already in the chain of machines that led to it
  (a task that starts its room's cleaning is not started again by the room);
- `repeatable`: events that, repeated once done, change nothing and refuse nothing.
`fire` applies all of it, in that one place.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlmodel import Session, SQLModel
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from storage.models import Hotel
from storage.timestamps import utc_now
from storage.transition_writes import BoundRow, PendingRecords
from workflows.machines import shared_callbacks
from workflows.machines.actors import Actor, Role
from workflows.machines.errors import (
    PERMISSION_DENIED,
    TRANSITION_NOT_ALLOWED,
    ErrorCode,
    TransitionRefused,
)
from workflows.machines.recorder import TransitionRecorder


@dataclass(frozen=True)
class Refusal:
    """What a caller is told when an event is refused. The message may use {event},
    {state} and {entity}."""

    code: ErrorCode
    message: str

    def error(self, machine: "TurnoverMachine", event: str) -> TransitionRefused:
        entity = machine.entity_label()
        message = self.message.format(event=event, state=machine.status, entity=entity)
        return TransitionRefused(message, code=self.code)


NOT_AVAILABLE = Refusal(TRANSITION_NOT_ALLOWED, "Cannot {event} {entity} while it is {state}")
UNKNOWN_EVENT = Refusal(TRANSITION_NOT_ALLOWED, "Unknown event '{event}' for {entity}")
SUPERUSERS_ONLY = Refusal(PERMISSION_DENIED, "Only a superuser may {event} {entity}")
ROLE_MAY_NOT = Refusal(PERMISSION_DENIED, "A {role} may not {event} {entity}")
NOT_DIRECTLY = Refusal(TRANSITION_NOT_ALLOWED, "Cannot {event} {entity} directly")


def guard(**refusals: Refusal) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    """Declare a guard method and, per event it guards, the refusal when it says no.
    The guard notes on the machine that it said no, so a refusal needs no second look."""

    def declare(method: Callable[[Any], bool]) -> Callable[[Any], bool]:
        @functools.wraps(method)
        def checked(machine: "TurnoverMachine") -> bool:
            allowed = method(machine)
            if not allowed:
                machine.failed_guard = method.__name__
            return allowed

        checked.refusals = refusals  # type: ignore[attr-defined]
        return checked

    return declare


@dataclass(frozen=True)
class Drive:
    """After this machine's transition, fire `event` on the machine bound to the row
    `related[related_row]` (e.g. the booking's room)."""

    machine: type["TurnoverMachine"]
    related_row: str
    event: str


# Every machine class by name, so that two machines can drive each other without
# importing each other (`Follow.machine_name`).
MACHINE_CLASSES: dict[str, type["TurnoverMachine"]] = {}


@dataclass(frozen=True)
class Follow:
    """After this machine's transition, its method `method(event)` fires what follows on
    machines of class `machine_name` (with `fire_driven`), and may create their rows.
    `what` says it in the docs (e.g. "the room's tasks follow")."""

    machine_name: str
    what: str
    method: str

    @property
    def machine(self) -> type["TurnoverMachine"]:
        return MACHINE_CLASSES[self.machine_name]

    @property
    def event(self) -> str:
        return self.what


# A machine's identity in a chain of driven events: (entity kind, row id).
ChainLink = tuple[str, int | None]


@dataclass
class TransitionContext:
    """Everything a transition's guards, hooks and audit row need besides the row itself."""

    session: Session
    hotel: Hotel
    actor: Actor
    source: str
    note: str | None = None
    now: datetime = field(default_factory=utc_now)
    # The audit and outbox rows of the transitions fired, until the outermost `fire` writes
    # them (a bulk checkout shares one between its rooms, to write them all at once).
    records: PendingRecords = field(default_factory=PendingRecords)

    def execute_bulk(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        """Run a set-based UPDATE/DELETE from a hook, as a Core statement on the session's
        connection (in its transaction and savepoint). The session's loaded rows are not
        synchronised: hooks never re-read what they wrote, and syncing walks every row the
        session holds, which makes a 1,000-room bulk checkout quadratic. Nor is the session
        flushed first: no such statement depends on a row the ORM has not written."""
        return self.session.connection().execute(statement, params)

    def write(self, statement: Any, params: dict[str, Any]) -> None:
        """`execute_bulk` for a write nothing in the transaction reads back: a bulk
        checkout runs each such statement once for all its rooms (see `PendingRecords`)."""
        self.records.execute(self.session, statement, params)


class TurnoverMachine(TransitionRecorder, StateMachine):
    """Base of the project's machines. `StateMachine` (not `StateChart`) so that a refused
    event raises and a failing hook propagates instead of becoming an internal event.
    `TransitionRecorder` gives every machine its before/after_transition hooks."""

    entity_kind: ClassVar[str]
    status_field: ClassVar[str]
    unavailable: ClassVar[dict[str, Refusal]] = {}
    who_may_fire: ClassVar[dict[str, tuple[Role, ...]]] = {}
    drives: ClassVar[dict[str, Drive | Follow]] = {}
    repeatable: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        MACHINE_CLASSES[cls.__name__] = cls

    def __init__(self, row: SQLModel, ctx: TransitionContext, **related: Any) -> None:
        self.ctx = ctx
        self.related = related
        # The machines whose transitions drove this one's event (empty: fired by a caller).
        self.chain: tuple[ChainLink, ...] = ()
        # Set by hooks that need the audit row to carry more (e.g. a deleted-rows snapshot).
        self.log_details: dict[str, Any] | None = None
        self.failed_guard: str | None = None
        # python-statemachine's model: the row, whose changes the recorder writes itself
        if isinstance(row, BoundRow):  # another machine's `model`
            row = row.row
        super().__init__(model=BoundRow(row, ctx.records), state_field=self.status_field)

    def _register_callbacks(self, listeners: list[object]) -> None:
        """python-statemachine's per-machine callback resolution, done once per machine
        class and model class and then shared (see `shared_callbacks`)."""
        shared = None if listeners else shared_callbacks.shared_registry(self)
        if shared is None:
            super()._register_callbacks(listeners)
            if not listeners and not shared_callbacks.is_known(self):
                shared_callbacks.remember(self)
            return
        self._callbacks = shared

    # --- what the recorder and the messages need to know about the row --------------------

    @property
    def row(self) -> SQLModel:
        """The database row the machine is bound to (`model` reads and writes through it)."""
        return self.model.row

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

    def fire(
        self,
        event: str,
        *,
        driven: bool = False,
        drive: bool = True,
        chain: tuple[ChainLink, ...] = (),
    ) -> bool:
        """Send `event`, then (unless not `drive`) the events it drives. Returns False,
        writing nothing, when a repeatable event is repeated. Raises `TransitionRefused` with
        the rule's code when the caller may not fire it or the machine refuses it. `driven`:
        fired by another machine's transition, whose caller's permission covers this one;
        `chain`: the machines that drove it (they are not driven back)."""
        if event in self.repeatable and self.status == self.target_of(event):
            self.check_repeat(event)
            return False
        self.chain = chain
        if not driven:
            self.check_permission(event)
        self.failed_guard = None
        with self.ctx.records.collecting(self.ctx.session):
            try:
                self.send(event)
            except TransitionNotAllowed:
                raise self.refusal(event) from None
            except BaseException:
                self.model.stop_capturing()
                raise
            if drive:
                self.drive(event)
        return True

    def fire_by_name(self, event: str) -> bool:
        """`fire` for an event named by a caller (a room's transitions endpoint): only the
        events `directly` lists, the others are refused with the reason the machine gives."""
        if event not in self.directly:
            raise self.not_fired_directly(event)
        return self.fire(event)

    # Events a caller may name (`fire_by_name`); machines override.
    directly: ClassVar[tuple[str, ...]] = ()

    def not_fired_directly(self, event: str) -> TransitionRefused:
        return NOT_DIRECTLY.error(self, event)

    def check_repeat(self, event: str) -> None:
        """Called when a repeatable event is repeated: refuse a repeat that asks for
        something else than what was done (machines override)."""

    @classmethod
    def permits(cls, actor: Actor, event: str) -> bool:
        """Whether `actor`'s role may fire `event` (driven-only events: nobody directly)."""
        return event in cls.who_may_fire and actor.may_fire(cls.who_may_fire[event])

    def check_permission(self, event: str) -> None:
        if event not in self.who_may_fire:
            return  # unknown or driven-only events are refused by the machine itself
        roles = self.who_may_fire[event]
        if self.ctx.actor.may_fire(roles):
            return
        refusal = SUPERUSERS_ONLY if not roles else ROLE_MAY_NOT
        message = refusal.message.replace("{role}", self.ctx.actor.role.value)
        raise Refusal(refusal.code, message).error(self, event)

    @property
    def is_driven(self) -> bool:
        return bool(self.chain)

    def link(self) -> ChainLink:
        return (self.entity_kind, self.model.id)

    def drive(self, event: str) -> None:
        coupling = self.drives.get(event)
        if coupling is None:
            return
        if isinstance(coupling, Follow):
            getattr(self, coupling.method)(event)
            return
        row = self.related[coupling.related_row]
        self.fire_driven(coupling.machine, row, coupling.event)

    def fire_driven(
        self, machine: type["TurnoverMachine"], row: SQLModel, event: str, **related: Any
    ) -> bool:
        """Fire `event` on `row`'s `machine` as driven by this transition; nothing (False)
        when that row is already in the chain that led here."""
        chain = (*self.chain, self.link())
        if (machine.entity_kind, row.id) in chain:  # type: ignore[attr-defined]
            return False
        related = {self.entity_kind: self.row, **related}
        return machine(row, self.ctx, **related).fire(event, driven=True, chain=chain)

    def enabled_event_names(self) -> list[str]:
        """Events the actor may fire here now: their transition exists, its guards pass
        and the actor's role may fire them (a UI's buttons)."""
        actor = self.ctx.actor
        return [
            event.id
            for event in self.enabled_events()
            if event.id not in self.who_may_fire or actor.may_fire(self.who_may_fire[event.id])
        ]

    @classmethod
    @functools.cache
    def target_of(cls, event: str) -> str | None:
        """The state `event` leads to, when every transition of it leads to the same one."""
        targets = {
            transition.target.value
            for state in cls.states
            for transition in state.transitions
            if transition.match(event)
        }
        return targets.pop() if len(targets) == 1 else None

    def refusal(self, event: str) -> TransitionRefused:
        if self.failed_guard is not None:
            return refusal_of_guard(type(self), self.failed_guard, event).error(self, event)
        if not any(e.id == event for e in self.events):
            return UNKNOWN_EVENT.error(self, event)
        return self.unavailable.get(event, NOT_AVAILABLE).error(self, event)


def refusal_of_guard(machine: type[TurnoverMachine], guard_name: str, event: str) -> Refusal:
    return getattr(machine, guard_name).refusals[event]


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
