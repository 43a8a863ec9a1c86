"""A machine's definition as data, read from the machine class and its registry entry.

The docs pages (`diagram_pages.py`, beside this module) and `GET /api/workflows/{name}/`
both come from `describe`, so what they show is what the code does.
"""

import inspect
import sys
from typing import Any

from pydantic import BaseModel

from workflows.documentation.registry import RegisteredMachine
from workflows.machines.base import (
    NOT_AVAILABLE,
    ROLE_MAY_NOT,
    SUPERUSERS_ONLY,
    Drive,
    Follow,
    Refusal,
    TurnoverMachine,
    guard_names,
    refusal_of_guard,
)
from workflows.machines.realtime_events import hotel_channel
from workflows.machines.recorder import TransitionRecorder

# Every TurnoverMachine inherits this mixin (see TurnoverMachine); its before_transition /
# after_transition hooks run on every transition and are named after it.
LISTENERS: tuple[type, ...] = (TransitionRecorder,)


class StateInfo(BaseModel):
    value: str
    id: str
    initial: bool
    final: bool
    events: list[str]


class TransitionInfo(BaseModel):
    event: str
    from_state: str
    to_state: str
    guards: list[str]
    hooks: list[str]


class RefusalInfo(BaseModel):
    when: str
    code: str
    message: str


class EventInfo(BaseModel):
    name: str
    realtime_event: str | None
    fired_by: str
    services: list[str]
    # Roles that may fire it (a superuser may fire every event); None: only ever driven.
    roles: list[str] | None
    # "<machine class>.<event>" this event fires after its own transition, if any.
    drives: str | None
    # Repeating it once done changes nothing and answers as it stands.
    repeatable: bool
    transitions: list[TransitionInfo]
    refusals: list[RefusalInfo]


class CallbackInfo(BaseModel):
    name: str
    kind: str  # "guard" | "hook"
    description: str


class MachineDefinition(BaseModel):
    name: str
    class_name: str
    module: str
    description: str
    entity_kind: str
    status_field: str
    channel: str
    states: list[StateInfo]
    events: list[EventInfo]
    transitions: list[TransitionInfo]
    callbacks: list[CallbackInfo]
    every_transition: str


def describe(entry: RegisteredMachine) -> MachineDefinition:
    machine = entry.machine
    transitions = all_transitions(machine)
    return MachineDefinition(
        name=entry.name,
        class_name=machine.__name__,
        module=machine.__module__,
        description=_description(machine),
        entity_kind=machine.entity_kind,
        status_field=machine.status_field,
        channel=hotel_channel("{hotel_slug}"),
        states=[_state_info(state) for state in machine.states],
        events=[_event_info(entry, event.id, transitions) for event in machine.events],
        transitions=transitions,
        callbacks=_callbacks(machine, transitions),
        every_transition=inspect.getdoc(sys.modules[TransitionRecorder.__module__]) or "",
    )


def _description(machine: type) -> str:
    """The machine module's docstring (its one-line summary) and the class docstring."""
    module_doc = inspect.getdoc(sys.modules[machine.__module__]) or ""
    parts = [module_doc.split("\n\n")[0], inspect.getdoc(machine) or ""]
    return "\n\n".join(part for part in parts if part)


def all_transitions(machine: type[TurnoverMachine]) -> list[TransitionInfo]:
    """Every (event, from, to), in the order the states and their transitions are declared."""
    result = []
    for state in machine.states:
        for transition in state.transitions:
            for event in transition.events:
                result.append(
                    TransitionInfo(
                        event=str(event),
                        from_state=transition.source.value,
                        to_state=transition.target.value,
                        guards=guard_names(transition),
                        hooks=hooks_in_run_order(machine, transition),
                    )
                )
    return result


def hooks_in_run_order(machine: type[TurnoverMachine], transition: Any) -> list[str]:
    """The callbacks a transition runs, in python-statemachine's order: before, exit of the
    source, on, enter of the target, after. Naming conventions (`on_enter_<state>`, ...)
    count only where the machine or its listener defines them."""
    groups = (
        transition.before,
        transition.source.exit,
        transition.on,
        transition.target.enter,
        transition.after,
    )
    hooks = []
    for group in groups:
        for spec in group:
            name = spec.func if isinstance(spec.func, str) else spec.func.__name__
            hooks.extend(_defined_callbacks(machine, name, spec.is_convention))
    return hooks


def _defined_callbacks(machine: type, name: str, is_convention: bool) -> list[str]:
    not_defined = is_convention and not _defines(machine, name, besides=LISTENERS)
    found = [] if not_defined else [name]
    found += [f"{listener.__name__}.{name}" for listener in LISTENERS if _defines(listener, name)]
    return found


def _defines(cls: type, name: str, besides: tuple[type, ...] = ()) -> bool:
    return any(
        name in vars(klass)
        for klass in cls.__mro__
        if klass.__module__ != "builtins" and klass not in besides
    )


def _state_info(state: Any) -> StateInfo:
    events = []
    for transition in state.transitions:
        events += [str(event) for event in transition.events if str(event) not in events]
    return StateInfo(
        value=state.value,
        id=state.id,
        initial=bool(state.initial),
        final=bool(state.final),
        events=events,
    )


def _drive_label(drive: Drive | Follow | None) -> str | None:
    if drive is None:
        return None
    if isinstance(drive, Follow):
        return f"{drive.machine_name}: {drive.what}"
    return f"{drive.machine.__name__}.{drive.event}"


def _event_info(
    entry: RegisteredMachine, event: str, transitions: list[TransitionInfo]
) -> EventInfo:
    machine = entry.machine
    own = [t for t in transitions if t.event == event]
    fired_by = entry.fired_by[event]
    roles = machine.who_may_fire.get(event)
    drive = machine.drives.get(event)
    return EventInfo(
        name=event,
        realtime_event=getattr(machine, "realtime_events", {}).get(event),
        fired_by=fired_by.who.value,
        services=fired_by.service_names,
        roles=None if roles is None else [role.value for role in roles],
        drives=_drive_label(drive),
        repeatable=event in machine.repeatable,
        transitions=own,
        refusals=_refusals(machine, event, own),
    )


def _refusals(
    machine: type[TurnoverMachine], event: str, transitions: list[TransitionInfo]
) -> list[RefusalInfo]:
    """What a caller gets when the event is refused, rule by rule (messages are templates:
    `{state}` is the current state, `{entity}` the booking or room)."""
    sources = list(dict.fromkeys(t.from_state for t in transitions))
    refusals = []
    if len(sources) < len(machine.states):
        when = f"in a state other than {', '.join(sources)}"
        refusals.append(_refusal_info(when, machine.unavailable.get(event, NOT_AVAILABLE)))
    for guard in dict.fromkeys(g for t in transitions for g in t.guards):
        refusal = refusal_of_guard(machine, guard, event)
        refusals.append(_refusal_info(f"{guard} is false", refusal))
    roles = machine.who_may_fire.get(event)
    if roles is not None:
        refusal = ROLE_MAY_NOT if roles else SUPERUSERS_ONLY
        refusals.append(_refusal_info("the caller's role may not fire it", refusal))
    for refusal in refusals:
        refusal.message = refusal.message.replace("{event}", event)
    return refusals


def _refusal_info(when: str, refusal: Refusal) -> RefusalInfo:
    return RefusalInfo(when=when, code=refusal.code.name, message=refusal.message)


def _callbacks(
    machine: type[TurnoverMachine], transitions: list[TransitionInfo]
) -> list[CallbackInfo]:
    guards = dict.fromkeys(g for t in transitions for g in t.guards)
    hooks = dict.fromkeys(h for t in transitions for h in t.hooks)
    return [_callback(machine, name, "guard") for name in guards] + [
        _callback(machine, name, "hook") for name in hooks
    ]


def _callback(machine: type, name: str, kind: str) -> CallbackInfo:
    owner_name, _, method = name.rpartition(".")
    owner = next((cls for cls in LISTENERS if cls.__name__ == owner_name), machine)
    doc = inspect.getdoc(getattr(owner, method or name, None)) or ""
    return CallbackInfo(name=name, kind=kind, description=" ".join(doc.split("\n\n")[0].split()))
