"""GET /api/staff/hotels/{hotel_slug}/events/: the hotel's realtime events as server-sent
events, read from committed outbox rows (so a rolled-back transaction never shows), in id
order, with `id:` = outbox id so `Last-Event-ID` resumes exactly where a client left off."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.auth import StaffMember
from api.errors import ApiError
from api.numbers import parse_decimal
from api.realtime.stream_auth import stream_staff
from api.responses import error_responses
from api.routing import SlashOptionalRouter
from config.settings import get_settings
from storage import outbox
from storage.unit_of_work import UnitOfWork
from workers.messages import encoded_data
from workflows.services.lookups import load_hotel

router = SlashOptionalRouter(tags=["realtime"])

PAGE = 100


class HotelEventReader:
    """One stream's position: events after `cursor`, up to the committed horizon."""

    def __init__(self, hotel_id: int, cursor: int) -> None:
        self.hotel_id = hotel_id
        self.cursor = cursor
        self.horizon = outbox.CommittedHorizon(cursor)

    def next_events(self) -> list[ServerSentEvent]:
        with UnitOfWork(write=False) as uow:
            through = self.horizon.advance(uow.session)
            rows = outbox.hotel_events(
                uow.session,
                hotel_id=self.hotel_id,
                after_id=self.cursor,
                through_id=through,
                limit=PAGE,
            )
        self.cursor = rows[-1].id if len(rows) == PAGE else through  # type: ignore[assignment]
        return [
            ServerSentEvent(id=str(row.id), event=row.event_name, data=encoded_data(row))
            for row in rows
        ]


def _start_position(hotel_slug: str, last_event_id: str | None) -> tuple[int, int]:
    """(hotel id, cursor): after Last-Event-ID when resuming, else only what comes next."""
    resume_after = None if last_event_id is None else parse_decimal(last_event_id)
    if last_event_id is not None and resume_after is None:
        raise ApiError(422, "VALIDATION_ERROR", "Last-Event-ID must be an event id (a number)")
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        newest = outbox.max_id(uow.session)
    if resume_after is None:
        return hotel.id, newest  # type: ignore[return-value]
    # An id beyond the newest (e.g. the database was recreated) resumes from now.
    return hotel.id, min(resume_after, newest)  # type: ignore[return-value]


async def _events(request: Request, reader: HotelEventReader) -> AsyncIterator[ServerSentEvent]:
    poll_seconds = get_settings().relay_poll_seconds
    wakeups = getattr(request.app.state, "stream_wakeups", None)
    waiter_context = wakeups.waiter() if wakeups else contextlib.nullcontext(asyncio.Event())
    with waiter_context as woken:
        yield ServerSentEvent(comment="connected", retry=3000)
        while True:  # ends when the client goes (EventSourceResponse cancels us)
            woken.clear()
            events = await run_in_threadpool(reader.next_events)
            for event in events:
                yield event
            if len(events) == PAGE:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), poll_seconds)


@router.get(
    "/api/staff/hotels/{hotel_slug}/events/",
    summary="The hotel's realtime events as server-sent events (text/event-stream)",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
        **error_responses(),
    },
)
def hotel_event_stream(
    request: Request,
    hotel_slug: str,
    member: Annotated[StaffMember, Depends(stream_staff)],
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> EventSourceResponse:
    hotel_id, cursor = _start_position(hotel_slug, last_event_id)
    reader = HotelEventReader(hotel_id, cursor)
    return EventSourceResponse(
        _events(request, reader),
        ping=get_settings().sse_keepalive_seconds,
        ping_message_factory=lambda: ServerSentEvent(comment="keep-alive"),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
