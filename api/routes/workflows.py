"""The workflow machines as data and as diagrams; a room's diagram with its state marked.

`/api/workflows/...` is public: it describes the code (the same content as the published
docs pages), no hotel's data. The room diagrams are hotel data and need that hotel's staff.
"""

from typing import Annotated

from fastapi import Path
from fastapi.responses import Response
from pydantic import BaseModel

from api.auth import HotelStaff
from api.errors import ApiError
from api.routing import SlashOptionalRouter
from api.schemas import ErrorEnvelope
from workflows.documentation import diagrams
from workflows.documentation.introspection import MachineDefinition, describe
from workflows.documentation.registry import MACHINES, RegisteredMachine, find_machine
from workflows.machines.base import TurnoverMachine
from workflows.machines.errors import GRAPHVIZ_NOT_INSTALLED, WORKFLOW_NOT_FOUND
from workflows.machines.room_turnover import RoomTurnover

router = SlashOptionalRouter(tags=["workflows"])

MERMAID_TYPE = "text/plain; charset=utf-8"
SVG_TYPE = "image/svg+xml"
WorkflowName = Annotated[str, Path(max_length=64)]
RoomNumber = Annotated[int, Path(ge=1, le=999_999)]
NOT_FOUND = {status: {"model": ErrorEnvelope} for status in (404, 422)}
SVG_RESPONSES = {
    200: {"content": {SVG_TYPE: {}}},
    501: {"model": ErrorEnvelope, "description": "Graphviz is not installed on the server"},
}
MERMAID_RESPONSES = {200: {"content": {MERMAID_TYPE.split(";")[0]: {}}}}
ROOM_ERRORS = {status: {"model": ErrorEnvelope} for status in (401, 403, 404, 422)}


class WorkflowSummary(BaseModel):
    name: str
    class_name: str
    entity_kind: str
    status_field: str
    url: str


class WorkflowList(BaseModel):
    workflows: list[WorkflowSummary]


def _workflow(name: str) -> RegisteredMachine:
    entry = find_machine(name)
    if entry is None:
        known = ", ".join(entry.name for entry in MACHINES)
        raise ApiError(WORKFLOW_NOT_FOUND, f"No workflow '{name}' (known: {known})")
    return entry


def _mermaid(text: str) -> Response:
    return Response(text, media_type=MERMAID_TYPE)


def _svg(machine: type[TurnoverMachine], active: str | None = None) -> Response:
    try:
        return Response(diagrams.svg(machine, active), media_type=SVG_TYPE)
    except diagrams.GraphvizNotFoundError:
        raise ApiError(
            GRAPHVIZ_NOT_INSTALLED,
            "SVG diagrams need Graphviz's `dot` on the server; use diagram.mmd (Mermaid)",
        ) from None


@router.get("/api/workflows/", summary="List the workflow machines")
def list_workflows() -> WorkflowList:
    return WorkflowList(
        workflows=[
            WorkflowSummary(
                name=entry.name,
                class_name=entry.machine.__name__,
                entity_kind=entry.machine.entity_kind,
                status_field=entry.machine.status_field,
                url=f"/api/workflows/{entry.name}/",
            )
            for entry in MACHINES
        ]
    )


@router.get(
    "/api/workflows/{name}/",
    responses=NOT_FOUND,
    summary="A workflow machine's definition: states, events, transitions, guards, hooks",
)
def get_workflow(name: WorkflowName) -> MachineDefinition:
    return describe(_workflow(name))


@router.get(
    "/api/workflows/{name}/diagram.mmd",
    response_class=Response,
    responses={**MERMAID_RESPONSES, **NOT_FOUND},
    summary="A workflow machine as a Mermaid state diagram",
)
def workflow_mermaid(name: WorkflowName) -> Response:
    return _mermaid(diagrams.mermaid(_workflow(name).machine))


@router.get(
    "/api/workflows/{name}/diagram.svg",
    response_class=Response,
    responses={**SVG_RESPONSES, **NOT_FOUND},
    summary="A workflow machine drawn by Graphviz (501 where Graphviz is not installed)",
)
def workflow_svg(name: WorkflowName) -> Response:
    return _svg(_workflow(name).machine)


@router.get(
    "/api/staff/hotels/{hotel_slug}/rooms/{room_number}/diagram.mmd",
    response_class=Response,
    responses={**MERMAID_RESPONSES, **ROOM_ERRORS},
    summary="The room-turnover diagram with this room's current state highlighted (Mermaid)",
)
def room_mermaid(hotel_slug: str, room_number: RoomNumber, member: HotelStaff) -> Response:
    status = diagrams.room_status(hotel_slug, room_number)
    return _mermaid(diagrams.mermaid(RoomTurnover, active=status))


@router.get(
    "/api/staff/hotels/{hotel_slug}/rooms/{room_number}/diagram.svg",
    response_class=Response,
    responses={**SVG_RESPONSES, **ROOM_ERRORS},
    summary="The room-turnover diagram with this room's current state highlighted (SVG)",
)
def room_svg(hotel_slug: str, room_number: RoomNumber, member: HotelStaff) -> Response:
    status = diagrams.room_status(hotel_slug, room_number)
    return _svg(RoomTurnover, active=status)
