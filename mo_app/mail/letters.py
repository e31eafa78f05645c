"""The letters, one function each: called by the services inside their transaction (enqueue() only adds rows).
Texts are in templates/mail/<name>.txt and .html."""

from __future__ import annotations

from ..extensions import db
from ..models import ConsultationRequest, Event, Registration, User, VisitReport
from ..models.events import REG_REGISTERED, REG_WAITING
from .outbox import app_link, enqueue


def _ics(event: Event) -> tuple[str, str, bytes] | None:
    from ..events.ics import calendar_bytes, event_span

    if event_span(event) is None:
        return None
    return f"event-{event.id}.ics", "text/calendar", calendar_bytes([event], " ".join(event.display_title.split()))


def _event_context(event: Event) -> dict:
    return {"event": event, "when": event.plan_date.text(), "link": app_link("events.show", event_id=event.id),
            "venue": (event.venue.name if event.venue else None)}


def signed_up(reg: Registration, user: User, event: Event, by: User | None = None, position: int | None = None):
    """Sign-up confirmed (with the .ics), signed up by the methodologist, or placed on the waiting list."""
    ctx = _event_context(event)
    if reg.status == REG_WAITING:
        return enqueue(user, "signup", "waitlisted", f"Лист ожидания: {event.display_title}", position=position,
                       **ctx)
    if reg.status != REG_REGISTERED:
        return None
    if by is not None:
        return enqueue(user, "signup", "signed_up_by", f"Методист записал вас: {event.display_title}",
                       attachment=_ics(event), by=by, **ctx)
    return enqueue(user, "signup", "signup_confirmed", f"Вы записаны: {event.display_title}",
                   attachment=_ics(event), **ctx)


def promoted(reg: Registration, event: Event):
    """Promoted from the waiting list."""
    user = db.session.get(User, reg.user_id)
    return enqueue(user, "signup", "promoted", f"Освободилось место: {event.display_title}",
                   attachment=_ics(event), **_event_context(event))


def event_changed(event: Event, user_ids, changes: str, cancelled: bool = False):
    """An event one is signed up for changed date, time or venue, or was cancelled."""
    subject = (f"Мероприятие отменено: {event.display_title}" if cancelled
               else f"Изменения в мероприятии: {event.display_title}")
    for user in db.session.scalars(db.select(User).where(User.id.in_(list(user_ids)))):
        enqueue(user, "event_changed", "event_changed", subject, changes=changes, cancelled=cancelled,
                attachment=None if cancelled else _ics(event), **_event_context(event))


def report_finalised(report: VisitReport):
    """A справка for the school finalised: to its librarians, please read and confirm «Ознакомлен(а)»."""
    visit = report.visit
    school = visit.organization
    librarians = db.session.scalars(db.select(User).where(User.organization_id == visit.organization_id,
                                                          User.role == "librarian", User.active.is_(True)))
    link = app_link("visits.show", visit_id=visit.id)
    for user in librarians:
        enqueue(user, "report", "report_finalised", f"Справка по посещению: {school.short_name}",
                school=school, visit=visit, link=link)


def consultation_answered(req: ConsultationRequest, text: str):
    """One's consultation request scheduled, answered or declined."""
    user = db.session.get(User, req.user_id)
    return enqueue(user, "consultation", "consultation", f"Заявка на консультацию: {req.topic}"[:300],
                   req=req, text=text, link=app_link("events.consultations"))


def password_reset(user: User, link: str):
    """The signed single-use link to set a new password."""
    return enqueue(user, "password_reset", "password_reset", "Смена пароля", link=link)
