"""Diagrams of a machine, drawn by python-statemachine's own renderers.

States are labelled with their stored values (`CHECKOUT_DIRTY`) and transitions with event
names (`start_cleaning`), as the API and the realtime payloads spell them. Mermaid needs no
binary; SVG needs Graphviz's `dot` on PATH (`GraphvizNotFoundError` when it is missing).
"""

import re
import shutil
from functools import cache

from statemachine.contrib.diagram import GraphvizNotFoundError, run_graphviz
from statemachine.contrib.diagram.extract import extract
from statemachine.contrib.diagram.model import DiagramGraph
from statemachine.contrib.diagram.renderers.mermaid import MermaidRenderer

from storage.unit_of_work import UnitOfWork
from workflows.machines.base import TurnoverMachine
from workflows.services.lookups import load_hotel, load_room

__all__ = ["GraphvizNotFoundError", "graphviz_available", "mermaid", "room_status", "svg"]


def diagram_graph(machine: type[TurnoverMachine], active: str | None = None) -> DiagramGraph:
    """The renderers' model of `machine`, with `active` (a state value) highlighted."""
    graph = extract(machine)
    values = {state.id: state.value for state in machine.states}
    for state in graph.states:
        state.name = values[state.id]
        state.is_active = state.name == active
    for transition in graph.transitions:
        transition.event = _event_ids(machine, transition.source, transition.event)
    return graph


def mermaid(machine: type[TurnoverMachine], active: str | None = None) -> str:
    return MermaidRenderer().render(diagram_graph(machine, active))


def graphviz_available() -> bool:
    return shutil.which("dot") is not None


@cache
def svg(machine: type[TurnoverMachine], active: str | None = None) -> bytes:
    """The machine drawn by Graphviz; raises GraphvizNotFoundError without `dot`.

    Drawn once per process for each (machine, highlighted state): the machines are code and
    cannot change while it runs, and running Graphviz costs about 140 ms a drawing, which
    anonymous callers of the public diagram endpoint could otherwise spend at will."""
    from statemachine.contrib.diagram.renderers.dot import DotRenderer  # imports pydot

    dot_source = DotRenderer().render(diagram_graph(machine, active)).to_string()
    return run_graphviz(_stable_node_names(dot_source), "svg")


def room_status(hotel_slug: str, room_number: int) -> str:
    """The room's current state (raises HotelNotFound / RoomNotFound)."""
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        return load_room(uow.session, hotel, room_number).room_status


def _stable_node_names(dot_source: str) -> str:
    """The dot renderer names pseudo-nodes after Python object ids (`__initial_1396...`);
    number them in order of appearance so the same machine gives the same SVG."""
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        return numbers.setdefault(match.group(0), str(len(numbers)))

    return re.sub(r"(?<=_)\d{6,}", renumber, dot_source)


def _event_ids(machine: type[TurnoverMachine], source_id: str, label: str) -> str:
    """The renderers label an edge with event display names ("Start cleaning"); use ids."""
    source = next(state for state in machine.states if state.id == source_id)
    names = {str(event.name): str(event) for t in source.transitions for event in t.events}
    return names.get(label, label)
