"""Every error code the project answers, in one registry, and the domain errors that carry them.

An `ErrorCode` is the code, its HTTP status, its usual message and when it happens. The
machines' refusals, the API's error envelope and OpenAPI document, and the docs' error table
(`docs/workflows/error-codes.md`, written by `turnover diagrams`) all read this registry:
a new code is one `_code(...)` line here. Nothing here knows HTTP beyond the number.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    name: str
    http_status: int
    message: str  # the usual message; a refusal may say more
    when: str  # for the docs' table

    def __str__(self) -> str:
        return self.name


ERROR_CODES: dict[str, ErrorCode] = {}


def _code(name: str, http_status: int, message: str, when: str) -> ErrorCode:
    code = ErrorCode(name, http_status, message, when)
    ERROR_CODES[name] = code
    return code


def http_status_of(code: str) -> int:
    """The HTTP status of `code`; a code nobody registered is a refusal (409)."""
    known = ERROR_CODES.get(code)
    return known.http_status if known else 409


BAD_REQUEST = _code(
    "BAD_REQUEST", 400, "The request could not be read", "a request the server cannot read at all"
)
NOT_AUTHENTICATED = _code(
    "NOT_AUTHENTICATED",
    401,
    "A valid bearer token is required",
    "no `Authorization: Bearer` header, or the token is unknown",
)
PERMISSION_DENIED = _code(
    "PERMISSION_DENIED",
    403,
    "You do not have permission to do this",
    "the hotel in the path is not the caller's; the caller's role may not fire the event "
    "(see *Who may fire it* on each workflow page); a non-superuser asks for destructive "
    "bulk checkout or `force_checkout`",
)
BOOKING_NOT_FOUND = _code(
    "BOOKING_NOT_FOUND",
    404,
    "Booking not found",
    "no booking with that id in the caller's hotel",
)
ROOM_NOT_FOUND = _code(
    "ROOM_NOT_FOUND",
    404,
    "Room not found",
    "no room with that number in the caller's hotel (in bulk checkout: reported per room "
    "in `results.errors`)",
)
HOTEL_NOT_FOUND = _code(
    "HOTEL_NOT_FOUND",
    404,
    "Hotel not found",
    "the hotel does not exist (seen by the CLI; over HTTP a foreign slug is `PERMISSION_DENIED`)",
)
WORKFLOW_NOT_FOUND = _code(
    "WORKFLOW_NOT_FOUND",
    404,
    "No such workflow",
    "`/api/workflows/{name}/` with a name that is not a workflow",
)
PUSHER_NOT_CONFIGURED = _code(
    "PUSHER_NOT_CONFIGURED",
    404,
    "Pusher is not configured on this server",
    "`POST /api/pusher/auth` on a server without Pusher credentials",
)
NOT_FOUND = _code("NOT_FOUND", 404, "Not found", "no such path")
METHOD_NOT_ALLOWED = _code(
    "METHOD_NOT_ALLOWED", 405, "Method not allowed", "e.g. `GET` on a checkout path"
)
NOT_CHECKED_IN = _code(
    "NOT_CHECKED_IN",
    409,
    "Booking must be checked in to check out",
    "checking out a booking that is not `CHECKED_IN` (and not already `COMPLETED`)",
)
CHECKOUT_FAILED = _code(
    "CHECKOUT_FAILED",
    409,
    "Checkout failed",
    "the booking has no assigned room, or its room belongs to another hotel; a room with a "
    "booking in house checked out without its booking",
)
CHECKIN_FAILED = _code(
    "CHECKIN_FAILED",
    409,
    "Check-in failed",
    "the booking's room is not `READY_FOR_GUEST`, or the booking is already checked in to "
    "another room",
)
TRANSITION_NOT_ALLOWED = _code(
    "TRANSITION_NOT_ALLOWED",
    409,
    "This transition is not allowed now",
    "the machine has no such transition from the current state; the message names the event "
    "and the state (e.g. `Cannot start_cleaning room 101 while it is OCCUPIED`), or the event "
    "is unknown, or it is not fired directly on that machine",
)
TOO_EARLY = _code(
    "TOO_EARLY",
    409,
    "The booking's arrival date has not come yet",
    "checking in before the booking's arrival date (the hotel's local date); a manager or a "
    "superuser may check in early, and the audit note says so",
)
ROOM_NOT_READY = _code(
    "ROOM_NOT_READY",
    409,
    "The room is not ready for a guest",
    "a room move or a bulk check-in to a room that is not `READY_FOR_GUEST`, or to the room "
    "the booking already has",
)
ROOM_TAKEN = _code(
    "ROOM_TAKEN",
    409,
    "The room is taken",
    "bulk check-in naming a room another booking of the same request also names; auto-assign "
    "finding no free `READY_FOR_GUEST` room",
)
UNDO_NOT_ALLOWED = _code(
    "UNDO_NOT_ALLOWED",
    409,
    "This can no longer be undone",
    "`revert_check_in` after the arrival day; `reinstate` once the room has moved on from "
    "`CHECKOUT_DIRTY`, is held by another booking, or more than a day after the departure date",
)
PERIOD_CLASH = _code(
    "PERIOD_CLASH",
    409,
    "The out-of-order period clashes with a booking or another period",
    "scheduling or lengthening an out-of-order period over days a booking assigned to the "
    "room stays (its departure day is free), or over another scheduled or active period",
)
ROOM_OUT_OF_ORDER = _code(
    "ROOM_OUT_OF_ORDER",
    409,
    "The room is out of order during the stay",
    "checking a booking in to a named room, or moving it into one, that has a scheduled or "
    "active out-of-order period on a day from today to the night before the departure",
)
PERIOD_NOT_FOUND = _code(
    "PERIOD_NOT_FOUND",
    404,
    "Out-of-order period not found",
    "the room has no out-of-order period with that id",
)
CONCURRENT_UPDATE = _code(
    "CONCURRENT_UPDATE",
    409,
    "Changed by another request at the same moment; repeat the request",
    "another request changed the same booking or room at the same moment and retries did not "
    "settle it; repeat the request",
)
STAFF_EXISTS = _code(
    "STAFF_EXISTS",
    409,
    "Staff member already exists",
    "adding a staff member whose username is taken in that hotel, whatever its case",
)
STAFF_NOT_FOUND = _code(
    "STAFF_NOT_FOUND", 404, "Staff member not found", "no staff member with that username here"
)
TOKEN_NOT_FOUND = _code(
    "TOKEN_NOT_FOUND",
    404,
    "Token not found",
    "the staff member has no token with that id or name (or it was revoked)",
)
TOKEN_NAME_TAKEN = _code(
    "TOKEN_NAME_TAKEN",
    409,
    "A token with that name already exists",
    "issuing a token under a name the staff member already uses for a live token",
)
TOO_MANY_ATTEMPTS = _code(
    "TOO_MANY_ATTEMPTS",
    429,
    "Too many failed sign-in attempts",
    "too many failed sign-ins from this address or for this username lately; see `Retry-After`",
)
CSRF_TOKEN_INVALID = _code(
    "CSRF_TOKEN_INVALID",
    403,
    "This form has expired or did not come from Turnover's pages; reload the page and try again",
    "a form or a state-changing request of the web pages without its session's CSRF token "
    "(a page left open across a sign-out, or a post from another site)",
)
INVALID_SEED = _code(
    "INVALID_SEED", 422, "Invalid seed file", "`turnover seed` with a file it cannot load (CLI)"
)
PAYLOAD_TOO_LARGE = _code(
    "PAYLOAD_TOO_LARGE", 413, "The request body is too large", "a request body over 64 KiB"
)
UNSUPPORTED_MEDIA_TYPE = _code(
    "UNSUPPORTED_MEDIA_TYPE",
    415,
    "Unsupported media type",
    "a body sent without `Content-Type: application/json` (a form post, none at all); the "
    "message says to send JSON",
)
VALIDATION_ERROR = _code(
    "VALIDATION_ERROR",
    422,
    "The request is not valid",
    "malformed JSON (the message says where it broke), wrong types, unknown fields, an unknown "
    "query parameter (`?stauts=`), a body sent to an endpoint that takes none, out-of-range "
    "numbers, over-long strings; `details` lists each field",
)
REQUEST_HEADERS_TOO_LARGE = _code(
    "REQUEST_HEADERS_TOO_LARGE",
    431,
    "The request's headers are too large",
    "more than 100 request headers, or more than 32 KiB of them (`turnover serve` refuses a "
    "head over 32 KiB while it arrives: 400 and the connection closed)",
)
DATABASE_UNAVAILABLE = _code(
    "DATABASE_UNAVAILABLE",
    503,
    "The database is unavailable; repeat the request",
    "the database connection was lost (server restarting, connection terminated, "
    "unreachable) and running the request again once did not help, or was not safe because "
    "a change may have been committed: the message says whether anything may have been "
    "stored; repeat after the `Retry-After` header's seconds",
)
WEBHOOK_NOT_FOUND = _code(
    "WEBHOOK_NOT_FOUND", 404, "Webhook endpoint not found", "no webhook endpoint with that id here"
)
DELIVERY_NOT_FOUND = _code(
    "DELIVERY_NOT_FOUND",
    404,
    "Delivery not found",
    "no delivery with that id for that webhook endpoint",
)
WEBHOOK_URL_NOT_ALLOWED = _code(
    "WEBHOOK_URL_NOT_ALLOWED",
    422,
    "This webhook URL is not allowed",
    "a webhook URL that is not http(s), does not resolve, or resolves to a loopback, "
    "private, link-local or metadata address",
)
REPLAY_TOO_LARGE = _code(
    "REPLAY_TOO_LARGE",
    422,
    "Too many events to replay at once",
    "a webhook replay of more than 10,000 events: replay the period in parts",
)
INTERNAL_ERROR = _code(
    "INTERNAL_ERROR",
    500,
    "Internal error",
    "an unexpected failure; the message carries the request id logged on the server",
)
GRAPHVIZ_NOT_INSTALLED = _code(
    "GRAPHVIZ_NOT_INSTALLED",
    501,
    "Graphviz is not installed on this server",
    "an SVG diagram was asked for and the server has no Graphviz `dot` (use `.mmd`)",
)
TASK_NOT_FOUND = _code(
    "TASK_NOT_FOUND",
    404,
    "Housekeeping task not found",
    "no housekeeping task with that id in the caller's hotel",
)
TASK_KIND_MISMATCH = _code(
    "TASK_KIND_MISMATCH",
    409,
    "This event does not apply to this kind of task",
    "`finish` on an inspection, `pass_inspection`/`fail_inspection` on a cleaning task, "
    "`skip` on anything but a stayover, or `cancel` on a room's cleaning or inspection "
    "(they end when the room moves on)",
)
REASON_REQUIRED = _code(
    "REASON_REQUIRED",
    422,
    "A reason is required",
    "`skip` of a housekeeping task without a `note` saying why",
)
NOT_HOUSEKEEPING_STAFF = _code(
    "NOT_HOUSEKEEPING_STAFF",
    409,
    "Tasks go to housekeeping staff only",
    "assigning a task to a member who is not an active housekeeper, supervisor or manager",
)


class DomainError(Exception):
    code = "DOMAIN_ERROR"

    def __init__(self, message: str | None = None, *, code: str | ErrorCode | None = None) -> None:
        if code is not None:
            self.code = str(code)
        self.message = message or ERROR_CODES[self.code].message
        super().__init__(self.message)


class BookingNotFound(DomainError):
    code = BOOKING_NOT_FOUND.name


class RoomNotFound(DomainError):
    code = ROOM_NOT_FOUND.name


class HotelNotFound(DomainError):
    code = HOTEL_NOT_FOUND.name


class PeriodNotFound(DomainError):
    code = PERIOD_NOT_FOUND.name


class TransitionRefused(DomainError):
    """A machine refused an event: not available in this state, or a guard said no.

    `code` says which rule (the machines declare the code and message of each)."""

    code = TRANSITION_NOT_ALLOWED.name


class ConcurrentTransition(DomainError):
    """Another transaction changed the entity's state first (the compare-and-set lost)."""

    code = CONCURRENT_UPDATE.name


class InvalidSeed(DomainError):
    code = INVALID_SEED.name


class TaskNotFound(DomainError):
    code = TASK_NOT_FOUND.name
