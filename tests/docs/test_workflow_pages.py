"""The generated workflow pages: they match the committed docs, show every transition of
the specification, and a new or changed machine changes them."""

import re
import shutil
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pytest
from statemachine import State
from typer.testing import CliRunner

from cli.main import app
from tests.docs.conftest import DOCS
from tests.test_machines import BOOKING_ALLOWED, ROOM_ALLOWED
from workflows.documentation import diagram_pages, registry
from workflows.documentation.diagram_pages import markdown_pages, write_pages
from workflows.documentation.diagrams import mermaid
from workflows.documentation.registry import FiredBy, Firer, RegisteredMachine
from workflows.machines.base import TurnoverMachine
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.room_turnover import RoomTurnover

WORKFLOW_DOCS = DOCS / "workflows"
needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)"
)


def state_id(machine: type[TurnoverMachine], value: str) -> str:
    return machine.states_map[value].id


def test_committed_pages_are_what_turnover_diagrams_writes(tmp_path: Path) -> None:
    """Fails when a machine changed and `turnover diagrams` was not run (or a page was
    edited by hand). SVGs are left out: their bytes depend on the Graphviz version."""
    write_pages(tmp_path)
    generated = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.md")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in WORKFLOW_DOCS.glob("*.md")}
    assert sorted(committed) == sorted(generated), "run `turnover diagrams` and commit"
    for name, text in generated.items():
        assert committed[name] == text, f"docs/workflows/{name} is stale: run `turnover diagrams`"


@pytest.mark.parametrize(
    ("machine", "allowed"), [(BookingLifecycle, BOOKING_ALLOWED), (RoomTurnover, ROOM_ALLOWED)]
)
def test_diagram_draws_exactly_the_specified_transitions(
    machine: type[TurnoverMachine], allowed: dict[tuple[str, str], str]
) -> None:
    edges = re.findall(r"^\s+(\w+) --> (\w+) : (\w+)", mermaid(machine), re.MULTILINE)
    expected = [
        (state_id(machine, source), state_id(machine, target), event)
        for (source, event), target in allowed.items()
    ]
    assert sorted(edges) == sorted(expected)


@pytest.mark.parametrize(
    ("machine", "allowed"), [(BookingLifecycle, BOOKING_ALLOWED), (RoomTurnover, ROOM_ALLOWED)]
)
def test_events_table_lists_every_specified_transition(
    machine: type[TurnoverMachine], allowed: dict[tuple[str, str], str]
) -> None:
    page = markdown_pages()[f"{registry.registered(machine).name}.md"]
    rows = [line for line in page.splitlines() if re.match(r"\| `\w+` \| `", line)]
    listed = set()
    for row in rows:
        event = row.split("`")[1]
        sources, target = row.split("|")[2].split("→")
        for source in re.findall(r"`(\w+)`", sources):
            listed.add(((source, event), target.strip().strip("`")))
    assert listed == set(allowed.items())


def test_room_page_shows_guards_hooks_events_and_who_fires() -> None:
    page = markdown_pages()["room-turnover.md"]
    force = next(line for line in page.splitlines() if line.startswith("| `force_checkout` | `"))
    assert "`actor_is_superuser`" in force
    assert "superuser" in force and "`bulk_checkout`" in force
    assert "`room-status-changed`" in force
    check_out = next(line for line in page.splitlines() if line.startswith("| `check_out` | `"))
    hooks = re.findall(r"`([\w.]+)`", check_out.split("|")[4])
    assert hooks == [
        "TransitionRecorder.before_transition",
        "mark_vacant",
        "record_checkout_notification",
        "clear_fcm_token",
        "detach_guests",
        "delete_chat_sessions",
        "delete_conversations",
        "delete_open_orders",
        "append_turnover_note",
        "TransitionRecorder.after_transition",
    ]
    assert "| `READY_FOR_GUEST` | initial |" in page


def test_booking_page_marks_final_states_and_refusal_codes() -> None:
    page = markdown_pages()["booking-lifecycle.md"]
    for final in ("CANCELLED", "NO_SHOW"):
        assert f"| `{final}` |  | final |" in page
    assert "| `COMPLETED` |  |  | `reinstate` |" in page  # a wrong checkout can be undone
    assert "`NOT_CHECKED_IN` | Booking must be checked in to check out |" in page
    assert "`booking-checked-out`" in page


class Minibar(TurnoverMachine):
    """A machine the tests register to see it get its own page."""

    entity_kind = "minibar"
    status_field = "status"
    stocked = State(value="STOCKED", initial=True)
    empty = State(value="EMPTY", final=True)
    drink_everything = stocked.to(empty)
    realtime_events: ClassVar[dict[str, str]] = {"drink_everything": "minibar-emptied"}


def test_a_registered_machine_gets_its_page_without_touching_the_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = RegisteredMachine("minibar", Minibar, {"drink_everything": FiredBy(Firer.STAFF)})
    machines = (*registry.MACHINES, entry)
    monkeypatch.setattr(registry, "MACHINES", machines)
    monkeypatch.setattr(diagram_pages, "MACHINES", machines)
    write_pages(tmp_path)
    page = (tmp_path / "minibar.md").read_text(encoding="utf-8")
    assert "stocked --> empty : drink_everything" in page
    assert "| `drink_everything` | `STOCKED` → `EMPTY` |" in page
    assert "[Minibar](minibar.md)" in (tmp_path / "index.md").read_text(encoding="utf-8")


def test_every_event_of_every_machine_says_who_fires_it() -> None:
    for entry in registry.MACHINES:
        events = {event.id for event in entry.machine.events}
        assert set(entry.fired_by) == events, entry.name


def svg_edges(svg: str) -> Counter[tuple[str, str]]:
    titles = re.findall(r"<title>(\w+)&#45;&gt;(\w+)</title>", svg)
    return Counter((a, b) for a, b in titles if not a.startswith("__"))


@pytest.mark.parametrize("entry", registry.MACHINES, ids=lambda entry: entry.name)
def test_committed_svgs_draw_the_machines(entry: RegisteredMachine) -> None:
    """Checks the drawing's structure, not its bytes (which vary with Graphviz versions)."""
    svg = (WORKFLOW_DOCS / f"{entry.name}.svg").read_text(encoding="utf-8")
    machine = entry.machine
    expected = Counter(
        (t.source.id, t.target.id) for state in machine.states for t in state.transitions
    )
    assert svg_edges(svg) == expected
    labels = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert {event.id for event in machine.events} <= labels
    assert {state.value for state in machine.states} <= labels


@needs_graphviz
def test_turnover_diagrams_writes_pages_and_svgs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["diagrams", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [
        "booking-lifecycle.md",
        "booking-lifecycle.svg",
        "error-codes.md",
        "housekeeping-task.md",
        "housekeeping-task.svg",
        "index.md",
        "out-of-order-period.md",
        "out-of-order-period.svg",
        "room-turnover.md",
        "room-turnover.svg",
    ]
    svg = (tmp_path / "room-turnover.svg").read_text(encoding="utf-8")
    committed = (WORKFLOW_DOCS / "room-turnover.svg").read_text(encoding="utf-8")
    assert svg_edges(svg) == svg_edges(committed)


@pytest.mark.usefixtures("without_graphviz")
def test_turnover_diagrams_without_graphviz_explains_and_writes_the_pages(
    tmp_path: Path,
) -> None:
    output = tmp_path / "pages"
    result = CliRunner().invoke(app, ["diagrams", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Graphviz" in result.output and "apt-get install graphviz" in result.output
    assert sorted(path.suffix for path in output.iterdir()) == [".md"] * 6
