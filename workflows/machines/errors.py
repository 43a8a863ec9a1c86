"""Domain errors with stable codes. The API maps codes to HTTP statuses; nothing here knows HTTP."""


class DomainError(Exception):
    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BookingNotFound(DomainError):
    code = "BOOKING_NOT_FOUND"


class RoomNotFound(DomainError):
    code = "ROOM_NOT_FOUND"


class HotelNotFound(DomainError):
    code = "HOTEL_NOT_FOUND"


class TransitionRefused(DomainError):
    """A machine refused an event: not available in this state, or a guard said no.

    `code` says which rule: NOT_CHECKED_IN, CHECKOUT_FAILED, CHECKIN_FAILED,
    PERMISSION_DENIED or TRANSITION_NOT_ALLOWED.
    """

    code = "TRANSITION_NOT_ALLOWED"


class ConcurrentTransition(DomainError):
    """Another transaction changed the entity's state first (the compare-and-set lost)."""

    code = "CONCURRENT_UPDATE"


class InvalidSeed(DomainError):
    code = "INVALID_SEED"
