"""Staff and their credentials: `turnover create-staff`, `set-password`, `staff list|update`,
`token issue|list|revoke`. Secrets are printed once and never logged."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.errors import fail

if TYPE_CHECKING:
    from sqlmodel import Session

    from storage.models import Staff

staff_app = typer.Typer(
    help="List staff members and change their role or access.", no_args_is_help=True
)
token_app = typer.Typer(
    help="Issue, list and revoke staff members' API tokens.", no_args_is_help=True
)

ROLES_HELP = "front_desk, housekeeper, supervisor or manager"
Hotel = Annotated[str, typer.Option(help="The hotel's slug, e.g. hotel-killarney.")]
Username = Annotated[str, typer.Option(help="The staff member's username (any case).")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (for scripts).",
    ),
]


@contextmanager
def _member(hotel: str, username: str) -> Iterator[tuple["Session", "Staff"]]:
    """A write unit of work with the staff member loaded; committed when the block ends."""
    from cli.database_errors import open_database
    from storage.unit_of_work import UnitOfWork
    from workflows.services.lookups import load_hotel
    from workflows.services.staff_accounts import find_staff

    open_database()
    with _refusals(), UnitOfWork() as uow:
        found = load_hotel(uow.session, hotel)
        yield uow.session, find_staff(uow.session, found.id, username)  # type: ignore[arg-type]
        uow.commit()


@contextmanager
def _refusals() -> Iterator[None]:
    from workflows.machines.errors import DomainError

    try:
        yield
    except DomainError as error:
        fail(error.message)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            fail("--password-stdin: standard input is empty; pipe the password in")
        return line.rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def create_staff(
    hotel: Hotel,
    username: Annotated[
        str,
        typer.Option(help="The login name: letters, digits and @ . + - _, unique in the hotel."),
    ],
    role: Annotated[str, typer.Option(help=f"What they do: {ROLES_HELP}.")] = "front_desk",
    superuser: Annotated[
        bool, typer.Option("--superuser", help="Also allow destructive operations.")
    ] = False,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a staff member and print their API token (shown only this once)."""
    from cli.database_errors import open_database
    from storage.unit_of_work import UnitOfWork
    from workflows.services.lookups import load_hotel
    from workflows.services.staff_accounts import create_staff as add_staff

    password = _read_password(True) if password_stdin else None
    open_database()
    with _refusals(), UnitOfWork() as uow:
        found = load_hotel(uow.session, hotel)
        staff, token = add_staff(
            uow.session,
            hotel_id=found.id,  # type: ignore[arg-type]
            username=username,
            role=role,
            is_superuser=superuser,
            password=password,
        )
        uow.commit()
    kind = f"{staff.role}{', superuser' if superuser else ''}"
    typer.echo(f"Created {username} ({kind}) in {hotel}.")
    typer.echo(f"Token (shown once): {token}")
    if password is None:
        typer.echo(f"No password yet: turnover set-password --hotel {hotel} --username {username}")


def set_password(hotel: Hotel, username: Username, password_stdin: PasswordStdin = False) -> None:
    """Set a staff member's password for the web pages (asked twice, not echoed)."""
    from workflows.services.staff_accounts import set_password as store_password

    password = _read_password(password_stdin)
    with _member(hotel, username) as (session, staff):
        store_password(staff, password)
        session.add(staff)
    typer.echo(f"Password of {staff.username} in {hotel} set.")


@staff_app.command("list")
def list_staff(hotel: Hotel) -> None:
    """List the hotel's staff with their role and whether they are active."""
    from cli.database_errors import open_database
    from storage.unit_of_work import UnitOfWork
    from workflows.services.lookups import load_hotel
    from workflows.services.staff_accounts import list_staff as staff_of

    open_database()
    with _refusals(), UnitOfWork(write=False) as uow:
        members = staff_of(uow.session, load_hotel(uow.session, hotel).id)  # type: ignore[arg-type]
    _table(
        ["username", "role", "superuser", "active", "password"],
        [
            [m.username, m.role, _yes(m.is_superuser), _yes(m.is_active), _yes(m.password_hash)]
            for m in members
        ],
    )


@staff_app.command("update")
def update_staff(
    hotel: Hotel,
    username: Username,
    role: Annotated[str | None, typer.Option(help=f"The new role: {ROLES_HELP}.")] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            help="Reactivate, or deactivate: an inactive member's tokens stop working at once.",
        ),
    ] = None,
) -> None:
    """Change a staff member's role, or deactivate or reactivate them."""
    from workflows.services.staff_accounts import change_staff

    if role is None and active is None:
        fail("Nothing to change: give --role, --active or --inactive")
    with _member(hotel, username) as (session, staff):
        change_staff(session, staff, role=role, is_active=active)
    state = "active" if staff.is_active else "inactive"
    typer.echo(f"{staff.username} in {hotel}: {staff.role}, {state}.")


@token_app.command("issue")
def issue_token(
    hotel: Hotel,
    username: Username,
    name: Annotated[
        str, typer.Option(help="What the token is for, e.g. laptop; unique among theirs.")
    ] = "default",
    expires_in: Annotated[
        str | None,
        typer.Option(help="A lifetime such as 90d, 12h or 2w; without it the token never expires."),
    ] = None,
) -> None:
    """Issue a new named API token for a staff member and print it (shown only this once)."""
    from storage.timestamps import iso_z
    from workflows.services.staff_accounts import issue_token as issue
    from workflows.services.staff_accounts import parse_lifetime

    with _refusals():
        lifetime = parse_lifetime(expires_in) if expires_in else None
    with _member(hotel, username) as (session, staff):
        issued = issue(session, staff, name=name, lifetime=lifetime)
    expiry = f", expires {iso_z(issued.token.expires_at)}" if issued.token.expires_at else ""
    typer.echo(f"Token '{name}' of {staff.username} in {hotel} (id {issued.token.id}{expiry}).")
    typer.echo(f"Token (shown once): {issued.secret}")


@token_app.command("list")
def list_tokens(hotel: Hotel, username: Username) -> None:
    """List a staff member's tokens that were not revoked: names, dates, never the secret."""
    from storage.timestamps import iso_z, utc_now
    from workflows.services.staff_accounts import list_tokens as tokens_of

    with _member(hotel, username) as (session, staff):
        tokens = tokens_of(session, staff)
    now = utc_now()
    _table(
        ["id", "name", "created", "last used", "expires", "state"],
        [
            [
                str(t.id),
                t.name,
                iso_z(t.created_at) or "",
                iso_z(t.last_used_at) or "never",
                iso_z(t.expires_at) or "never",
                "expired" if _expired(t.expires_at, now) else "active",
            ]
            for t in tokens
        ],
    )


@token_app.command("revoke")
def revoke_token(
    hotel: Hotel,
    username: Username,
    name: Annotated[str | None, typer.Option(help="The name of the token to revoke.")] = None,
    token_id: Annotated[
        int | None, typer.Option("--id", help="The id of the token to revoke (token list).")
    ] = None,
) -> None:
    """Revoke one of a staff member's tokens: it stops working at once."""
    from workflows.services.staff_accounts import find_token
    from workflows.services.staff_accounts import revoke_token as revoke

    if (name is None) == (token_id is None):
        fail("Say which token: give --name or --id (turnover token list shows both)")
    with _member(hotel, username) as (session, staff):
        token = find_token(session, staff, token_id=token_id, name=name)
        revoke(session, token)
    typer.echo(f"Token '{token.name}' (id {token.id}) of {staff.username} revoked.")


def _expired(expires_at: Any, now: Any) -> bool:
    from datetime import UTC

    if expires_at is None:
        return False
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return bool(expires_at <= now)


def _yes(value: object) -> str:
    return "yes" if value else "no"


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
