"""The read side of materials: who sees an event's materials, who adds and removes them, and the list."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import joinedload

from ..events.queries import is_past
from ..extensions import db
from ..models import Event, EventMaterial, Registration, User
from ..models.events import REG_REGISTERED


def took_place(event: Event) -> bool:
    """The event is over (its days are past, or it is marked held) and was not cancelled."""
    return event.status != "cancelled" and (event.status == "held" or is_past(event))


def is_speaker(reg: Registration | None) -> bool:
    return reg is not None and reg.status == REG_REGISTERED and bool(reg.talk_title)


def can_see(event: Event, user: User, reg: Registration | None) -> bool:
    """The methodologist always; a librarian registered for the event before it, every librarian after it."""
    return user.is_methodologist or took_place(event) or (reg is not None and reg.status == REG_REGISTERED)


def can_add(user: User, reg: Registration | None) -> bool:
    """The methodologist and the event's speakers attach materials."""
    return user.is_methodologist or is_speaker(reg)


def can_remove(material: EventMaterial, user: User) -> bool:
    """The methodologist removes any material; a speaker, what she added herself."""
    return user.is_methodologist or material.added_by_id == user.id


def registration_of(event_id: int, user: User) -> Registration | None:
    if user.is_methodologist:
        return None
    return db.session.scalar(
        db.select(Registration).where(Registration.event_id == event_id, Registration.user_id == user.id)
    )


def event_or_none(event_id: int) -> Event | None:
    return db.session.get(Event, event_id)


def material_or_none(material_id: int) -> EventMaterial | None:
    return db.session.scalar(
        db.select(EventMaterial).options(joinedload(EventMaterial.event)).where(EventMaterial.id == material_id)
    )


def materials_of(event_id: int) -> list[EventMaterial]:
    """The event's materials in the order they were added, with who added them: one query."""
    return list(db.session.scalars(
        db.select(EventMaterial).options(joinedload(EventMaterial.added_by))
        .where(EventMaterial.event_id == event_id).order_by(EventMaterial.id)
    ))


@dataclass
class Section:
    """What the event page's «Материалы» section shows to one user."""

    visible: bool
    can_add: bool
    materials: list[EventMaterial] = field(default_factory=list)


def section(event: Event, user: User, reg: Registration | None) -> Section:
    """The materials section for `user` (`reg`: her registration, already read by the page): one query at most."""
    visible = can_see(event, user, reg)
    return Section(visible, can_add(user, reg), materials_of(event.id) if visible else [])
