"""The read side of events: the shared definitions every page and desk uses, so that two screens never disagree.

«Past» is one rule written twice, in Python (`is_past`, for an event in hand) and in SQL (`ends_on_or_after`,
for lists): an event is past once the last day its plan date allows is over — a day the day after, a month,
span or year once its last month is over. tests/test_events_queries.py checks that the two agree."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import extract, func
from sqlalchemy.orm import contains_eager, joinedload

from ..cache import stamp_column
from ..dates import HasPlanDate, today
from ..extensions import db
from ..models import ConsultationRequest, Event, Goal, Notice, Organization, Registration, SchoolYear, User
from ..models.events import REG_CANCELLED, REG_REGISTERED


def is_past(event: Event | HasPlanDate, on: date | None = None) -> bool:
    """True when the event's last possible day is over (a month-only event: when the month is over); `event` is
    anything with a `plan_date` (an Event, a list row, a results row)."""
    last = event.plan_date.last_day
    return last is not None and last < (on or today())


def ends_on_or_after(day, month_first, month_number):
    """SQL for `PlanDate.last_day >= day` (`month_first`: the first of day's month, `month_number`: its
    year * 12 + month). A day is its own last day; a month, span or year lasts to the end of its last month,
    which is on or after `day` exactly when that month starts on or after `month_first`; a whole year
    without its last month lasts to the end of May of the next calendar year. False, never NULL, for a dated
    event, so `not_(...)` reads «past»."""
    return db.or_(
        db.and_(Event.date_kind.in_(("day", "datetime")), Event.date_start >= day),
        db.and_(Event.date_kind.not_in(("day", "datetime")), Event.date_kind != "year",
                func.coalesce(Event.date_end, Event.date_start) >= month_first),
        db.and_(Event.date_kind == "year", Event.date_end.is_not(None), Event.date_end >= month_first),
        db.and_(Event.date_kind == "year", Event.date_end.is_(None),
                extract("year", Event.date_start) * 12 + 17 >= month_number),
    )


# ---------------------------------------------------------------- consultation requests


def consultation_topics(year_id: int) -> list[Event]:
    """The plan's consultation topics of a year (events of the consultation kinds that have a title)."""
    return db.session.scalars(
        db.select(Event)
        .where(
            Event.year_id == year_id,
            Event.kind.in_(("individual_consultation", "group_consultation")),
            Event.title != "",
        )
        .order_by(Event.goal_id, Event.position)
    ).all()


def group_consultations(year_id: int) -> list[Event]:
    """The year's group consultations, in plan order."""
    return db.session.scalars(
        db.select(Event).where(Event.year_id == year_id, Event.kind == "group_consultation")
        .order_by(Event.goal_id, Event.position)
    ).all()


def consultation_requests(year: SchoolYear, user: User) -> list[ConsultationRequest]:
    """The year's consultation requests `user` sees (the methodologist all, a librarian their own), newest first,
    with their authors, schools and topics."""
    q = (
        db.select(ConsultationRequest)
        .options(joinedload(ConsultationRequest.user).joinedload(User.organization),
                 joinedload(ConsultationRequest.topic_event))
        .where(ConsultationRequest.year_id == year.id)
        .order_by(ConsultationRequest.created_at.desc(), ConsultationRequest.id.desc())
    )
    if not user.is_methodologist:
        q = q.where(ConsultationRequest.user_id == user.id)
    return db.session.scalars(q).unique().all()


def consultation_request(req_id: int, user: User) -> ConsultationRequest | None:
    """A consultation request `user` may see (their own, or any for the methodologist), or None."""
    req = db.session.get(ConsultationRequest, req_id)
    if req is None or (not user.is_methodologist and req.user_id != user.id):
        return None
    return req


def consultation_year_start(req: ConsultationRequest) -> int:
    """The first calendar year of the school year a request belongs to (its day must fall in that year)."""
    return db.session.get(SchoolYear, req.year_id).start_year


def recent_notices(user: User, limit: int = 20) -> list[Notice]:
    """The user's latest notices, read or not, newest first."""
    return db.session.scalars(
        db.select(Notice).where(Notice.user_id == user.id).order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    ).all()


# ---------------------------------------------------------------- loaders, years, the calendar


@lru_cache(maxsize=1)
def _event_by_id():
    return (
        db.select(Event)
        .options(joinedload(Event.venue), joinedload(Event.goal), joinedload(Event.year))
        .where(Event.id == db.bindparam("event_id"))
    )


def event(event_id: int) -> Event | None:
    """The event with its venue, goal and year (one query), or None."""
    return db.session.scalar(_event_by_id(), {"event_id": event_id})


def registration(ev: Event, reg_id: int) -> Registration | None:
    """A sign-up of `ev` with its person and school, or None."""
    return db.session.scalar(
        db.select(Registration)
        .options(joinedload(Registration.user).joinedload(User.organization))
        .where(Registration.id == reg_id, Registration.event_id == ev.id)
    )


@lru_cache(maxsize=1)
def _years_statement():
    return (
        db.select(SchoolYear, stamp_column()).outerjoin(SchoolYear.goals).options(contains_eager(SchoolYear.goals))
        .order_by(SchoolYear.start_year.desc(), Goal.position)
    )


def years_with_goals() -> tuple[list[SchoolYear], str | None]:
    """all_years() with each year's goals (for the list's filter), and the data stamp (mo_app/cache.py), read
    before anything else the page shows: one query."""
    rows = db.session.execute(_years_statement()).unique().all()
    return [year for year, _ in rows], (rows[0][1] if rows else None)


def year_events(year: SchoolYear) -> list[Event]:
    """All of a year's events with their venues and goals (the calendar picks a month's)."""
    return db.session.scalars(
        db.select(Event).options(joinedload(Event.venue), joinedload(Event.goal)).where(Event.year_id == year.id)
    ).unique().all()


def plan_start_years() -> set[int]:
    """The first calendar years of the school years that have a plan."""
    return set(db.session.scalars(db.select(SchoolYear.start_year)))


def year_of(start_year: int) -> SchoolYear | None:
    """The school year starting in `start_year`, if there is a plan for it."""
    return db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == start_year))


def feed_owner(token: str) -> User | None:
    """The active user whose calendar feed link holds `token`."""
    return db.session.scalar(db.select(User).where(User.calendar_token == token, User.active.is_(True)))


def registered_events(user: User) -> list[Event]:
    """The events `user` holds a seat at, with their venues, by date (the calendar feed)."""
    return db.session.scalars(
        db.select(Event)
        .join(Registration, Registration.event_id == Event.id)
        .options(joinedload(Event.venue))
        .where(Registration.user_id == user.id, Registration.status == REG_REGISTERED)
        .order_by(Event.date_start)
    ).unique().all()


def active_venues() -> list[Organization]:
    """Organizations an event may be held at."""
    return db.session.scalars(
        db.select(Organization).where(Organization.is_active.is_(True)).order_by(Organization.kind,
                                                                                 Organization.short_name)
    ).all()


# ---------------------------------------------------------------- participants


def registrations(ev: Event, statuses) -> list[Registration]:
    """The event's sign-ups of `statuses` with their people and schools."""
    return db.session.scalars(
        db.select(Registration)
        .options(joinedload(Registration.user).joinedload(User.organization))
        .where(Registration.event_id == ev.id, Registration.status.in_(statuses))
    ).unique().all()


def active_librarians() -> list[User]:
    """Every active librarian with their school, by name."""
    return db.session.scalars(
        db.select(User).options(joinedload(User.organization))
        .where(User.role == "librarian", User.active.is_(True)).order_by(User.last_name, User.initials)
    ).unique().all()


def librarians_to_add(ev: Event, q: str, beginners: bool, limit: int = 50) -> list[User]:
    """Active librarians not on the event's lists whose surname, school, school number or login matches `q`
    (`beginners`: only beginners), by surname."""
    taken = db.select(Registration.user_id).where(
        Registration.event_id == ev.id, Registration.status != REG_CANCELLED
    )
    stmt = (
        db.select(User).outerjoin(Organization, User.organization_id == Organization.id)
        .options(joinedload(User.organization))
        .where(User.role == "librarian", User.active.is_(True), User.id.not_in(taken))
    )
    if beginners:
        stmt = stmt.where(User.is_beginner.is_(True))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(db.or_(func.lower(User.last_name).like(like), func.lower(Organization.short_name)
                                 .like(like), Organization.number == q, func.lower(User.login).like(like)))
    return db.session.scalars(stmt.order_by(User.last_name).limit(limit)).unique().all()
