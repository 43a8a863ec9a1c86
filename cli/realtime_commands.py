"""`turnover relay` and `turnover outbox status|retry-failed`."""

import logging
import signal
import threading
from datetime import UTC

import typer

# The storage and relay modules are imported by each command: `turnover --help` stays fast.

outbox_app = typer.Typer(help="Inspect and repair the realtime outbox.", no_args_is_help=True)


def relay() -> None:
    """Deliver outbox events until stopped (Ctrl+C / SIGTERM): to Pusher, to webhooks, and
    guest notifications when FCM is configured. Run with TURNOVER_RELAY_IN_PROCESS=0 (and
    TURNOVER_WEBHOOKS_IN_PROCESS=0) on the API when relays run apart; several may run at once."""
    from cli.database_errors import init_database
    from config.settings import get_settings
    from workers.integrations import IntegrationWorkers
    from workers.publishers import StreamOnlyPublisher, publisher_from_settings
    from workers.relay import Relay, RelayConfig

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    init_database()
    settings = get_settings()
    publisher = publisher_from_settings(settings)
    if isinstance(publisher, StreamOnlyPublisher):
        typer.echo("No TURNOVER_PUSHER_* settings: events are served by the SSE stream only.")
    worker = Relay(publisher, RelayConfig.from_settings(settings))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    integrations = IntegrationWorkers.from_settings(settings, in_process=False)
    integrations.start()
    typer.echo(f"Relay {worker.relay_id} running.")
    worker.run(stop)
    integrations.stop()
    typer.echo("Relay stopped.")


@outbox_app.command()
def status() -> None:
    """Print the pending, delivered and failed counts and the age of the oldest pending event."""
    from cli.database_errors import init_database
    from storage import outbox
    from storage.timestamps import iso_z, utc_now
    from storage.unit_of_work import UnitOfWork

    init_database()
    with UnitOfWork(write=False) as uow:
        report = outbox.outbox_status(uow.session)
    for name, count in report.counts.items():
        typer.echo(f"{name.lower():<10} {count}")
    oldest = report.oldest_pending_at
    if oldest is None:
        typer.echo("oldest pending: none")
        return
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    age = (utc_now() - oldest).total_seconds()
    typer.echo(f"oldest pending: {age:.1f} s old (created {iso_z(oldest)})")


@outbox_app.command("retry-failed")
def retry_failed() -> None:
    """Put failed events back in the queue (after fixing what made them fail)."""
    from cli.database_errors import init_database
    from storage import outbox
    from storage.unit_of_work import UnitOfWork

    init_database()
    with UnitOfWork() as uow:
        count = outbox.requeue_failed(uow.session)
        uow.commit()
    typer.echo(f"Requeued {count} failed event(s).")
