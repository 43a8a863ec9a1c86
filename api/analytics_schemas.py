"""The answer of `GET .../analytics/turnover/` (api/routes/analytics.py)."""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from workflows.services.analytics import CleaningFigures, Spread, TurnoverAnalytics


class Durations(BaseModel):
    count: int = Field(description="How many were measured")
    median_minutes: float | None = Field(description="Median, in minutes (none measured: null)")
    p90_minutes: float | None = Field(description="90th percentile (percentile_cont), minutes")

    @classmethod
    def of(cls, spread: Spread) -> "Durations":
        return cls(
            count=spread.count,
            median_minutes=spread.median_minutes,
            p90_minutes=spread.p90_minutes,
        )


class TurnoverDay(BaseModel):
    date: dt.date = Field(description="A day of the hotel's calendar (its timezone)")
    departures: int = Field(description="Room checkouts that day")
    ready_by_check_in: int = Field(
        description="Of those, rooms READY_FOR_GUEST again by the check-in time that day"
    )
    turnover: Durations = Field(
        description="Checkout -> READY_FOR_GUEST of that day's departures that were ready"
    )
    inspections_passed: int
    inspections_failed: int


class CleaningByHousekeeper(BaseModel):
    housekeeper: str = Field(description="Who started the cleaning (username)")
    durations: Durations

    @classmethod
    def of(cls, figures: CleaningFigures) -> "CleaningByHousekeeper":
        return cls(housekeeper=figures.key, durations=Durations.of(figures.spread))


class CleaningByKind(BaseModel):
    kind: str = Field(
        description="What made the room dirty: departure, failed_inspection, out_of_order "
        "(returned to service), forced_checkout, other"
    )
    durations: Durations

    @classmethod
    def of(cls, figures: CleaningFigures) -> "CleaningByKind":
        return cls(kind=figures.key, durations=Durations.of(figures.spread))


class CheckoutHour(BaseModel):
    hour: int = Field(ge=0, le=23, description="Local hour of the day")
    checkouts: int


class AnalyticsPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from", description="First day (local), inclusive")
    to: dt.date = Field(description="Last day (local), inclusive")
    timezone: str = Field(description="The hotel's IANA timezone", examples=["Europe/Dublin"])
    check_in_time: str = Field(description="Local HH:MM rooms must be ready by")


class AnalyticsSummary(BaseModel):
    turnover: Durations
    departures: int
    ready_by_check_in: int
    ready_rate: float | None = Field(description="ready_by_check_in / departures")
    inspections_passed: int
    inspections_failed: int
    inspection_failure_rate: float | None = Field(description="failed / (passed + failed)")


class TurnoverAnalyticsResponse(BaseModel):
    hotel: str
    period: AnalyticsPeriod
    summary: AnalyticsSummary
    days: list[TurnoverDay]
    cleaning_by_housekeeper: list[CleaningByHousekeeper]
    cleaning_by_kind: list[CleaningByKind]
    checkouts_by_hour: list[CheckoutHour] = Field(description="24 entries, hour 0 to 23")

    @classmethod
    def of(cls, figures: TurnoverAnalytics) -> "TurnoverAnalyticsResponse":
        return cls(
            hotel=figures.hotel_slug,
            period=AnalyticsPeriod(
                from_=figures.period.first,
                to=figures.period.last,
                timezone=figures.timezone,
                check_in_time=figures.check_in_time.strftime("%H:%M"),
            ),
            summary=AnalyticsSummary(
                turnover=Durations.of(figures.turnover),
                departures=figures.departures,
                ready_by_check_in=figures.ready_by_check_in,
                ready_rate=figures.ready_rate,
                inspections_passed=figures.inspections_passed,
                inspections_failed=figures.inspections_failed,
                inspection_failure_rate=figures.inspection_failure_rate,
            ),
            days=[
                TurnoverDay(
                    date=day.day,
                    departures=day.departures,
                    ready_by_check_in=day.ready_by_check_in,
                    turnover=Durations.of(day.turnover),
                    inspections_passed=day.inspections_passed,
                    inspections_failed=day.inspections_failed,
                )
                for day in figures.days
            ],
            cleaning_by_housekeeper=[
                CleaningByHousekeeper.of(c) for c in figures.cleaning_by_housekeeper
            ],
            cleaning_by_kind=[CleaningByKind.of(c) for c in figures.cleaning_by_kind],
            checkouts_by_hour=[
                CheckoutHour(hour=hour, checkouts=count)
                for hour, count in enumerate(figures.checkouts_by_hour)
            ],
        )
