"""Path parameters shared by the routers, bounded so every value is safe to query with."""

from typing import Annotated

from fastapi import Path

from api.schemas import MAX_DB_INT, NO_NUL

# PostgreSQL text cannot hold NUL: refuse it here (422) instead of failing in the database.
BookingId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
RoomNumber = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
