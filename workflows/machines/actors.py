"""Who fires a transition: recorded in every log row, checked by permission guards."""

from dataclasses import dataclass

from storage.models import DEFAULT_STAFF_ROLE, Staff


@dataclass(frozen=True)
class Actor:
    username: str
    is_superuser: bool = False
    staff_id: int | None = None
    role: str = DEFAULT_STAFF_ROLE  # one of storage.models.STAFF_ROLES

    @classmethod
    def from_staff(cls, staff: Staff) -> "Actor":
        return cls(
            username=staff.username,
            is_superuser=staff.is_superuser,
            staff_id=staff.id,
            role=staff.role,
        )


SYSTEM = Actor(username="system", is_superuser=True)
