"""The read side of feedback: who is asked, her answer, an event's summary (without names) and the year's
events by average rating with the topics wanted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import joinedload

from ..certificates.queries import is_due
from ..dates import YEAR, today
from ..extensions import db
from ..materials.queries import took_place
from ..models import Event, EventFeedback, Registration, SchoolYear, User
from ..models.base import utcnow
from ..models.events import REG_REGISTERED

EDIT_DAYS = 14  #: an answer can be changed for this many days after it was given
ASK_DAYS = 14  #: the home page asks for an answer this many days after the event


def may_answer(event: Event, reg: Registration | None) -> bool:
    """Those present at an event that took place answer: the rule certificates are due by."""
    return is_due(event, reg)


def editable_until(answer: EventFeedback) -> datetime:
    return answer.created_at + timedelta(days=EDIT_DAYS)


def is_editable(answer: EventFeedback | None, now: datetime | None = None) -> bool:
    return answer is None or (now or utcnow()) <= editable_until(answer)


def answer_of(event_id: int, user_id: int) -> EventFeedback | None:
    return db.session.scalar(
        db.select(EventFeedback).where(EventFeedback.event_id == event_id, EventFeedback.user_id == user_id)
    )


def registration_of(event_id: int, user: User) -> Registration | None:
    return db.session.scalar(
        db.select(Registration).where(Registration.event_id == event_id, Registration.user_id == user.id)
    )


def event_or_none(event_id: int) -> Event | None:
    return db.session.scalar(db.select(Event).options(joinedload(Event.year)).where(Event.id == event_id))


@dataclass
class Box:
    """The event page's «Оцените мероприятие» for one librarian."""

    asked: bool
    answer: EventFeedback | None = None

    @property
    def editable(self) -> bool:
        return is_editable(self.answer)


def box(event: Event, user: User, reg: Registration | None) -> Box:
    """One query at most (her answer), only when she is asked."""
    if user.is_methodologist or not may_answer(event, reg):
        return Box(False)
    return Box(True, answer_of(event.id, user.id))


def asked_on_home(user: User) -> list[Event]:
    """Events she attended that ended in the last ASK_DAYS days and she has not rated yet: one query."""
    if user.is_methodologist:
        return []
    now = today()
    since = now - timedelta(days=ASK_DAYS)
    # only events whose last day may still be in the window: a dated end (or start) at most a month before it
    # (a month-dated one ends with its month), or a whole-year course; the exact rule below
    may_end_since = db.or_(db.func.coalesce(Event.date_end, Event.date_start) >= since - timedelta(days=31),
                           Event.date_kind == YEAR)
    rows = db.session.scalars(
        db.select(Event).join(Registration, Registration.event_id == Event.id)
        .outerjoin(EventFeedback, db.and_(EventFeedback.event_id == Event.id, EventFeedback.user_id == user.id))
        .where(Registration.user_id == user.id, Registration.status == REG_REGISTERED,
               Registration.attendance == "present", Event.status != "cancelled", EventFeedback.id.is_(None),
               Event.date_start.is_not(None), Event.date_start <= now,
               Event.date_start >= now - timedelta(days=400), may_end_since)
        .order_by(Event.date_start.desc(), Event.id)
    ).all()
    return [e for e in rows if took_place(e) and (e.plan_date.last_day or now) >= since]


@dataclass
class Summary:
    """An event's answers without names."""

    present: int
    answers: int
    average: float | None
    distribution: list[tuple[int, int]]  #: (score, answers) for 5…1
    most_useful: list[str] = field(default_factory=list)
    to_improve: list[str] = field(default_factory=list)
    topics_wanted: list[str] = field(default_factory=list)


def _texts(values) -> list[str]:
    """Non-empty comments, sorted: their order tells nothing of who wrote them."""
    return sorted(v.strip() for v in values if v and v.strip())


def summary(event: Event) -> Summary:
    """Answers out of those present, the average, the distribution and the comments: two queries."""
    present = db.session.scalar(
        db.select(db.func.count()).select_from(Registration)
        .where(Registration.event_id == event.id, Registration.status == REG_REGISTERED,
               Registration.attendance == "present")
    ) or 0
    rows = db.session.execute(
        db.select(EventFeedback.usefulness, EventFeedback.most_useful, EventFeedback.to_improve,
                  EventFeedback.topics_wanted).where(EventFeedback.event_id == event.id)
    ).all()
    scores = Counter(r.usefulness for r in rows)
    return Summary(
        present=present, answers=len(rows),
        average=round(sum(r.usefulness for r in rows) / len(rows), 2) if rows else None,
        distribution=[(s, scores.get(s, 0)) for s in range(5, 0, -1)],
        most_useful=_texts(r.most_useful for r in rows), to_improve=_texts(r.to_improve for r in rows),
        topics_wanted=_texts(r.topics_wanted for r in rows),
    )


@dataclass
class Rating:
    event: Event
    answers: int
    average: float


def year_ratings(year: SchoolYear) -> list[Rating]:
    """The year's events that have answers, by average rating (best first): one query."""
    avg = db.func.avg(EventFeedback.usefulness)
    rows = db.session.execute(
        db.select(Event, db.func.count(EventFeedback.id), avg)
        .join(EventFeedback, EventFeedback.event_id == Event.id)
        .where(Event.year_id == year.id)
        .group_by(Event.id).order_by(avg.desc(), Event.id)
    ).all()
    return [Rating(e, n, round(float(a), 2)) for e, n, a in rows]


def wanted_topics(year: SchoolYear) -> list[str]:
    """The topics participants of the year's events want next year, as they wrote them (each once): one query."""
    values = db.session.scalars(
        db.select(EventFeedback.topics_wanted).join(Event, Event.id == EventFeedback.event_id)
        .where(Event.year_id == year.id, EventFeedback.topics_wanted.is_not(None))
    )
    seen: dict[str, str] = {}
    for text in _texts(values):
        seen.setdefault(text.casefold(), text)
    return list(seen.values())
