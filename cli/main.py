"""The `turnover` command.

Each command imports what it needs when it runs, so `turnover --help` answers at once.
A refused command prints one line (or the list of a seed file's problems) on stderr and
exits with status 2; nothing is written.
"""

from pathlib import Path
from typing import Annotated

import typer

from cli.diagrams_command import diagrams
from cli.errors import fail
from cli.housekeeping_commands import housekeeping_app
from cli.realtime_commands import outbox_app, relay
from cli.staff_commands import create_staff, set_password, staff_app, token_app
from cli.webhooks_commands import webhooks_app

app = typer.Typer(
    help="Turnover runs hotel booking and room-turnover workflows on explicit state machines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(diagrams)
app.command()(relay)
app.command("create-staff")(create_staff)
app.command("set-password")(set_password)
app.add_typer(housekeeping_app, name="housekeeping")
app.add_typer(outbox_app, name="outbox")
app.add_typer(staff_app, name="staff")
app.add_typer(token_app, name="token")
app.add_typer(webhooks_app, name="webhooks")


@app.command()
def tick() -> None:
    """Run the scheduler's jobs once (out-of-order periods starting and ending), for a
    cron-driven deployment (with TURNOVER_SCHEDULER_IN_PROCESS=0 on the API, or beside it:
    each change happens once however many run). Prints what each job changed."""
    from api.scheduler_jobs import new_scheduler
    from cli.database_errors import init_database

    init_database()
    for job, changes in new_scheduler().tick().items():
        typer.echo(f"{job}: {changes} change(s)")


@app.command("init-db")
def init_db() -> None:
    """Create the tables, or upgrade them to the latest migration (TURNOVER_DATABASE_URL)."""
    from cli.database_errors import init_database

    init_database()
    typer.echo("Database ready.")


@app.command()
def seed(
    file: Annotated[
        Path, typer.Argument(help="The seed file (JSON); docs/seed-format.md describes it.")
    ],
    update: Annotated[
        bool,
        typer.Option(
            "--update", help="Update the records already in the database instead of refusing."
        ),
    ] = False,
) -> None:
    """Load hotels, staff, rooms and bookings from a JSON file, all or nothing."""
    from cli.seed_command import run_seed

    run_seed(file, update=update)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="The interface the API is served on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The TCP port the API is served on.")] = 8000,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Then serve the API. The port is taken before any data is touched.",
        ),
    ] = False,
    rooms: Annotated[
        int,
        typer.Option(
            "--rooms",
            min=0,
            max=2000,
            help="Grow the demo hotel to this many rooms (20 a floor, guests leaving and "
            "staying, arrivals today) with a team of housekeepers: a housekeeping morning "
            "to run (docs/housekeeping.md).",
        ),
    ] = 0,
) -> None:
    """Create the demo hotels (once) and print their staff's credentials and the docs URL.

    The credentials are the same on every run; a curl to try is printed too."""
    from cli.demo_command import run_demo

    run_demo(host, port, serve=serve, rooms=rooms)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The TCP port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="How many worker processes to run.")] = 1,
) -> None:
    """Serve the REST API with uvicorn (several workers share the database safely)."""
    from cli.database_errors import open_database
    from cli.demo_command import bind_or_fail, run_server

    sock = bind_or_fail(host, port)
    open_database()
    run_server(sock, host, port, workers)


__all__ = ["app", "fail"]
