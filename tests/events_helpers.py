"""Builders and probes for the events tests (kept out of factories.py)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import insert

from mo_app.dates import PlanDate
from mo_app.events import services
from mo_app.extensions import db
from mo_app.models import Event, Registration, User


def today() -> date:
    return services.today()


def future_day(days: int = 30) -> date:
    return today() + timedelta(days=days)


def past_day(days: int = 30) -> date:
    return today() - timedelta(days=days)


def coming_event(f, **kw) -> Event:
    """An event a month ahead, open for sign-up."""
    kw.setdefault("when", PlanDate("day", future_day()))
    return f.event(**kw)


def status_of(event_id: int, user_id: int) -> str | None:
    db.session.expire_all()
    reg = db.session.scalar(
        db.select(Registration).where(Registration.event_id == event_id, Registration.user_id == user_id)
    )
    return reg.status if reg else None


def counts(event_id: int) -> dict:
    db.session.expire_all()
    rows = db.session.execute(
        db.select(Registration.status, db.func.count()).where(Registration.event_id == event_id)
        .group_by(Registration.status)
    ).all()
    return dict(rows)


@contextmanager
def count_queries():
    """Count SQL statements sent to the database inside the block."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)


def bulk_world(f, year, me: User, n_events: int, n_librarians: int, per_event: int, mine_every: int = 2) -> None:
    """Many events with many registrations, inserted in bulk; `me` is signed up for every `mine_every`-th event,
    on the waiting list for some."""
    venue = f.venue(f"Библиотека {n_events}")
    school = f.school()
    users = [
        {"login": f"bulk{n_events}-{i}", "last_name": f"Библиотекарь{i}", "initials": "А.А.", "role": "librarian",
         "organization_id": school.id, "password_hash": "x", "active": True,
         "must_change_password": False, "is_beginner": False, "is_sample": False, "created_at": datetime(2026, 1, 1)}
        for i in range(n_librarians)
    ]
    db.session.execute(insert(User), users)
    user_ids = db.session.scalars(db.select(User.id).where(User.login.like(f"bulk{n_events}-%"))).all()
    start = date(year.start_year, 9, 1)
    events = []
    for i in range(n_events):
        d = start + timedelta(days=i % 250)
        events.append({
            "year_id": year.id, "kind": ("seminar", "meeting", "practical_seminar")[i % 3], "title": f"Событие {i}",
            "venue_id": venue.id, "date_kind": "day", "date_start": d, "planned_kind": "day", "planned_start": d,
            "capacity": per_event - 1 if i % 5 == 0 else None, "is_open": True, "status": "planned", "position": i,
            "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1), "is_sample": False,
        })
    db.session.execute(insert(Event), events)
    event_ids = db.session.scalars(db.select(Event.id).where(Event.venue_id == venue.id).order_by(Event.id)).all()
    regs = []
    t0 = datetime(2026, 9, 1)
    for k, eid in enumerate(event_ids):
        for j in range(per_event):
            regs.append({"event_id": eid, "user_id": user_ids[(k + j) % len(user_ids)],
                         "status": "waiting" if j == per_event - 1 and k % 5 == 0 else "registered",
                         "queued_at": t0 + timedelta(seconds=k * 100 + j), "created_at": t0,
                         "is_walk_in": False, "is_sample": False,
                         "attendance": "present" if j % 2 else None})
        if k % mine_every == 0:
            regs.append({"event_id": eid, "user_id": me.id, "status": "waiting" if k % 4 == 0 else "registered",
                         "queued_at": t0 + timedelta(seconds=k * 100 + 99), "created_at": t0,
                         "is_walk_in": False, "is_sample": False, "attendance": None})
    db.session.execute(insert(Registration), regs)
    db.session.commit()
