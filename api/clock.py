"""The request's clock: "now" for the services that depend on the hotel's day. Tests
replace it (`app.dependency_overrides[request_now]`) instead of racing the wall clock."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from storage.timestamps import utc_now


def request_now() -> datetime:
    return utc_now()


Now = Annotated[datetime, Depends(request_now)]
