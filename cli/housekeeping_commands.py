"""`turnover housekeeping plan`: create the day's housekeeping tasks (idempotent)."""

from datetime import date
from typing import Annotated

import typer

housekeeping_app = typer.Typer(
    help="Housekeeping work: the daily plan (docs/housekeeping.md).", no_args_is_help=True
)


@housekeeping_app.command("plan")
def plan(
    hotel: Annotated[str, typer.Option("--hotel", help="The hotel's slug.")],
    day: Annotated[
        str | None,
        typer.Option("--date", help="The service day, YYYY-MM-DD (default: the hotel's today)."),
    ] = None,
) -> None:
    """Create the day's STAYOVER tasks (and tasks for rooms left dirty); running it again,
    or from two hosts at once, creates nothing more."""
    from cli.database_errors import open_database
    from cli.errors import fail
    from workflows.machines.errors import DomainError
    from workflows.services.housekeeping_plan import plan_day

    try:
        service_day = date.fromisoformat(day) if day else None
    except ValueError:
        fail(f"--date {day!r} is not a date (YYYY-MM-DD)")
    open_database()
    try:
        result = plan_day(hotel_slug=hotel, day=service_day)
    except DomainError as error:
        fail(error.message)
    created = ", ".join(f"{n} {kind}" for kind, n in sorted(result.created.items())) or "nothing"
    typer.echo(f"Planned {result.hotel_slug} for {result.day.isoformat()}: created {created}.")
    if result.flags_cleared:
        typer.echo(f"Cleared the previous day's flags of {result.flags_cleared} rooms.")
