"""The demo hotel `make run` serves: rooms in every state, one guest in house in room 101,
and a staff member of every role.

The demo staff's credentials are random per machine but the same on every run: they are
kept in a local file (`TURNOVER_DEMO_CREDENTIALS_FILE`, `.turnover-demo.json`, readable by
its owner only and ignored by git), and put back into the database when it lacks them (a
fresh database, a revoked demo token). Nothing is well known, so a demo left running on a
hotel's network does not open it to anyone who read this code.
"""

import contextlib
import copy
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session, select

from admin.seed_file import load_seed
from storage.models import Hotel, Staff, StaffToken
from storage.timestamps import utc_now
from workflows.machines.errors import DomainError
from workflows.machines.hotel_day import zone
from workflows.services.lookups import load_hotel
from workflows.services.staff_accounts import (
    create_staff,
    find_staff,
    find_token,
    hash_token,
    issue_token,
    password_matches,
    revoke_token,
    set_password,
    token_holder,
)

DEMO_HOTEL = "hotel-killarney"
DEMO_BOOKING = "BK-2025-1234"

DEMO_TIME_ZONE = "Europe/Dublin"

DEMO_SEED = {
    "hotels": [
        {"slug": DEMO_HOTEL, "name": "Hotel Killarney", "timezone": DEMO_TIME_ZONE},
        {"slug": "hotel-galway", "name": "Hotel Galway", "timezone": DEMO_TIME_ZONE},
    ],
    "staff": [
        {"hotel": DEMO_HOTEL, "username": "anna", "role": "front_desk"},
        {"hotel": DEMO_HOTEL, "username": "hugh", "role": "housekeeper"},
        {"hotel": DEMO_HOTEL, "username": "sinead", "role": "supervisor"},
        {"hotel": DEMO_HOTEL, "username": "maeve", "role": "manager"},
        {"hotel": DEMO_HOTEL, "username": "admin", "role": "manager", "is_superuser": True},
        {"hotel": "hotel-galway", "username": "sean", "role": "front_desk"},
    ],
    "rooms": [
        {
            "hotel": DEMO_HOTEL,
            "room_number": 101,
            "room_status": "OCCUPIED",
            "fcm_token": "fcm-101",
        },
        {"hotel": DEMO_HOTEL, "room_number": 102, "room_status": "READY_FOR_GUEST"},
        {"hotel": DEMO_HOTEL, "room_number": 103, "room_status": "OCCUPIED"},
        {"hotel": DEMO_HOTEL, "room_number": 104, "room_status": "CHECKOUT_DIRTY"},
        {"hotel": DEMO_HOTEL, "room_number": 105, "room_status": "CLEANING_IN_PROGRESS"},
        {"hotel": DEMO_HOTEL, "room_number": 106, "room_status": "CLEANED_UNINSPECTED"},
        {"hotel": DEMO_HOTEL, "room_number": 107, "room_status": "OUT_OF_ORDER"},
        {"hotel": DEMO_HOTEL, "room_number": 201, "room_status": "OCCUPIED"},
        {"hotel": DEMO_HOTEL, "room_number": 202, "room_status": "READY_FOR_GUEST"},
        {"hotel": "hotel-galway", "room_number": 101, "room_status": "OCCUPIED"},
    ],
    "bookings": [
        {
            "hotel": DEMO_HOTEL,
            "booking_id": DEMO_BOOKING,
            "status": "CHECKED_IN",
            "room_number": 101,
            "guests": [{"first_name": "Mary", "last_name": "Byrne"}],
        },
        {
            "hotel": DEMO_HOTEL,
            "booking_id": "BK-2025-5678",
            "status": "CHECKED_IN",
            "room_number": 201,
            "guests": [
                {"first_name": "Liam", "last_name": "Murphy"},
                {"first_name": "Aoife", "last_name": "Murphy"},
            ],
        },
        {
            "hotel": DEMO_HOTEL,
            "booking_id": "BK-2025-2001",
            "status": "CONFIRMED",
            "expected_arrival_time": "14:30",
            "room_number": 102,
            "guests": [{"first_name": "Sean", "last_name": "Kelly"}],
        },
        {"hotel": DEMO_HOTEL, "booking_id": "BK-2025-2002", "status": "CONFIRMED"},
        {
            "hotel": "hotel-galway",
            "booking_id": "BK-2025-9001",
            "status": "CHECKED_IN",
            "room_number": 101,
        },
    ],
    "chat_sessions": [{"hotel": DEMO_HOTEL, "room_number": 101}],
    "conversations": [{"hotel": DEMO_HOTEL, "room_number": 101}],
    "room_service_orders": [
        {"hotel": DEMO_HOTEL, "room_number": 101, "status": "OPEN"},
        {"hotel": DEMO_HOTEL, "room_number": 101, "status": "COMPLETED"},
    ],
}


DEMO_TOKEN_NAME = "demo"


@dataclass(frozen=True)
class DemoMember:
    hotel: str
    username: str
    role: str
    is_superuser: bool
    is_active: bool
    token: str
    password: str


@dataclass
class DemoAccess:
    created: bool
    members: list[DemoMember]
    credentials_file: Path

    def member(self, username: str) -> DemoMember:
        return next(m for m in self.members if m.username == username)


def ensure_demo(session: Session, credentials_file: Path, *, rooms: int = 0) -> DemoAccess:
    """Create the demo hotels once, and make sure every demo staff member has the token and
    password kept in `credentials_file` (made on the first run). `rooms`: grow the demo
    hotel to that many rooms (`grow_demo`), with a housekeeping team.

    Nothing else already stored is touched: a second run keeps whatever state the demo
    hotel has reached (checked-out bookings stay checked out).
    """
    exists = session.exec(select(Hotel).where(Hotel.slug == DEMO_HOTEL)).first() is not None
    today = utc_now().astimezone(zone(DEMO_TIME_ZONE)).date()
    if not exists:
        load_seed(session, demo_seed(today))
    staff = list(DEMO_SEED["staff"])
    if rooms:
        grow_demo(session, rooms, today)
        staff += HOUSEKEEPING_TEAM
    kept = _read_credentials(credentials_file)
    members = [_ensure_member(session, record, kept) for record in staff]
    fresh = {f"{m.hotel}/{m.username}": {"token": m.token, "password": m.password} for m in members}
    if fresh != kept:
        _write_credentials(credentials_file, fresh)
    return DemoAccess(created=not exists, members=members, credentials_file=credentials_file)


# Each demo booking's stay, in days from the demo's first day: (arrival, departure).
DEMO_STAYS = {
    DEMO_BOOKING: (-2, 0),  # leaves today
    "BK-2025-5678": (-1, 2),
    "BK-2025-2001": (0, 3),  # arrives today, room 102 ready
    "BK-2025-2002": (0, 1),  # arrives today, no room yet
    "BK-2025-9001": (-1, 1),
}


HOUSEKEEPING_TEAM = [
    {"hotel": DEMO_HOTEL, "username": name, "role": "housekeeper"}
    for name in ("niamh", "padraig", "orla", "ciara", "declan")
]
ROOMS_PER_FLOOR = 20


def grow_demo(session: Session, rooms: int, today: date) -> int:
    """Add rooms to the demo hotel until it has `rooms` (20 a floor: 101-120, 201-220, ...):
    the same every run. Of every ten new rooms, three are occupied by a guest leaving today
    (the first of them with the next guest arriving today), four by a guest staying on, one
    is dirty and two are ready. Returns how many rooms were added."""
    from storage.models import Room

    hotel = load_hotel(session, DEMO_HOTEL)
    existing = set(session.exec(select(Room.room_number).where(Room.hotel_id == hotel.id)))
    wanted = []
    floor = 1
    while len(existing) + len(wanted) < rooms:
        for index in range(1, ROOMS_PER_FLOOR + 1):
            number = floor * 100 + index
            if number not in existing and len(existing) + len(wanted) < rooms:
                wanted.append(number)
        floor += 1
    seed: dict = {"hotels": [], "rooms": [], "bookings": []}
    for number in wanted:
        _grow_room(seed, number, today)
    if wanted:
        load_seed(session, seed)
    return len(wanted)


def _grow_room(seed: dict, number: int, today: date) -> None:
    kind = number % 10
    status = {7: "CHECKOUT_DIRTY", 8: "READY_FOR_GUEST", 9: "READY_FOR_GUEST"}.get(kind, "OCCUPIED")
    seed["rooms"].append(
        {"hotel": DEMO_HOTEL, "room_number": number, "room_status": status, "floor": number // 100}
    )

    def booking(suffix: str, state: str, arrival: int, departure: int, **more: str) -> None:
        seed["bookings"].append(
            {
                "hotel": DEMO_HOTEL,
                "booking_id": f"BK-DEMO-{number}{suffix}",
                "status": state,
                "room_number": number,
                "arrival_date": (today + timedelta(days=arrival)).isoformat(),
                "departure_date": (today + timedelta(days=departure)).isoformat(),
                **more,
            }
        )

    if kind in (0, 1, 2):
        booking("", "CHECKED_IN", -2, 0)
        if kind == 0:
            booking("-NEXT", "CONFIRMED", 0, 2, expected_arrival_time=f"{10 + number % 7}:00")
    elif kind in (3, 4, 5, 6):
        booking("", "CHECKED_IN", -1, 2)


def demo_seed(today: date) -> dict:
    """The demo's seed file with stays around `today` (the hotel's local date)."""
    seed = copy.deepcopy(DEMO_SEED)
    for booking in seed["bookings"]:
        arrival, departure = DEMO_STAYS[booking["booking_id"]]
        booking["arrival_date"] = (today + timedelta(days=arrival)).isoformat()
        booking["departure_date"] = (today + timedelta(days=departure)).isoformat()
    return seed


def _ensure_member(session: Session, record: dict, kept: dict[str, dict[str, str]]) -> DemoMember:
    hotel = load_hotel(session, record["hotel"])
    try:
        staff = find_staff(session, hotel.id, record["username"])  # type: ignore[arg-type]
    except DomainError:  # a demo hotel made by an older version lacks some members
        staff, _ = create_staff(
            session,
            hotel_id=hotel.id,  # type: ignore[arg-type]
            username=record["username"],
            role=record["role"],
            is_superuser=record.get("is_superuser", False),
            with_token=False,
        )
    saved = kept.get(f"{record['hotel']}/{record['username']}", {})
    token = _ensure_token(session, staff, saved.get("token"))
    password = saved.get("password") or _new_password()
    if not password_matches(staff, password) and staff.is_active:
        set_password(staff, password)
        session.add(staff)
    return DemoMember(
        hotel=record["hotel"],
        username=staff.username,
        role=staff.role,
        is_superuser=staff.is_superuser,
        is_active=staff.is_active,
        token=token,
        password=password,
    )


def _ensure_token(session: Session, staff: Staff, secret: str | None) -> str:
    """`secret` when it still works for `staff`; else a demo token issued anew."""
    if secret and _works_for(session, secret, staff):
        return secret
    with contextlib.suppress(DomainError):  # no demo token left: nothing to revoke
        revoke_token(session, find_token(session, staff, name=DEMO_TOKEN_NAME))
    if secret and token_holder(session, secret) is None and not _is_known(session, secret):
        return issue_token(session, staff, name=DEMO_TOKEN_NAME, secret=secret).secret
    return issue_token(session, staff, name=DEMO_TOKEN_NAME).secret


def _works_for(session: Session, secret: str, staff: Staff) -> bool:
    holder = token_holder(session, secret)
    return holder is not None and holder[0].id == staff.id


def _is_known(session: Session, secret: str) -> bool:
    """True when the secret is stored at all (even revoked): it cannot be issued again."""
    query = select(StaffToken).where(StaffToken.token_hash == hash_token(secret))
    return session.exec(query).first() is not None


def _new_password() -> str:
    return secrets.token_urlsafe(9)  # 12 characters


def _read_credentials(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        key: {k: v for k, v in value.items() if k in ("token", "password") and isinstance(v, str)}
        for key, value in data.items()
        if isinstance(value, dict)
    }


def _write_credentials(path: Path, credentials: dict[str, dict[str, str]]) -> None:
    """Readable by its owner only; written whole (a crash leaves the old file or the new)."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(credentials, file, indent=2)
        file.write("\n")
    os.replace(partial, path)
