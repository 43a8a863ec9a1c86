"""Who fires a transition: recorded in every log row, checked by permission guards."""

from dataclasses import dataclass

from storage.models import Staff


@dataclass(frozen=True)
class Actor:
    username: str
    is_superuser: bool = False
    staff_id: int | None = None

    @classmethod
    def from_staff(cls, staff: Staff) -> "Actor":
        return cls(username=staff.username, is_superuser=staff.is_superuser, staff_id=staff.id)


SYSTEM = Actor(username="system", is_superuser=True)
