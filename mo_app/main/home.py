"""The two home pages' figures: each list in one query (the events with their seat counts), and all the
"how many in all" counts of a page in one more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from ..dates import month_number, next_month_start, school_year_start
from ..events.queries import ends_on_or_after
from ..extensions import db
from ..models import (
    BestPractice,
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
from ..results.queries import OPEN_REC, today
from ..visits.queries import overdue_condition

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


def _upcoming(month_start, today_, month_number_):
    """Planned events from the month starting `month_start` (today's month) on that are not past on `today_`
    (bound parameters; events/queries.py: a month-dated event still counts during its month, a day-dated one
    is over the day after), each with the seats taken (a correlated count: no second query)."""
    taken = (
        db.select(func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status == "registered")
        .correlate(Event).scalar_subquery()
    )
    return (
        db.select(Event, taken)
        .options(joinedload(Event.venue))
        .where(Event.status == "planned", Event.date_start >= month_start,
               ends_on_or_after(today_, month_start, month_number_))
        .order_by(Event.date_start, Event.date_time, Event.id)
    )


def _current_year_start():
    """The current school year's first calendar year (the year marked current, else the latest: as
    web.current_year), as a scalar subquery: read with a page's counts, not in a query of its own."""
    return (
        db.select(SchoolYear.start_year)
        .order_by(SchoolYear.is_current.desc(), SchoolYear.start_year.desc()).limit(1).scalar_subquery()
    )


def ended_year(current_start: int | None, now: date) -> str | None:
    """«2025–2026» when `now` is past the current school year's 31 August and no later year has begun (a new
    year exists only once the methodologist starts it at /plan/new-year), else None."""
    if current_start is None or school_year_start(now) <= current_start:
        return None
    return f"{current_start}–{current_start + 1}"


def _count(query):
    """How many rows `query` has, as a scalar subquery (the page reads all its counts in one statement)."""
    return db.select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()


@lru_cache(maxsize=1)
def _methodologist_statements() -> dict:
    """The methodologist's desk queries, built once (as _librarian_statements). Bound parameters: since,
    today, month_start, month_number, next_month."""
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
        .where(overdue_condition(today_))  # the one «overdue» of visits/queries.py, as /recommendations
        .order_by(Recommendation.deadline, Recommendation.id)
    )
    lists = {"requests": requests, "visits": visits, "drafts": drafts, "overdue": overdue}
    return {
        "events": _upcoming(month_start, today_, db.bindparam("month_number")).limit(LIST_LIMIT),
        "signups": signups.add_columns(func.count().over()).limit(LIST_LIMIT),
        **{name: query.limit(LIST_LIMIT) for name, query in lists.items()},
        "counts": db.select(*(_count(query).label(name) for name, query in lists.items()),
                            _current_year_start().label("current_start"),
                            # waiting for her decision: best-practice proposals, recommendations marked done
                            _count(db.select(BestPractice.id).where(BestPractice.status == "proposed"))
                            .label("proposals"),
                            _count(db.select(Recommendation.id).where(Recommendation.status == "reported"))
                            .label("reported")),
    }


def methodologist_home(user: User, now: date | None = None) -> dict:
    """Next events with fill level, new sign-ups, consultation requests, this month's visits, drafts, overdue;
    whether the school year has ended without a new one."""
    now = now or today()
    # since her «Просмотрено» (main/services.mark_signups_seen), not her last login: a few logins erased them
    since = user.signups_seen_at or (datetime.combine(now, datetime.min.time()) - timedelta(days=7))
    q = _methodologist_statements()
    params = {"since": since, "today": now, "month_start": _month_start(now), "month_number": month_number(now),
              "next_month": next_month_start(now)}
    signups = db.session.execute(q["signups"], params).all()
    counts = dict(db.session.execute(q["counts"], params).one()._mapping)
    current_start = counts.pop("current_start")
    waiting = {"proposals_count": counts.pop("proposals") or 0, "reported_count": counts.pop("reported") or 0}
    return {
        "today": now,
        **waiting,
        "ended_year": ended_year(current_start, now),
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
    month_number_ = db.bindparam("month_number")
    # my events still on, as «Мои мероприятия» lists them: a course for the whole year or a span begun
    # months ago is still ahead of me; an undated one too
    still_on = or_(Event.date_start.is_(None), ends_on_or_after(today_, month_start, month_number_))
    mine = db.select(Registration.event_id).where(
        Registration.user_id == user_id, Registration.status.in_(ACTIVE_REG)
    )
    open_events = _upcoming(month_start, today_, month_number_).where(
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
    # справки of my school finalised and waiting for «Ознакомлен(а)»: a notice until acknowledged (their count
    # and the latest one's visit ride in «figures»: the page keeps its number of queries)
    to_acknowledge = (
        db.select(Visit.id)
        .join(VisitReport, VisitReport.visit_id == Visit.id)
        .where(Visit.organization_id == school_id, VisitReport.status == "final",
               VisitReport.acknowledged_at.is_(None))
    )
    return {
        "open_events": open_events.limit(LIST_LIMIT),
        "my_events": my_events.limit(LIST_LIMIT),
        "notices": notices.limit(LIST_LIMIT),
        "recommendations": recs.limit(LIST_LIMIT),
        # the count, the school's name for the greeting (not a lazy load of current_user.organization), and
        # the current year (has it ended?)
        "figures": db.select(
            _count(recs), db.select(Organization.name).where(Organization.id == school_id).scalar_subquery(),
            _current_year_start(), _count(to_acknowledge),
            to_acknowledge.order_by(VisitReport.finalised_at.desc(), Visit.id.desc()).limit(1).scalar_subquery(),
        ),
        "requests": requests.limit(LIST_LIMIT),
    }


def librarian_home(user: User, now: date | None = None) -> dict:
    """Events open for sign-up, my next events, notices, my school's open recommendations, my requests;
    whether the school year has ended without a new one."""
    now = now or today()
    q = _librarian_statements()
    params = {"user_id": user.id, "school_id": user.organization_id, "today": now, "month_start": _month_start(now),
              "month_number": month_number(now)}
    recs: list[Recommendation] = []
    if user.organization_id:
        recs = list(db.session.scalars(q["recommendations"], params))
    count, name, current_start, ack_count, ack_visit_id = db.session.execute(q["figures"], params).one()
    figures = {"recommendations_count": count or 0, "organization_name": name,
               "to_acknowledge": ack_count or 0, "to_acknowledge_visit_id": ack_visit_id}
    return {
        "today": now,
        "ended_year": ended_year(current_start, now),
        "open_events": [EventFill(event, taken or 0) for event, taken in db.session.execute(q["open_events"], params)],
        "my_events": list(db.session.scalars(q["my_events"], params)),
        "notices": list(db.session.scalars(q["notices"], params)),
        "recommendations": recs,
        "requests": list(db.session.scalars(q["requests"], params)),
        **figures,
    }
