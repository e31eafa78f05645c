"""The read side of certificates: who may have one, and an event's participants with their certificates."""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from ..events.queries import is_past
from ..extensions import db
from ..models import Certificate, Event, Registration, User
from ..models.events import REG_REGISTERED


def is_due(event: Event, reg: Registration | None) -> bool:
    """A certificate is due to a registered participant marked present (speakers are) at an event that has
    taken place (its days are over, or it is marked held) and was not cancelled. «Мои мероприятия» shows the
    link by the same rule (its past list, `MySignup.is_over`)."""
    return (reg is not None and reg.status == REG_REGISTERED and reg.attendance == "present"
            and event.status != "cancelled" and (event.status == "held" or is_past(event)))


def registration_of(event: Event, user_id: int) -> Registration | None:
    return db.session.scalar(
        db.select(Registration).options(joinedload(Registration.user).joinedload(User.organization))
        .where(Registration.event_id == event.id, Registration.user_id == user_id)
    )


def registration_or_none(event: Event, reg_id: int) -> Registration | None:
    return db.session.scalar(
        db.select(Registration).options(joinedload(Registration.user).joinedload(User.organization))
        .where(Registration.event_id == event.id, Registration.id == reg_id)
    )


def current_certificate(reg_id: int) -> Certificate | None:
    return db.session.scalar(
        db.select(Certificate).options(joinedload(Certificate.issued))
        .where(Certificate.registration_id == reg_id, Certificate.is_current.is_(True))
    )


def participants(event: Event) -> list[tuple[Registration, Certificate | None]]:
    """The event's registered participants by name, each with the current certificate (if issued): two queries."""
    regs = db.session.scalars(
        db.select(Registration).join(Registration.user)
        .options(joinedload(Registration.user).joinedload(User.organization))
        .where(Registration.event_id == event.id, Registration.status == REG_REGISTERED)
        .order_by(User.last_name, User.first_name, Registration.id)
    ).all()
    certs = {c.registration_id: c for c in db.session.scalars(
        db.select(Certificate).options(joinedload(Certificate.issued))
        .where(Certificate.registration_id.in_([r.id for r in regs]), Certificate.is_current.is_(True))
    )} if regs else {}
    return [(r, certs.get(r.id)) for r in regs]


def event_or_none(event_id: int) -> Event | None:
    """The event with its venue and year (what a certificate prints)."""
    return db.session.scalar(
        db.select(Event).options(joinedload(Event.venue), joinedload(Event.year)).where(Event.id == event_id)
    )
