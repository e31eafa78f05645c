"""The two home pages' figures: each list in one query (the events with their seat counts), and all the
"how many in all" counts of a page in one more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from ..dates import month_number, next_month_start
from ..events.services import ends_on_or_after
from ..extensions import db
from ..models import (
    ConsultationRequest,
    Event,
    Notice,
    Organization,
    Recommendation,
    Registration,
    SchoolYear,
    User,
    Visit,
    VisitReport,
)
from .results import OPEN_REC, today

LIST_LIMIT = 8
ACTIVE_REG = ("registered", "waiting")
OPEN_REQUESTS = ("new", "scheduled", "answered")


@dataclass
class EventFill:
    event: Event
    taken: int

    @property
    def capacity(self) -> int | None:
        return self.event.capacity

    @property
    def free(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.taken >= self.capacity


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _upcoming(month_start, today_):
    """Planned events from the month starting `month_start` on, but for those of a day before `today_` (dates
    or bound parameters: a month-dated event still counts during its month, a day-dated one is over the day
    after), each with the seats taken (a correlated count: no second query)."""
    taken = (
        db.select(func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status == "registered")
        .correlate(Event).scalar_subquery()
    )
    return (
        db.select(Event, taken)
        .options(joinedload(Event.venue))
        .where(Event.status == "planned", Event.date_start >= month_start,
               or_(Event.date_kind.not_in(("day", "datetime")), Event.date_start >= today_))
        .order_by(Event.date_start, Event.date_time, Event.id)
    )


def _count(query):
    """How many rows `query` has, as a scalar subquery (the page reads all its counts in one statement)."""
    return db.select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()


@lru_cache(maxsize=1)
def _methodologist_statements() -> dict:
    """The methodologist's desk queries, built once (as _librarian_statements). Bound parameters: since,
    today, month_start, next_month."""
    since, today_ = db.bindparam("since"), db.bindparam("today")
    month_start, next_month = db.bindparam("month_start"), db.bindparam("next_month")
    # sign-ups for the current year's events only: archived years' sign-ups are history, not news
    signups = (
        db.select(Registration)
        .options(joinedload(Registration.user).joinedload(User.organization), joinedload(Registration.event))
        .join(Event, Registration.event_id == Event.id)
        .join(SchoolYear, Event.year_id == SchoolYear.id)
        .where(Registration.created_at > since, Registration.status.in_(ACTIVE_REG), SchoolYear.is_current.is_(True))
        .order_by(Registration.created_at.desc())
    )
    requests = (
        db.select(ConsultationRequest).options(joinedload(ConsultationRequest.user))
        .where(ConsultationRequest.status == "new").order_by(ConsultationRequest.created_at)
    )
    visits = (
        db.select(Visit).options(joinedload(Visit.organization))
        .where(Visit.date_start >= month_start, Visit.date_start < next_month, Visit.status.not_in(("cancelled",)))
        .order_by(Visit.date_start, Visit.id)
    )
    drafts = (
        db.select(VisitReport).options(joinedload(VisitReport.visit).joinedload(Visit.organization))
        .where(VisitReport.status == "draft").order_by(VisitReport.updated_at)
    )
    overdue = (
        db.select(Recommendation).options(joinedload(Recommendation.organization))
        .where(Recommendation.status.in_(OPEN_REC), Recommendation.deadline < today_)
        .order_by(Recommendation.deadline, Recommendation.id)
    )
    lists = {"requests": requests, "visits": visits, "drafts": drafts, "overdue": overdue}
    return {
        "events": _upcoming(month_start, today_).limit(LIST_LIMIT),
        "signups": signups.add_columns(func.count().over()).limit(LIST_LIMIT),
        **{name: query.limit(LIST_LIMIT) for name, query in lists.items()},
        "counts": db.select(*(_count(query).label(name) for name, query in lists.items())),
    }


def methodologist_home(user: User, now: date | None = None) -> dict:
    """Next events with fill level, new sign-ups, consultation requests, this month's visits, drafts, overdue."""
    now = now or today()
    since = user.previous_login_at or (datetime.combine(now, datetime.min.time()) - timedelta(days=7))
    q = _methodologist_statements()
    params = {"since": since, "today": now, "month_start": _month_start(now), "next_month": next_month_start(now)}
    signups = db.session.execute(q["signups"], params).all()
    counts = db.session.execute(q["counts"], params).one()._mapping
    return {
        "today": now,
        "since": since,
        "events": [EventFill(event, taken or 0) for event, taken in db.session.execute(q["events"], params)],
        "signups": [row[0] for row in signups],
        "signups_count": signups[0][1] if signups else 0,
        **{name: list(db.session.scalars(q[name], params)) for name in counts},
        **{f"{name}_count": n or 0 for name, n in counts.items()},
    }


@lru_cache(maxsize=1)
def _librarian_statements() -> dict:
    """The librarian's home queries, built once (building a query with its loader options costs more than
    running it here). Bound parameters: user_id, school_id, today, month_start, month_number."""
    user_id, school_id = db.bindparam("user_id"), db.bindparam("school_id")
    today_, month_start = db.bindparam("today"), db.bindparam("month_start")
    # my events still on, as «Мои мероприятия» lists them: a course for the whole year or a span begun
    # months ago is still ahead of me; an undated one too
    still_on = or_(Event.date_start.is_(None), ends_on_or_after(today_, month_start, db.bindparam("month_number")))
    mine = db.select(Registration.event_id).where(
        Registration.user_id == user_id, Registration.status.in_(ACTIVE_REG)
    )
    open_events = _upcoming(month_start, today_).where(
        Event.is_open.is_(True),
        Event.id.not_in(mine),
        or_(Event.signup_deadline.is_(None), Event.signup_deadline >= today_),
        Event.kind != "individual_consultation",
    )
    my_events = (
        db.select(Registration)
        .options(joinedload(Registration.event).joinedload(Event.venue))
        .join(Event, Registration.event_id == Event.id)
        .where(Registration.user_id == user_id, Registration.status.in_(ACTIVE_REG),
               Event.status == "planned", still_on)
        .order_by(Event.date_start.is_(None), Event.date_start, Event.id)
    )
    notices = (
        db.select(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .order_by(Notice.created_at.desc())
    )
    recs = (
        db.select(Recommendation)
        .join(VisitReport, Recommendation.report_id == VisitReport.id)
        .where(Recommendation.organization_id == school_id, Recommendation.status.in_(OPEN_REC),
               VisitReport.status == "final")
        .order_by(Recommendation.deadline.is_(None), Recommendation.deadline, Recommendation.id)
    )
    requests = (
        db.select(ConsultationRequest)
        .where(ConsultationRequest.user_id == user_id, ConsultationRequest.status.in_(OPEN_REQUESTS))
        .order_by(ConsultationRequest.created_at.desc())
    )
    return {
        "open_events": open_events.limit(LIST_LIMIT),
        "my_events": my_events.limit(LIST_LIMIT),
        "notices": notices.limit(LIST_LIMIT),
        "recommendations": recs.limit(LIST_LIMIT),
        # the count, and the school's name for the greeting (not a lazy load of current_user.organization)
        "recommendations_figures": db.select(
            _count(recs), db.select(Organization.name).where(Organization.id == school_id).scalar_subquery(),
        ),
        "requests": requests.limit(LIST_LIMIT),
    }


def librarian_home(user: User, now: date | None = None) -> dict:
    """Events open for sign-up, my next events, notices, my school's open recommendations, my requests."""
    now = now or today()
    q = _librarian_statements()
    params = {"user_id": user.id, "school_id": user.organization_id, "today": now, "month_start": _month_start(now),
              "month_number": month_number(now)}
    recs: list[Recommendation] = []
    figures = {"recommendations_count": 0, "organization_name": None}
    if user.organization_id:
        recs = list(db.session.scalars(q["recommendations"], params))
        count, name = db.session.execute(q["recommendations_figures"], params).one()
        figures = {"recommendations_count": count or 0, "organization_name": name}
    return {
        "today": now,
        "open_events": [EventFill(event, taken or 0) for event, taken in db.session.execute(q["open_events"], params)],
        "my_events": list(db.session.scalars(q["my_events"], params)),
        "notices": list(db.session.scalars(q["notices"], params)),
        "recommendations": recs,
        "requests": list(db.session.scalars(q["requests"], params)),
        **figures,
    }
