"""`/hotels/{hotel_slug}/analytics`: the turnover analytics as charts, tables and CSV."""

import csv
import io
from datetime import date, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.schemas import LocalDate
from web.refusals import PageError
from web.sessions import HotelUser
from web.templating import render_page
from workflows.services.analytics import Spread, TurnoverAnalytics, turnover_analytics

router = APIRouter(include_in_schema=False)

PAGE = "/hotels/{hotel_slug}/analytics"
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
KIND_LABELS = {
    "departure": "After a departure",
    "failed_inspection": "Again, after a failed inspection",
    "out_of_order": "Back from out of order",
    "forced_checkout": "After a forced checkout",
    "other": "Other (dirty before the log began)",
}
TABLES = ("days", "housekeepers", "kinds", "hours")

First = Annotated[LocalDate | None, Query(alias="from")]
Last = Annotated[LocalDate | None, Query(alias="to")]
ReadyBy = Annotated[str | None, Query(pattern=CLOCK_TIME)]


async def _figures(
    user: Any, first: date | None, last: date | None, ready_by: str | None
) -> TurnoverAnalytics:
    return await run_in_threadpool(
        lambda: turnover_analytics(
            user.hotel_slug,
            actor=user.actor,
            first=first,
            last=last,
            check_in_time=time.fromisoformat(ready_by) if ready_by else None,
        )
    )


def _spread_json(spread: Spread) -> dict[str, Any]:
    return {
        "count": spread.count,
        "median": spread.median_minutes,
        "p90": spread.p90_minutes,
    }


def chart_data(figures: TurnoverAnalytics) -> dict[str, Any]:
    """What the page's script draws (the tables show the same)."""
    return {
        "days": [day.day.isoformat() for day in figures.days],
        "turnover": [_spread_json(day.turnover) for day in figures.days],
        "departures": [day.departures for day in figures.days],
        "ready": [day.ready_by_check_in for day in figures.days],
        "hours": figures.checkouts_by_hour,
        "housekeepers": [
            {"name": c.key, **_spread_json(c.spread)} for c in figures.cleaning_by_housekeeper
        ],
        "kinds": [
            {"name": KIND_LABELS.get(c.key, c.key), **_spread_json(c.spread)}
            for c in figures.cleaning_by_kind
        ],
        "check_in_time": figures.check_in_time.strftime("%H:%M"),
    }


@router.get(PAGE)
async def analytics_page(
    request: Request,
    hotel_slug: str,
    user: HotelUser,
    first: First = None,
    last: Last = None,
    check_in_time: ReadyBy = None,
) -> Response:
    figures = await _figures(user, first, last, check_in_time)
    query = {
        "from": figures.period.first.isoformat(),
        "to": figures.period.last.isoformat(),
        "check_in_time": figures.check_in_time.strftime("%H:%M"),
    }
    return render_page(
        request,
        "analytics.html",
        {
            "title": "Analytics",
            "section": "analytics",
            "figures": figures,
            "chart_data": chart_data(figures),
            "kind_labels": KIND_LABELS,
            "query": query,
            "tables": TABLES,
        },
        user=user,
    )


@router.get(PAGE + "/{table}.csv")
async def analytics_csv(
    hotel_slug: str,
    table: Annotated[str, Path(max_length=20)],
    user: HotelUser,
    first: First = None,
    last: Last = None,
    check_in_time: ReadyBy = None,
) -> Response:
    if table not in TABLES:
        raise PageError(
            404, "NOT_FOUND", f"There is no table '{table}'; tables: {', '.join(TABLES)}."
        )
    figures = await _figures(user, first, last, check_in_time)
    name = f"turnover-{table}-{figures.period.first}-{figures.period.last}.csv"
    return Response(
        csv_text(figures, table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def csv_text(figures: TurnoverAnalytics, table: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    spread_columns = ["count", "median_minutes", "p90_minutes"]
    if table == "days":
        writer.writerow(
            [
                "date",
                "departures",
                f"ready_by_{figures.check_in_time.strftime('%H%M')}",
                "turnovers",
                "turnover_median_minutes",
                "turnover_p90_minutes",
                "inspections_passed",
                "inspections_failed",
            ]
        )
        for day in figures.days:
            writer.writerow(
                [
                    day.day.isoformat(),
                    day.departures,
                    day.ready_by_check_in,
                    *_spread_row(day.turnover),
                    day.inspections_passed,
                    day.inspections_failed,
                ]
            )
    elif table in ("housekeepers", "kinds"):
        rows = (
            figures.cleaning_by_housekeeper if table == "housekeepers" else figures.cleaning_by_kind
        )
        writer.writerow(["housekeeper" if table == "housekeepers" else "kind", *spread_columns])
        for row in rows:
            writer.writerow([row.key, *_spread_row(row.spread)])
    else:
        writer.writerow(["hour", "checkouts"])
        for hour, count in enumerate(figures.checkouts_by_hour):
            writer.writerow([f"{hour:02d}:00", count])
    return out.getvalue()


def _spread_row(spread: Spread) -> list[Any]:
    def blank(value: float | None) -> Any:
        return "" if value is None else value

    return [spread.count, blank(spread.median_minutes), blank(spread.p90_minutes)]
