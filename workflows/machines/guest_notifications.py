"""The push message a guest's phone gets when their checkout is done, recorded in the
checkout's transaction and sent after commit by the notifier (workers/guest_notifier.py)."""

from datetime import datetime

from config.settings import get_settings
from storage.models import GuestNotification, Hotel, Room

DEFAULT_CHECKOUT_TEXT = "Your checkout at {hotel_name} is complete."
HOTEL_NAME = "{hotel_name}"


def notifications_enabled() -> bool:
    """Only with FCM configured: otherwise nothing would ever send the message, and the
    device token would be kept for nothing."""
    return bool(get_settings().fcm_credentials)


def checkout_text(hotel: Hotel) -> str:
    """The hotel's text (one language per hotel), `{hotel_name}` filled in. A plain
    replace, not `str.format`: the text comes from hotel staff."""
    template = hotel.checkout_notification_text or DEFAULT_CHECKOUT_TEXT
    return template.replace(HOTEL_NAME, _hotel_name(hotel))


def checkout_notification(hotel: Hotel, room: Room, now: datetime) -> GuestNotification:
    return GuestNotification(
        hotel_id=hotel.id,  # type: ignore[arg-type]
        room_id=room.id,
        fcm_token=room.fcm_token,
        title=_hotel_name(hotel)[:200],
        body=checkout_text(hotel)[:500],
        next_attempt_at=now,
        created_at=now,
    )


def _hotel_name(hotel: Hotel) -> str:
    return hotel.name or hotel.slug
