"""The two home pages' figures: each list in one query (the events with their seat counts), and all the
"how many in all" counts of a page in one more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

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


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _upcoming(now: date):
    """Planned events from this month on (a month-dated event still counts during its month), each with the
    seats taken (a correlated count: no second query)."""
    taken = (
        db.select(func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status == "registered")
        .correlate(Event).scalar_subquery()
    )
    return (
        db.select(Event, taken)
        .options(joinedload(Event.venue))
        .where(Event.status == "planned", Event.date_start >= _month_start(now))
        .order_by(Event.date_start, Event.date_time, Event.id)
    )


def _fills(query) -> list[EventFill]:
    return [EventFill(event, taken or 0) for event, taken in db.session.execute(query.limit(LIST_LIMIT))]


def _count(query):
    """How many rows `query` has, as a scalar subquery (the page reads all its counts in one statement)."""
    return db.select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()


def _listed_with_count(name: str, query) -> dict:
    """{name: the first rows, name_count: how many in all} in one statement (`count(*) OVER ()`): for a list
    whose query is costly to run twice (the new sign-ups scan the current year's registrations)."""
    rows = db.session.execute(query.add_columns(func.count().over()).limit(LIST_LIMIT)).all()
    return {name: [row[0] for row in rows], f"{name}_count": rows[0][1] if rows else 0}


def _counts(**queries) -> dict[str, int]:
    """{name: count} of several queries in one statement."""
    names = list(queries)
    row = db.session.execute(db.select(*(_count(q).label(n) for n, q in queries.items()))).one()
    return {f"{n}_count": row[i] or 0 for i, n in enumerate(names)}


def methodologist_home(user: User, now: date | None = None) -> dict:
    """Next events with fill level, new sign-ups, consultation requests, this month's visits, drafts, overdue."""
    now = now or today()
    # sign-ups for the current year's events only: archived years' sign-ups are history, not news
    since = user.previous_login_at or (datetime.combine(now, datetime.min.time()) - timedelta(days=7))
    signups_q = (
        db.select(Registration)
        .options(joinedload(Registration.user).joinedload(User.organization), joinedload(Registration.event))
        .join(Event, Registration.event_id == Event.id)
        .join(SchoolYear, Event.year_id == SchoolYear.id)
        .where(Registration.created_at > since, Registration.status.in_(ACTIVE_REG), SchoolYear.is_current.is_(True))
        .order_by(Registration.created_at.desc())
    )
    requests_q = (
        db.select(ConsultationRequest).options(joinedload(ConsultationRequest.user))
        .where(ConsultationRequest.status == "new").order_by(ConsultationRequest.created_at)
    )
    visits_q = (
        db.select(Visit).options(joinedload(Visit.organization))
        .where(Visit.date_start >= _month_start(now), Visit.date_start < _next_month(now),
               Visit.status.not_in(("cancelled",)))
        .order_by(Visit.date_start, Visit.id)
    )
    drafts_q = (
        db.select(VisitReport).options(joinedload(VisitReport.visit).joinedload(Visit.organization))
        .where(VisitReport.status == "draft").order_by(VisitReport.updated_at)
    )
    overdue_q = (
        db.select(Recommendation).options(joinedload(Recommendation.organization))
        .where(Recommendation.status.in_(OPEN_REC), Recommendation.deadline < now)
        .order_by(Recommendation.deadline, Recommendation.id)
    )
    return {
        "today": now,
        "since": since,
        "events": _fills(_upcoming(now)),
        **_listed_with_count("signups", signups_q),
        "requests": list(db.session.scalars(requests_q.limit(LIST_LIMIT))),
        "visits": list(db.session.scalars(visits_q.limit(LIST_LIMIT))),
        "drafts": list(db.session.scalars(drafts_q.limit(LIST_LIMIT))),
        "overdue": list(db.session.scalars(overdue_q.limit(LIST_LIMIT))),
        **_counts(requests=requests_q, visits=visits_q, drafts=drafts_q, overdue=overdue_q),
    }


def librarian_home(user: User, now: date | None = None) -> dict:
    """Events open for sign-up, my next events, notices, my school's open recommendations, my requests."""
    now = now or today()
    mine = db.select(Registration.event_id).where(
        Registration.user_id == user.id, Registration.status.in_(ACTIVE_REG)
    )
    open_q = _upcoming(now).where(
        Event.is_open.is_(True),
        Event.id.not_in(mine),
        or_(Event.signup_deadline.is_(None), Event.signup_deadline >= now),
        Event.kind != "individual_consultation",
    )
    my_q = (
        db.select(Registration)
        .options(joinedload(Registration.event).joinedload(Event.venue))
        .join(Event, Registration.event_id == Event.id)
        .where(Registration.user_id == user.id, Registration.status.in_(ACTIVE_REG),
               Event.status == "planned", Event.date_start >= _month_start(now))
        .order_by(Event.date_start, Event.id)
    )
    notices_q = (
        db.select(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
        .order_by(Notice.created_at.desc())
    )
    recs: list[Recommendation] = []
    figures = {"recommendations_count": 0, "organization_name": None}
    if user.organization_id:
        recs_q = (
            db.select(Recommendation)
            .join(VisitReport, Recommendation.report_id == VisitReport.id)
            .where(Recommendation.organization_id == user.organization_id, Recommendation.status.in_(OPEN_REC),
                   VisitReport.status == "final")
            .order_by(Recommendation.deadline.is_(None), Recommendation.deadline, Recommendation.id)
        )
        recs = list(db.session.scalars(recs_q.limit(LIST_LIMIT)))
        # the count, and the school's name for the greeting (not a lazy load of current_user.organization)
        count, name = db.session.execute(db.select(
            _count(recs_q),
            db.select(Organization.name).where(Organization.id == user.organization_id).scalar_subquery(),
        )).one()
        figures = {"recommendations_count": count or 0, "organization_name": name}
    requests_q = (
        db.select(ConsultationRequest)
        .where(ConsultationRequest.user_id == user.id, ConsultationRequest.status.in_(OPEN_REQUESTS))
        .order_by(ConsultationRequest.created_at.desc())
    )
    return {
        "today": now,
        "open_events": _fills(open_q),
        "my_events": list(db.session.scalars(my_q.limit(LIST_LIMIT))),
        "notices": list(db.session.scalars(notices_q.limit(LIST_LIMIT))),
        "recommendations": recs,
        "requests": list(db.session.scalars(requests_q.limit(LIST_LIMIT))),
        **figures,
    }
