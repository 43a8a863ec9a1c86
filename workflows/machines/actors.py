"""Who fires a transition: recorded in every log row, checked against `who_may_fire`."""

from dataclasses import dataclass
from enum import StrEnum

from storage.models import Staff


class Role(StrEnum):
    FRONT_DESK = "front_desk"
    HOUSEKEEPER = "housekeeper"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


# Who may fire an event, as the machines' `who_may_fire` tables use it. A superuser may
# fire every event; an empty tuple means superusers only.
FRONT_DESK = (Role.FRONT_DESK, Role.MANAGER)
HOUSEKEEPING = (Role.HOUSEKEEPER, Role.SUPERVISOR, Role.MANAGER)
SUPERVISION = (Role.SUPERVISOR, Role.MANAGER)
SUPERUSERS_ONLY: tuple[Role, ...] = ()
# Who may check a guest in before the booking's arrival date (the audit note says so).
EARLY_CHECK_IN = (Role.MANAGER,)


@dataclass(frozen=True)
class Actor:
    username: str
    is_superuser: bool = False
    staff_id: int | None = None
    role: Role = Role.FRONT_DESK

    @classmethod
    def from_staff(cls, staff: Staff) -> "Actor":
        return cls(
            username=staff.username,
            is_superuser=staff.is_superuser,
            staff_id=staff.id,
            role=Role(staff.role),
        )

    def may_fire(self, roles: tuple[Role, ...]) -> bool:
        return self.is_superuser or self.role in roles


SYSTEM = Actor(username="system", is_superuser=True)
