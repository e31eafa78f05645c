"""The read side of best practice: what the register shows each viewer, and the choices of its forms."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import BestPractice, BestPracticeFile, Event, SchoolYear, User
from .services import can_see_entry


def register_entries(year: SchoolYear, user: User) -> list[BestPractice]:
    """The year's entries this user may see, in register order (one query + files)."""
    query = (
        db.select(BestPractice)
        .options(
            joinedload(BestPractice.author), joinedload(BestPractice.organization), joinedload(BestPractice.event),
            selectinload(BestPractice.files),
        )
        .where(BestPractice.year_id == year.id)
        .order_by(BestPractice.position, BestPractice.id)
    )
    if not user.is_methodologist:
        query = query.where(or_(BestPractice.status == "accepted", BestPractice.author_id == user.id))
    return list(db.session.scalars(query).unique())


def visible_entry(entry_id: int, user: User) -> BestPractice | None:
    """The entry with its author, school and files if this user may see it, else None."""
    entry = db.session.get(
        BestPractice, entry_id,
        options=[
            joinedload(BestPractice.author), joinedload(BestPractice.organization), selectinload(BestPractice.files),
        ],
    )
    if entry is None or not can_see_entry(entry, user):
        return None
    return entry


def visible_file(file_id: int, user: User) -> BestPracticeFile | None:
    """An attached file of an entry this user may see, else None."""
    record = db.session.get(BestPracticeFile, file_id)
    if record is None or visible_entry(record.entry_id, user) is None:
        return None
    return record


def author_choices() -> list[tuple[int, str]]:
    """Active librarians as an entry's possible authors: «Фамилия И.О. — школа»."""
    librarians = db.session.scalars(
        db.select(User).options(joinedload(User.organization))
        .where(User.role == "librarian", User.active.is_(True)).order_by(User.last_name, User.initials)
    ).all()
    return [(u.id, f"{u.short_name} — {u.organization.short_name}" if u.organization else u.short_name)
            for u in librarians]


def event_choices(year: SchoolYear) -> list[tuple[int, str]]:
    """The year's events an entry may be linked to."""
    events = db.session.scalars(
        db.select(Event).where(Event.year_id == year.id).order_by(Event.date_start, Event.id)
    ).all()
    return [(e.id, f"{e.kind_label}: {e.display_title}") for e in events]


def librarian(user_id: int | None) -> User | None:
    """The librarian chosen as an entry's author, or None when that is no librarian."""
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_librarian else None
