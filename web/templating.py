"""Rendering the pages: Jinja2 templates (web/templates), the app's own static files
(web/static, with a content hash in each URL so a new version is never read from a cache),
the words for states and events, and the headers every page carries."""

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from storage.models import Hotel
from workflows.services.hotel_calendar import hotel_timezone

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_URL = "/static"

# Nothing from another origin, no inline script or style: what a page needs is served here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages show who is signed in and the hotel's rooms
}

STATUS_LABELS = {
    "READY_FOR_GUEST": "Ready for guest",
    "OCCUPIED": "Occupied",
    "CHECKOUT_DIRTY": "Dirty",
    "CLEANING_IN_PROGRESS": "Cleaning",
    "CLEANED_UNINSPECTED": "Cleaned, to inspect",
    "OUT_OF_ORDER": "Out of order",
}
EVENT_LABELS = {
    "check_in": "Check in",
    "check_out": "Check out",
    "start_cleaning": "Start cleaning",
    "finish_cleaning": "Finish cleaning",
    "pass_inspection": "Pass inspection",
    "fail_inspection": "Fail inspection",
    "take_out_of_order": "Take out of order",
    "return_to_service": "Return to service",
    "force_checkout": "Force checkout (deletes guest records)",
}
ROLE_LABELS = {
    "front_desk": "front desk",
    "housekeeper": "housekeeper",
    "supervisor": "supervisor",
    "manager": "manager",
}

templates = Jinja2Templates(directory=str(HERE / "templates"))


@cache
def _content_hash(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    return f"{STATIC_URL}/{name}?v={_content_hash(name)}"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def event_label(event: str) -> str:
    return EVENT_LABELS.get(event, event.replace("_", " ").capitalize())


def local_time(moment: datetime | None, hotel: Hotel, pattern: str = "%d %b %H:%M") -> str:
    """A stored (UTC) moment as the hotel's clock showed it."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(hotel_timezone(hotel)).strftime(pattern)


NOTHING_MEASURED = "\u2013"  # an en dash


def duration(minutes: float | None) -> str:
    """42.5 -> "43 min", 130 -> "2 h 10 min", None -> an en dash (nothing measured)."""
    if minutes is None:
        return NOTHING_MEASURED
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def percent(fraction: float | None) -> str:
    return NOTHING_MEASURED if fraction is None else f"{fraction * 100:.0f}%"


templates.env.globals.update(
    duration=duration,
    percent=percent,
    static=static_url,
    status_label=status_label,
    event_label=event_label,
    role_label=lambda role: ROLE_LABELS.get(role, role),
    local_time=local_time,
)


def render_page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = templates.TemplateResponse(
        request, name, {"user": user, **context}, status_code=status_code
    )
    page.headers.update(PAGE_HEADERS)
    return page
