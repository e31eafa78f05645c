"""Letters the worker writes on a schedule (mo_app/worker.py jobs): reminders the day before an event, the
request to rate an event one attended, and recommendation deadlines (at REMINDER_HOUR), the methodologist's daily
digest (at DIGEST_HOUR). Each scheduled letter has a Message-ID made of what it is about, so a run made twice (a
worker killed mid-run) writes it once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..dates import DATETIME, DAY, today
from ..extensions import db
from ..models import (
    BestPractice,
    ConsultationRequest,
    Event,
    EventFeedback,
    OutboxLetter,
    Recommendation,
    Registration,
    User,
)
from ..models.base import utcnow
from ..models.events import REG_CANCELLED, REG_REGISTERED
from ..visits.queries import OVERDUE_STATUSES, of_final_reports
from .outbox import already_written, app_link, enqueue, new_message_id

DUE_SOON_DAYS = 7


def reminders(on: date | None = None) -> int:
    """Tomorrow's events (a known day, not cancelled): a reminder to everyone signed up. Commits; letters written."""
    tomorrow = (on or today()) + timedelta(days=1)
    events = db.session.scalars(db.select(Event).where(Event.date_start == tomorrow,
                                                       Event.date_kind.in_((DAY, DATETIME)),
                                                       Event.status != "cancelled")).all()
    written = 0
    for event in events:
        users = db.session.scalars(db.select(User).join(Registration, Registration.user_id == User.id).where(
            Registration.event_id == event.id, Registration.status == REG_REGISTERED)).all()
        for user in users:
            message_id = new_message_id(f"reminder-{event.id}-{user.id}-{tomorrow:%Y%m%d}")
            if already_written(message_id):
                continue
            written += enqueue(user, "reminder", "reminder", f"Завтра: {event.display_title}", message_id=message_id,
                               event=event, when=event.plan_date.text(),
                               venue=event.venue.name if event.venue else None,
                               link=app_link("events.show", event_id=event.id)) is not None
    db.session.commit()
    return written


def feedback_requests() -> int:
    """«Оцените мероприятие»: to each participant marked present at an event that took place in the last
    ASK_DAYS days (the days the home page asks too) and who has not rated it yet — once per person and event,
    on the first run after the event is over and her attendance is marked. Commits; letters written."""
    from ..feedback.queries import ASK_DAYS
    from ..materials.queries import took_place

    now = today()
    rows = db.session.execute(
        db.select(Event, User).join(Registration, Registration.event_id == Event.id)
        .join(User, User.id == Registration.user_id)
        .outerjoin(EventFeedback, db.and_(EventFeedback.event_id == Event.id, EventFeedback.user_id == User.id))
        .where(Registration.status == REG_REGISTERED, Registration.attendance == "present",
               Event.status != "cancelled", EventFeedback.id.is_(None), Event.date_start.is_not(None),
               Event.date_start <= now, Event.date_start >= now - timedelta(days=400))
        .order_by(Event.id, User.id)
    ).all()
    since = now - timedelta(days=ASK_DAYS)
    written = 0
    for event, user in rows:
        if not took_place(event) or (event.plan_date.last_day or now) < since:
            continue
        message_id = new_message_id(f"feedback-{event.id}-{user.id}")
        if already_written(message_id):
            continue
        written += enqueue(user, "feedback", "feedback_request", f"Оцените мероприятие: {event.display_title}",
                           message_id=message_id, event=event, when=event.plan_date.text(),
                           link=app_link("feedback.answer", event_id=event.id)) is not None
    db.session.commit()
    return written


def recommendation_deadlines(on: date | None = None) -> int:
    """Recommendations of final справки due in 7 days, and those that became overdue today (deadline yesterday):
    a letter to the school's active librarians. Commits; letters written."""
    on = on or today()
    written = 0
    for deadline, overdue in ((on + timedelta(days=DUE_SOON_DAYS), False), (on - timedelta(days=1), True)):
        recs = db.session.scalars(db.select(Recommendation).where(
            Recommendation.deadline == deadline, Recommendation.status.in_(OVERDUE_STATUSES), of_final_reports())
            .order_by(Recommendation.organization_id, Recommendation.position)).all()
        by_school: dict[int, list[Recommendation]] = {}
        for rec in recs:
            by_school.setdefault(rec.organization_id, []).append(rec)
        for school_id, items in by_school.items():
            librarians = db.session.scalars(db.select(User).where(User.organization_id == school_id,
                                                                  User.role == "librarian",
                                                                  User.active.is_(True))).all()
            subject = ("Срок рекомендаций истёк" if overdue else f"Через {DUE_SOON_DAYS} дней срок рекомендаций")
            for user in librarians:
                tag = "overdue" if overdue else "due"
                message_id = new_message_id(f"rec-{tag}-{school_id}-{user.id}-{deadline:%Y%m%d}")
                if already_written(message_id):
                    continue
                written += enqueue(user, "recommendation", "recommendation", subject, message_id=message_id,
                                   recs=items, deadline=deadline, overdue=overdue,
                                   link=app_link("visits.recommendations")) is not None
    db.session.commit()
    return written


@dataclass
class Digest:
    since: datetime
    signups: dict[str, list[int]] = field(default_factory=dict)  #: event title → [new sign-ups, cancellations]
    proposals: list[BestPractice] = field(default_factory=list)
    reported: list[Recommendation] = field(default_factory=list)
    consultations: list[ConsultationRequest] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.signups or self.proposals or self.reported or self.consultations)


def digest_since(since: datetime, until: datetime) -> Digest:
    """What happened in [since, until): sign-ups and cancellations per event, best-practice proposals,
    recommendations marked done awaiting acceptance, consultation requests."""
    d = Digest(since=since)
    regs = db.session.execute(db.select(Registration, Event).join(Event, Registration.event_id == Event.id).where(
        db.or_(Registration.created_at.between(since, until),
               db.and_(Registration.status == REG_CANCELLED, Registration.cancelled_at.between(since, until))))
        .order_by(Event.date_start, Event.id)).all()
    for reg, event in regs:
        counts = d.signups.setdefault(event.display_title, [0, 0])
        if since <= reg.created_at < until and reg.status != REG_CANCELLED:
            counts[0] += 1
        if reg.status == REG_CANCELLED and reg.cancelled_at and since <= reg.cancelled_at < until:
            counts[1] += 1
    d.signups = {k: v for k, v in d.signups.items() if any(v)}
    d.proposals = db.session.scalars(db.select(BestPractice).where(
        BestPractice.status == "proposed", BestPractice.created_at >= since, BestPractice.created_at < until)).all()
    d.reported = db.session.scalars(db.select(Recommendation).where(
        Recommendation.status == "reported", Recommendation.reported_at >= since,
        Recommendation.reported_at < until)).all()
    d.consultations = db.session.scalars(db.select(ConsultationRequest).where(
        ConsultationRequest.created_at >= since, ConsultationRequest.created_at < until)).all()
    return d


def digests(now: datetime | None = None) -> int:
    """The daily digest to each active methodologist of what happened since her last one (a day at most on the
    first); none on an empty day. Commits; letters written."""
    now = now or utcnow()
    written = 0
    for user in db.session.scalars(db.select(User).where(User.role == "methodologist", User.active.is_(True))):
        last = db.session.scalar(db.select(db.func.max(OutboxLetter.created_at)).where(
            OutboxLetter.user_id == user.id, OutboxLetter.kind == "digest"))
        since = max(last or now - timedelta(days=1), now - timedelta(days=7))
        d = digest_since(since, now)
        if d.empty:
            continue
        written += enqueue(user, "digest", "digest", f"Сводка за {today():%d.%m.%Y}", digest=d,
                           events_link=app_link("events.index"), practice_link=app_link("practice.index"),
                           recs_link=app_link("visits.recommendations"),
                           consultations_link=app_link("events.consultations")) is not None
    db.session.commit()
    return written
