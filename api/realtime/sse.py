"""GET /api/staff/hotels/{hotel_slug}/events/: the hotel's realtime events as server-sent
events, read from committed outbox rows (so a rolled-back transaction never shows), in id
order, with `id:` = outbox id so `Last-Event-ID` resumes exactly where a client left off."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.auth import StaffMember, session_member
from api.errors import ApiError
from api.numbers import parse_decimal
from api.realtime.stream_auth import stream_staff
from api.responses import error_responses
from api.routing import SlashOptionalRouter
from config.settings import get_settings
from storage import outbox
from storage.models import OutboxEvent
from storage.unit_of_work import UnitOfWork
from workers.messages import encoded_data
from workflows.machines.errors import VALIDATION_ERROR
from workflows.services.lookups import load_hotel

router = SlashOptionalRouter(tags=["realtime"])

PAGE = 100


class HotelEventReader:
    """One stream's position: events after `cursor`, up to the committed horizon.

    A new stream (PostgreSQL) also passes `started_in`, the snapshot its `cursor` was read
    in: a transaction running then may still commit events with lower ids. Those come
    first, once every such transaction has ended; until then the stream waits.
    """

    def __init__(self, hotel_id: int, cursor: int, started_in: str | None = None) -> None:
        self.hotel_id = hotel_id
        self.cursor = cursor
        self.horizon = outbox.CommittedHorizon(cursor)
        self.started_in = started_in

    def next_events(self) -> list[ServerSentEvent]:
        with UnitOfWork(write=False) as uow:
            if self.started_in is not None and not outbox.snapshot_finished(
                uow.session, self.started_in
            ):
                return []
            late = self._committed_since_start(uow)
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
            for row in late + rows
        ]

    def _committed_since_start(self, uow: UnitOfWork) -> list[OutboxEvent]:
        if self.started_in is None:
            return []
        late = outbox.events_committed_since(
            uow.session, hotel_id=self.hotel_id, snapshot=self.started_in, through_id=self.cursor
        )
        self.started_in = None
        return late


def _reader(hotel_slug: str, last_event_id: str | None) -> HotelEventReader:
    """After Last-Event-ID when resuming, else what commits from now on."""
    resume_after = None if last_event_id is None else parse_decimal(last_event_id)
    if last_event_id is not None and resume_after is None:
        raise ApiError(VALIDATION_ERROR, "Last-Event-ID must be an event id (a number)")
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        newest, snapshot = outbox.max_id_and_snapshot(uow.session)
    assert hotel.id is not None
    if resume_after is None:
        return HotelEventReader(hotel.id, newest, started_in=snapshot)
    # An id beyond the newest (e.g. the database was recreated) resumes from now.
    return HotelEventReader(hotel.id, min(resume_after, newest))


class SessionCheck:
    """A stream opened with the web pages' session cookie ends once the session does
    (sign-out, expiry, the member deactivated): checked every keep-alive interval. Each
    check counts as use of the session, so an open board keeps it from idling out."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.interval = get_settings().sse_keepalive_seconds
        self.checked_at = time.monotonic()

    async def ended(self) -> bool:
        if time.monotonic() - self.checked_at < self.interval:
            return False
        self.checked_at = time.monotonic()
        return await run_in_threadpool(session_member, self.request) is None


async def _events(request: Request, reader: HotelEventReader) -> AsyncIterator[ServerSentEvent]:
    poll_seconds = get_settings().relay_poll_seconds
    wakeups = getattr(request.app.state, "stream_wakeups", None)
    waiter_context = wakeups.waiter() if wakeups else contextlib.nullcontext(asyncio.Event())
    session = SessionCheck(request) if getattr(request.state, "session_stream", False) else None
    with waiter_context as woken:
        yield ServerSentEvent(comment="connected", retry=3000)
        while True:  # ends when the client goes (EventSourceResponse cancels us)
            if session is not None and await session.ended():
                return
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
    return EventSourceResponse(
        _events(request, _reader(hotel_slug, last_event_id)),
        ping=get_settings().sse_keepalive_seconds,
        ping_message_factory=lambda: ServerSentEvent(comment="keep-alive"),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
