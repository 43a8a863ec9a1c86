"""`turnover webhooks list|add|disable|enable|run`."""

import logging
import signal
import threading
from typing import Annotated

import typer

# The database and worker modules are imported by each command: `turnover --help` stays fast.

webhooks_app = typer.Typer(help="Signed webhooks to other systems.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@webhooks_app.command("list")
def list_webhooks(
    hotel: Annotated[str | None, typer.Option(help="Only this hotel's endpoints.")] = None,
) -> None:
    """Every webhook endpoint: id, hotel, state, event types, URL."""
    from config.settings import get_settings  # noqa: F401
    from storage.database import prepare_database
    from workers.webhooks.worker import WebhookConfig, WebhookWorker  # noqa: F401
    from workflows.machines.errors import DomainError  # noqa: F401
    from workflows.services import webhooks

    prepare_database()
    found = [(slug, e) for slug, e in webhooks.all_endpoints() if hotel in (None, slug)]
    if not found:
        typer.echo("No webhook endpoints.")
    for slug, endpoint in found:
        state = "enabled" if endpoint.enabled else f"disabled ({endpoint.disabled_reason})"
        types = ",".join(endpoint.event_types)
        typer.echo(f"{endpoint.id:>5}  {slug}  {state}  {types}  {endpoint.url}")


@webhooks_app.command("add")
def add_webhook(
    hotel: Annotated[str, typer.Option(help="The hotel's slug.")],
    url: Annotated[str, typer.Option(help="The receiver's http(s) URL.")],
    event: Annotated[
        list[str] | None, typer.Option(help="An event type (repeat it); every event by default.")
    ] = None,
    description: Annotated[str, typer.Option(help="What receives them.")] = "",
) -> None:
    """Add an endpoint and print its signing secret (shown only this once)."""
    from config.settings import get_settings  # noqa: F401
    from storage.database import prepare_database
    from workers.webhooks.worker import WebhookConfig, WebhookWorker  # noqa: F401
    from workflows.machines.errors import DomainError
    from workflows.services import webhooks

    prepare_database()
    try:
        created = webhooks.create_endpoint(
            hotel_slug=hotel, url=url, event_types=event or ["*"], description=description
        )
    except DomainError as error:
        _fail(error.message)
    typer.echo(f"Added webhook {created.endpoint.id} for {hotel}: {url}")
    typer.echo(f"Signing secret (shown once): {created.secret}")


@webhooks_app.command("disable")
def disable_webhook(webhook_id: Annotated[int, typer.Argument(help="The endpoint's id.")]) -> None:
    """Stop deliveries to an endpoint (they wait until it is enabled again)."""
    from config.settings import get_settings  # noqa: F401
    from storage.database import prepare_database  # noqa: F401
    from workers.webhooks.worker import WebhookConfig, WebhookWorker  # noqa: F401
    from workflows.machines.errors import DomainError  # noqa: F401
    from workflows.services import webhooks  # noqa: F401

    _set_enabled(webhook_id, enabled=False)


@webhooks_app.command("enable")
def enable_webhook(webhook_id: Annotated[int, typer.Argument(help="The endpoint's id.")]) -> None:
    """Resume deliveries to an endpoint, oldest first."""
    from config.settings import get_settings  # noqa: F401
    from storage.database import prepare_database  # noqa: F401
    from workers.webhooks.worker import WebhookConfig, WebhookWorker  # noqa: F401
    from workflows.machines.errors import DomainError  # noqa: F401
    from workflows.services import webhooks  # noqa: F401

    _set_enabled(webhook_id, enabled=True)


def _set_enabled(webhook_id: int, *, enabled: bool) -> None:
    from storage.database import prepare_database
    from workflows.services import webhooks

    prepare_database()
    slug = next((s for s, e in webhooks.all_endpoints() if e.id == webhook_id), None)
    if slug is None:
        _fail(f"Webhook {webhook_id} not found")
    webhooks.update_endpoint(hotel_slug=slug, endpoint_id=webhook_id, enabled=enabled)  # type: ignore[arg-type]
    typer.echo(f"Webhook {webhook_id} {'enabled' if enabled else 'disabled'}.")


@webhooks_app.command("run")
def run_webhooks() -> None:
    """Deliver webhooks until stopped (Ctrl+C / SIGTERM); several may run at once. Run
    with TURNOVER_WEBHOOKS_IN_PROCESS=0 on the API when workers run apart."""
    from config.settings import get_settings
    from storage.database import prepare_database
    from workers.webhooks.worker import WebhookConfig, WebhookWorker
    from workflows.machines.errors import DomainError  # noqa: F401
    from workflows.services import webhooks  # noqa: F401

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    prepare_database()
    worker = WebhookWorker(WebhookConfig.from_settings(get_settings()))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"Webhook worker {worker.worker_id} running.")
    worker.run(stop)
    typer.echo("Webhook worker stopped.")
