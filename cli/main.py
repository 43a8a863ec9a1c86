"""The `turnover` command."""

import json
from pathlib import Path
from typing import Annotated

import typer

from admin.demo import DEMO_BOOKING, DEMO_HOTEL, ensure_demo
from admin.seed_file import load_seed
from cli.diagrams_command import diagrams
from cli.realtime_commands import outbox_app, relay
from cli.webhooks_commands import webhooks_app
from storage.database import create_tables, prepare_database
from storage.unit_of_work import UnitOfWork
from workflows.machines.errors import DomainError
from workflows.services.lookups import load_hotel
from workflows.services.staff_accounts import create_staff as add_staff

app = typer.Typer(
    help="Turnover: hotel booking and room-turnover workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(diagrams)
app.command()(relay)
app.add_typer(outbox_app, name="outbox")
app.add_typer(webhooks_app, name="webhooks")


def fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@app.command("init-db")
def init_db() -> None:
    """Create the tables or upgrade them to the latest migration (TURNOVER_DATABASE_URL)."""
    create_tables()
    typer.echo("Database ready.")


@app.command()
def seed(
    file: Annotated[Path, typer.Argument(help="Seed file (JSON), see docs/seed-format.md")],
) -> None:
    """Load hotels, staff, rooms and bookings from a JSON file, all or nothing."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        fail(f"Cannot read {file}: {error.strerror}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        fail(f"{file} is not valid JSON: {error}")
    prepare_database()
    try:
        with UnitOfWork() as uow:
            summary = load_seed(uow.session, data)
            uow.commit()
    except DomainError as error:
        fail(f"{file}: {error.message}\nNothing was loaded.")
    loaded = ", ".join(f"{count} {kind}" for kind, count in summary.counts.items() if count)
    typer.echo(f"Loaded {loaded}.")


@app.command("create-staff")
def create_staff(
    hotel: Annotated[str, typer.Option(help="Hotel slug")],
    username: Annotated[str, typer.Option(help="Login name, unique in the hotel")],
    superuser: Annotated[
        bool, typer.Option("--superuser", help="May run destructive operations")
    ] = False,
) -> None:
    """Add a staff member and print their API token (shown only this once)."""
    prepare_database()
    try:
        with UnitOfWork() as uow:
            found = load_hotel(uow.session, hotel)
            _, token = add_staff(
                uow.session, hotel_id=found.id, username=username, is_superuser=superuser
            )
            uow.commit()
    except DomainError as error:
        fail(error.message)
    typer.echo(f"Created {'superuser' if superuser else 'staff member'} {username} in {hotel}.")
    typer.echo(f"Token (shown once): {token}")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Host the API will be served on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the API will be served on")] = 8000,
) -> None:
    """Create the demo hotel (once) and print fresh tokens for its staff and a curl to try."""
    prepare_database()
    with UnitOfWork() as uow:
        access = ensure_demo(uow.session)
        uow.commit()
    typer.echo("Demo hotel created." if access.created else "Demo hotel already there; kept as is.")
    for username, token in access.tokens.items():
        typer.echo(f"  {username:<6} token: {token}")
    checkout_url = (
        f"http://{host}:{port}/api/staff/hotels/{DEMO_HOTEL}"
        f"/room-bookings/{DEMO_BOOKING}/check-out/"
    )
    typer.echo(f"Check out {DEMO_BOOKING} (room 101) as anna:")
    typer.echo(
        f'  curl -X POST "{checkout_url}" -H "Authorization: Bearer {access.tokens["anna"]}"'
        ' -H "Content-Type: application/json"'
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve the REST API with uvicorn (several workers share the database safely)."""
    import uvicorn

    prepare_database()
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
