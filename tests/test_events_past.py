"""«Past agrees»: the Python rule (`is_past`, for an event in hand) and the SQL rule (`ends_on_or_after`, for the
lists and the home desks) call the same events past, on any day and on today in Moscow."""

from datetime import date, timedelta

import pytest

from mo_app.dates import PlanDate, month_number, today
from mo_app.events.queries import ends_on_or_after, is_past
from mo_app.events.services import list_rows, my_signups
from mo_app.extensions import db
from mo_app.main.home import LIST_LIMIT, librarian_home
from mo_app.models import Event


def _month(d: date, step: int = 0) -> date:
    n = month_number(d) - 1 + step
    return date(n // 12, n % 12 + 1, 1)


def _dates_around(day: date) -> list[PlanDate]:
    """Plan dates of every kind close to `day`: one day, a day and time, a month, a span, the whole year."""
    this, prev, nxt = _month(day), _month(day, -1), _month(day, 1)
    start_year = day.year if day.month >= 9 else day.year - 1
    return [
        *(PlanDate("day", day + timedelta(days=n)) for n in (-1, 0, 1)),
        PlanDate("datetime", day, at=None),
        *(PlanDate("month", m) for m in (prev, this, nxt)),
        PlanDate("span", _month(day, -3), prev), PlanDate("span", _month(day, -2), this),
        PlanDate("span", prev, nxt), PlanDate("span", this, _month(day, 2)),
        PlanDate.whole_year(start_year), PlanDate.whole_year(start_year - 1),
        PlanDate("year", date(start_year, 9, 1)), PlanDate("year", date(start_year - 1, 9, 1)),  # without an end
        PlanDate(),  # date to be fixed
    ]


def _world(f, day: date) -> list[Event]:
    year = f.year(day.year if day.month >= 9 else day.year - 1)
    events = [f.event(year, title=f"№{i} {pd.text()}", when=pd) for i, pd in enumerate(_dates_around(day))]
    return events


def _sql_past(day: date) -> set[int]:
    """The events SQL calls past on `day` (undated ones never are, as the lists say)."""
    not_past = ends_on_or_after(day, day.replace(day=1), month_number(day))
    return set(db.session.scalars(db.select(Event.id).where(Event.date_start.is_not(None), db.not_(not_past))))


# a day, a month's first and last, the school year's last month, the end of a calendar year
DAYS = [date(2026, 11, 18), date(2026, 12, 1), date(2026, 12, 31), date(2027, 2, 28), date(2027, 5, 31),
        date(2027, 6, 1), date(2027, 9, 1)]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_python_and_sql_agree_on_any_day(app, f, day):
    events = _world(f, day)
    python = {ev.id for ev in events if is_past(ev, day)}
    assert python == _sql_past(day)
    # the set is not trivial: some of each
    assert python and len(python) < len(events)


def test_python_sql_lists_and_desk_agree_today_in_moscow(app, f):
    now = today()  # Moscow's date, whatever the server's zone
    events = _world(f, now)
    python = {ev.id for ev in events if is_past(ev)}
    by_title = {ev.id: ev.title for ev in events}
    assert {by_title[i] for i in python} >= {f"№0 {PlanDate('day', now - timedelta(days=1)).text()}"}
    assert not any(is_past(ev) for ev in events if ev.plan_date in (PlanDate("day", now),
                                                                    PlanDate("day", now + timedelta(days=1))))
    assert python == _sql_past(now)

    # the events list marks the same rows past
    year = events[0].year
    listed = {event_id for event_id, past in list_rows(year) if past}
    assert listed == python

    # «Мои мероприятия» and the librarian's desk (events still on) agree too
    me = f.librarian()
    for ev in events:
        f.registration(ev, me)
    over = {s.event_id for s in my_signups(me) if s.is_over}
    assert over == python
    desk = librarian_home(me, now)
    # the desk shows at most a few; the ones it shows are not past, and it shows the first ones still on
    shown = {reg.event_id for reg in desk["my_events"]}
    assert not shown & python
    assert len(shown) == min(LIST_LIMIT, len(events) - len(python))
