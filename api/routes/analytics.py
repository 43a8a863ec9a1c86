"""Turnover analytics of a period, computed in SQL over the transition log."""

from datetime import time
from typing import Annotated

from fastapi import Query

from api.analytics_schemas import TurnoverAnalyticsResponse
from api.auth import HotelStaff
from api.responses import error_responses
from api.routing import SlashOptionalRouter
from api.schemas import LocalDate
from api.unit_of_work import RequestUnitOfWork
from workflows.services.analytics import turnover_analytics

router = SlashOptionalRouter(tags=["analytics"])

CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@router.get(
    "/api/staff/hotels/{hotel_slug}/analytics/turnover/",
    responses=error_responses(),
    summary="Turnover analytics of a period (supervisors and managers)",
    description=(
        "Figures of the hotel's own calendar days (its timezone, across DST changes): "
        "turnover time (room checkout -> READY_FOR_GUEST) median and 90th percentile per "
        "day, rooms ready by the check-in time against the day's departures, cleaning "
        "duration (start_cleaning -> finish_cleaning) per housekeeper and per kind, "
        "checkouts per hour of the day, inspection failure rate. Default period: the last "
        "30 days; at most 366 days."
    ),
)
def get_turnover_analytics(
    hotel_slug: str,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    first: Annotated[
        LocalDate | None, Query(alias="from", description="First day (YYYY-MM-DD), local")
    ] = None,
    last: Annotated[
        LocalDate | None,
        Query(alias="to", description="Last day (YYYY-MM-DD), local, inclusive"),
    ] = None,
    check_in_time: Annotated[
        str | None,
        Query(
            pattern=CLOCK_TIME,
            description="Local HH:MM rooms must be ready by (default: the hotel's, 15:00)",
        ),
    ] = None,
) -> TurnoverAnalyticsResponse:
    figures = turnover_analytics(
        hotel_slug,
        actor=member.actor,
        first=first,
        last=last,
        check_in_time=time.fromisoformat(check_in_time) if check_in_time else None,
        uow=uow,
    )
    return TurnoverAnalyticsResponse.of(figures)
