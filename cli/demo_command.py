"""`turnover demo [--serve]` and the port check `serve` shares with it."""

import errno
import socket
from pathlib import Path

import typer

from cli.errors import fail


def bind_or_fail(host: str, port: int) -> socket.socket:
    """Take the port now, so that a busy port is reported before anything else happens.
    The socket is held until the server starts (run_server)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            fail(
                f"Port {port} on {host} is already in use (another `make run` or "
                f"`turnover serve`?). Choose another: make run PORT={port + 1}, or "
                f"--port {port + 1}. Nothing was changed."
            )
        fail(f"Cannot listen on {host}:{port}: {error.strerror}. Nothing was changed.")
    return sock


WORKER_HEALTHCHECK_SECONDS = 30


def run_server(sock: socket.socket, host: str, port: int, workers: int = 1) -> None:
    """Serve on the socket taken by bind_or_fail: no moment when another process could take
    the port. Several workers are uvicorn's own processes, which bind it themselves."""
    import sys

    import uvicorn

    from api.header_limits import SERVER_OPTIONS

    # Request heads (request line and headers) are limited, see api/header_limits.py.
    options = {"factory": True, "host": host, "port": port, "workers": workers, **SERVER_OPTIONS}
    if workers > 1:
        sock.close()
        # uvicorn restarts a worker that does not answer its ping in time, dropping the
        # requests it is serving; on a host busy for a few seconds that is not a hung worker.
        options["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_SECONDS
        uvicorn.run("web.app:create_app", **options)  # type: ignore[arg-type]
        return
    server = uvicorn.Server(uvicorn.Config("web.app:create_app", **options))  # type: ignore[arg-type]
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(3)  # uvicorn's "startup failed" status


def run_demo(host: str, port: int, *, serve: bool, rooms: int = 0) -> None:
    from admin.demo import ensure_demo
    from cli.database_errors import init_database
    from config.settings import get_settings
    from storage.unit_of_work import UnitOfWork

    sock = bind_or_fail(host, port) if serve else None
    init_database()
    credentials_file = Path(get_settings().demo_credentials_file)
    with UnitOfWork() as uow:
        access = ensure_demo(uow.session, credentials_file, rooms=rooms)
        uow.commit()
    _print_access(access, host, port)
    if sock is not None:
        run_server(sock, host, port)


def _print_access(access, host: str, port: int) -> None:  # type: ignore[no-untyped-def]
    from admin.demo import DEMO_BOOKING, DEMO_HOTEL

    base = f"http://{host}:{port}"
    typer.echo(
        "Demo hotels created." if access.created else "Demo hotels already there; kept as they are."
    )
    typer.echo(
        f"Demo staff (the same credentials on every run; kept in {access.credentials_file}):"
    )
    rows = [["hotel", "username", "role", "password", "token"]]
    for m in access.members:
        role = m.role + (", superuser" if m.is_superuser else "")
        if not m.is_active:
            role += ", deactivated"
        rows.append([m.hotel, m.username, role, m.password, m.token])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    typer.echo(f"API docs: {base}/docs")
    typer.echo(
        f"Board: {base}/ (sign in to {DEMO_HOTEL} as sinead, the supervisor, and watch room "
        "101 turn Dirty when the curl below checks its guest out)"
    )
    anna = access.member("anna")
    typer.echo(f"Check out {DEMO_BOOKING} (room 101) as anna (front desk):")
    typer.echo(
        f'  curl -X POST "{base}/api/staff/hotels/{DEMO_HOTEL}/room-bookings/{DEMO_BOOKING}'
        f'/check-out/" -H "Authorization: Bearer {anna.token}"'
    )
