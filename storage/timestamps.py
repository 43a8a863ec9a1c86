"""One clock and one timestamp format for the whole project: UTC, milliseconds, `Z`."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Aware UTC with millisecond precision: what the database stores and the API shows."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso_z(moment: datetime | None) -> str | None:
    """`2025-12-22T20:46:02.123Z`; a naive datetime is taken to be UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"
