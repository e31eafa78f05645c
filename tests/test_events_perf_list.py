"""/events pages in SQL: the same events, order, month headings, counts and default page as the list built in
Python before (every event of the year loaded, filtered, sorted by `event_sort_key`, cut 50 a page)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import insert

from mo_app.dates import PlanDate
from mo_app.events import services
from mo_app.extensions import db
from mo_app.models import Event, Registration
from mo_app.models.events import EVENT_KINDS, REG_REGISTERED, REG_WAITING

from .events_helpers import today

PER_PAGE = 50


# ---------------------------------------------------------------- the list as it was computed in Python


def _old_key(ev: Event):
    pd = ev.plan_date
    if pd.kind == "year":
        rank, start = 0, date.min
    elif pd.start is None:
        rank, start = 2, date.max
    else:
        rank, start = 1, pd.start
    return (rank, start, ev.date_time or datetime.min.time(), ev.goal.position if ev.goal else 0, ev.position, ev.id)


def _old_month_key(ev: Event) -> str:
    pd = ev.plan_date
    if pd.kind == "year":
        return "year"
    if pd.start is None:
        return "tbd"
    return pd.start.strftime("%Y-%m")


def expected(year, me, *, kind="", goal=None, month=None, open_=False, mine=False, page=None):
    """(count, page number, pages, shown ids, month keys of the shown) as the old list_context gave them."""
    db.session.expire_all()
    events = db.session.scalars(db.select(Event).where(Event.year_id == year.id)).all()
    if kind:
        events = [e for e in events if e.kind == kind]
    if goal:
        events = [e for e in events if e.goal_id == goal]
    if month:  # a month outside the school year is brought to its nearest month (web.year_month_arg)
        month = min(max(month, date(year.start_year, 9, 1)), date(year.start_year + 1, 8, 1))
        events = [e for e in events if services.overlaps_month(e.plan_date, month)]
    if open_:
        events = [e for e in events if services.signup_refusal(e) is None]
    if mine:
        states = services.my_states(me, [e.id for e in events])
        events = [e for e in events if states.get(e.id) and states[e.id].status in (REG_REGISTERED, REG_WAITING)]
    events.sort(key=_old_key)
    default = 1
    if year.is_current and not month:
        upcoming = next((i for i, e in enumerate(events) if not services.is_past(e)), 0)
        default = upcoming // PER_PAGE + 1
    pages = max(1, -(-len(events) // PER_PAGE))
    number = min(max(page if page is not None else default, 1), pages)
    shown = events[(number - 1) * PER_PAGE:number * PER_PAGE]
    keys = []
    for e in shown:
        if not keys or keys[-1] != _old_month_key(e):
            keys.append(_old_month_key(e))
    return len(events), number, pages, [e.id for e in shown], keys


def seen(client, url):
    """What the page shows: (count, page number, pages, event ids in order, month headings in order)."""
    body = client.get(url).get_data(as_text=True)
    count = int(re.search(r"Показано: (\d+)", body).group(1))
    m = re.search(r"страница (\d+) из (\d+)", body)
    number, pages = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
    ids = [int(x) for x in re.findall(r'<tr id="event-(\d+)"', body)]
    keys = re.findall(r'data-month="([^"]+)"', body)
    return count, number, pages, ids, keys


# ---------------------------------------------------------------- a year with every kind of date


@pytest.fixture
def world(f):
    """~170 events of the current year: every date kind (a whole year with and without its end, spans,
    months, days with and without a time, a day at midnight, undated), many on the same day, goals out of
    order and none, cancelled, held, closed, past deadlines; `me` registered, waiting and cancelled."""
    year = f.year(2026)
    old_year = f.year(2025, current=False)
    goals = [f.goal(year, f"Направление {p}", position=p) for p in (3, 1, 2)]
    venue = f.venue()
    me = f.librarian()
    other = f.librarian()
    t = today()
    first = date(year.start_year, 9, 1)
    kinds = list(EVENT_KINDS)
    rows = []

    def add(i, date_kind, start, end=None, at=None, **kw):
        row = {
            "year_id": year.id, "goal_id": goals[i % 4].id if i % 4 < 3 else None, "position": (i * 7) % 5,
            "kind": kinds[i % len(kinds)], "title": f"Событие {i}", "venue_id": venue.id if i % 3 else None,
            "date_kind": date_kind, "date_start": start, "date_end": end, "date_time": at,
            "planned_kind": date_kind, "planned_start": start, "planned_end": end, "capacity": (None, 2, 5)[i % 3],
            "signup_deadline": None, "is_open": True, "status": "planned",
            "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1), "is_sample": False,
        }
        row.update(kw)
        rows.append(row)

    i = 0
    for k in range(150):  # days and times across the year, several a day
        d = first + timedelta(days=(k * 5) % 330)
        if k % 4 == 0:
            add(i, "datetime", d, at=(time(10), time(14), time(0), time(10))[k // 4 % 4])
        elif k % 4 == 1:
            add(i, "datetime", d, at=time(0) if k % 8 == 1 else time(9, 30))
        elif k % 4 == 2:
            add(i, "month", d.replace(day=1))
        else:
            add(i, "day", d)
        i += 1
    for k in range(6):  # near today, on the same day
        add(i, "day", t, status="cancelled" if k == 0 else "planned")
        i += 1
        add(i, "datetime", t + timedelta(days=k % 2), at=time(11))
        i += 1
    add(i, "year", first, date(year.start_year + 1, 5, 1)); i += 1  # noqa: E702
    add(i, "year", first, None); i += 1  # noqa: E702
    # No time sorts as midnight: the midnight event without a goal before the day event of goal position 3.
    add(i, "day", t + timedelta(days=9), goal_id=goals[0].id); i += 1  # noqa: E702
    add(i, "datetime", t + timedelta(days=9), at=time(0), goal_id=None); i += 1  # noqa: E702
    add(i, "year", date(year.start_year - 1, 9, 1), None); i += 1  # noqa: E702  (over at the end of May)
    add(i, "year", date(year.start_year - 1, 9, 1), date(year.start_year, 4, 1)); i += 1  # noqa: E702
    add(i, "span", date(year.start_year - 1, 11, 1), date(year.start_year, 9, 1)); i += 1  # noqa: E702
    add(i, "span", date(year.start_year, 10, 1), date(year.start_year + 1, 2, 1)); i += 1  # noqa: E702
    add(i, "span", date(year.start_year, 12, 1), None); i += 1  # noqa: E702
    add(i, "tbd", None); i += 1  # noqa: E702
    add(i, "tbd", None); i += 1  # noqa: E702
    add(i, "day", t + timedelta(days=3), signup_deadline=t - timedelta(days=1)); i += 1  # noqa: E702
    add(i, "day", t + timedelta(days=4), is_open=False); i += 1  # noqa: E702
    add(i, "day", t + timedelta(days=5), status="held"); i += 1  # noqa: E702
    add(i, "day", t + timedelta(days=5), signup_deadline=t + timedelta(days=2)); i += 1  # noqa: E702
    db.session.execute(insert(Event), rows)
    # Another year's events never show.
    f.event(old_year, when=PlanDate("day", t))
    ids = db.session.scalars(db.select(Event.id).where(Event.year_id == year.id).order_by(Event.id)).all()
    regs = []
    t0 = datetime(2026, 9, 1)
    for n, eid in enumerate(ids):
        if n % 3 == 0:
            status = (REG_REGISTERED, REG_WAITING, "cancelled")[n // 3 % 3]
            regs.append({"event_id": eid, "user_id": me.id, "status": status, "queued_at": t0 + timedelta(minutes=n),
                         "created_at": t0, "is_walk_in": False, "is_sample": False})
        if n % 2 == 0:
            regs.append({"event_id": eid, "user_id": other.id, "status": REG_REGISTERED,
                         "queued_at": t0, "created_at": t0, "is_walk_in": False, "is_sample": False})
    db.session.execute(insert(Registration), regs)
    db.session.commit()
    return year, me, goals


def _url(**q):
    parts = [f"{k}={v}" for k, v in q.items() if v not in (None, "")]
    return "/events" + ("?" + "&".join(parts) if parts else "")


def _months(year):
    return [date(year.start_year + (m < 9), m, 1) for m in (9, 10, 11, 12, 1, 2, 5, 8)] + [
        date(year.start_year, 4, 1), date(year.start_year, 5, 1), date(year.start_year, 6, 1),
        date(year.start_year + 1, 6, 1)]


def test_every_filter_and_page_as_before(client, login_as, world):
    year, me, goals = world
    login_as(me)
    combos = [{}, {"kind": "seminar"}, {"kind": "course"}, {"goal": goals[1].id}, {"open": "1"}, {"mine": "1"},
              {"kind": "meeting", "open": "1", "mine": "1"}, {"goal": goals[0].id, "open": "1"}]
    combos += [{"month": m.strftime("%Y-%m")} for m in _months(year)]
    combos += [{"month": _months(year)[3].strftime("%Y-%m"), "open": "1"},
               {"month": _months(year)[1].strftime("%Y-%m"), "mine": "1", "kind": "seminar"}]
    for q in combos:
        kw = {"kind": q.get("kind", ""), "goal": int(q["goal"]) if "goal" in q else None,
              "month": date.fromisoformat(q["month"] + "-01") if "month" in q else None,
              "open_": "open" in q, "mine": "mine" in q}
        want = expected(year, me, **kw)
        assert seen(client, _url(**q)) == want, q
        for page in range(0, want[2] + 2):
            assert seen(client, _url(**q, page=page)) == expected(year, me, page=page, **kw), (q, page)


def test_the_current_year_opens_on_its_next_events(client, login_as, world):
    year, me, _ = world
    login_as(me)
    count, number, pages, ids, _ = seen(client, "/events")
    assert pages >= 3 and count > 150
    assert (count, number, pages, ids) == expected(year, me)[:4]
    # The first event not yet over is on the page that opens (the year's dated events run from September).
    upcoming = [e for e in db.session.scalars(db.select(Event).where(Event.year_id == year.id)).all()
                if not services.is_past(e)]
    assert any(e.id in ids for e in upcoming) or not upcoming


def test_another_year_opens_on_its_first_page(client, login_as, world, f):
    year, me, _ = world
    login_as(me)
    old = f.year(2025, current=False)
    for k in range(60):
        f.event(old, when=PlanDate("day", date(2026, 5, 1) - timedelta(days=k)), title=f"Старое {k}")
    count, number, pages, ids, _ = seen(client, "/events?year=2025")
    assert (count, number, pages) == (61, 1, 2)
    assert seen(client, "/events?year=2025&page=2")[1:3] == (2, 2)


def test_methodologist_sees_the_same_list(client, login_as, world, f):
    year, me, _ = world
    login_as(f.methodologist())
    for q in ({}, {"kind": "seminar"}, {"open": "1"}):
        kw = {"kind": q.get("kind", ""), "open_": "open" in q}
        assert seen(client, _url(**q)) == expected(year, me, **kw), q
    # «мои» is a librarian's filter: for the methodologist it leaves nothing.
    assert seen(client, "/events?mine=1")[0] == 0


def test_archive_year_has_nothing_open(client, login_as, f):
    old = f.year(2025, current=False)
    old.is_archive = True
    db.session.commit()
    for k in range(3):
        f.event(old, when=PlanDate("day", today() + timedelta(days=k + 1)), title=f"Архивное {k}")
    login_as(f.librarian())
    assert seen(client, "/events?year=2025")[0] == 3
    assert seen(client, "/events?year=2025&open=1")[0] == 0


# ---------------------------------------------------------------- the list's box is _signup.html's box


def _box_in_list(body: str, event_id: int) -> str:
    m = re.search(rf'<div class="signup compact" id="signup-{event_id}">.*?</div>', body, re.S)
    assert m, event_id
    return m.group(0)


def _normal(html: str) -> str:
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)
    return re.sub(r"\s+", " ", html).strip()


def _box_alone(app, user, event_id: int) -> str:
    """The box as the sign-up actions send it back (events/_signup.html, compact)."""
    from flask import render_template
    from flask_login import login_user

    from mo_app.auth.sessions import open_session
    from mo_app.events.routes import event_box_or_404

    with app.test_request_context("/"):
        user = db.session.get(type(user), user.id)
        open_session(user)
        login_user(user)
        html = render_template("events/_signup.html", compact=True, error=None, message=None,
                               **event_box_or_404(event_id))
    return re.search(r'<div class="signup compact".*?</div>', html, re.S).group(0)


def test_list_rows_draw_the_signup_box_as_signup_html(app, client, login_as, f):
    t = today()
    me, other, third = f.librarian(), f.librarian(), f.librarian()
    day = PlanDate("day", t + timedelta(days=20))
    events = {
        "free": f.event(when=day, capacity=10, title="Свободно"),
        "unlimited": f.event(when=day, title="Без ограничения"),
        "full": f.event(when=day, capacity=1, title="Полно"),
        "registered": f.event(when=day, capacity=5, title="Записана «в кавычках» & <тег>"),
        "registered_late": f.event(when=day, signup_deadline=t - timedelta(days=1), title="Срок истёк"),
        "waiting": f.event(when=day, capacity=1, title="Очередь"),
        "cancelled_reg": f.event(when=day, title="Отменила"),
        "closed": f.event(when=day, is_open=False, title="Закрыто"),
        "consultation": f.event(when=day, kind="individual_consultation", title=""),
        "cancelled": f.event(when=day, status="cancelled", title="Отменено"),
        "past": f.event(when=PlanDate("day", t - timedelta(days=3)), status="held", title="Прошло"),
    }
    f.registration(events["full"], other)
    f.registration(events["registered"], me)
    f.registration(events["registered_late"], me)
    f.registration(events["waiting"], other)
    f.registration(events["waiting"], third, status="waiting")
    f.registration(events["waiting"], me, status="waiting")
    f.registration(events["cancelled_reg"], me, status="cancelled")
    for user in (me, f.methodologist()):
        login_as(user)
        body = "".join(client.get(f"/events?page={n}").get_data(as_text=True) for n in (1, 2))
        for name, ev in events.items():
            assert _normal(_box_in_list(body, ev.id)) == _normal(_box_alone(app, user, ev.id)), (user.role, name)
    assert "вы 2-я в очереди" in _box_alone(app, me, events["waiting"].id)


# ---------------------------------------------------------------- «Мои мероприятия» in SQL order


def test_my_events_in_plan_order_with_queue_places(client, login_as, world, f):
    year, me, _ = world
    # Two others ahead of me in the queue of my first waiting event (queued before me).
    first_waiting = db.session.scalar(
        db.select(Registration).where(Registration.user_id == me.id, Registration.status == REG_WAITING)
        .order_by(Registration.event_id).limit(1))
    for k in range(2):
        f.registration(db.session.get(Event, first_waiting.event_id), f.librarian(), status=REG_WAITING,
                       queued_at=datetime(2026, 8, 1, 10, k))
    login_as(me)
    body = client.get("/my/events").get_data(as_text=True)
    upcoming_part, past_part = body.split("<h2>Прошедшие</h2>")
    shown_upcoming = [int(x) for x in re.findall(r'<tr id="my-(\d+)"', upcoming_part)]
    past_part = past_part.split('<section class="calendar-feed">')[0]
    shown_past = [int(x) for x in re.findall(r'<td><a href="/events/(\d+)"', past_part)]

    db.session.expire_all()
    regs = db.session.scalars(db.select(Registration).where(Registration.user_id == me.id)).all()
    regs.sort(key=lambda r: _old_key(r.event))
    upcoming = [r.event_id for r in regs if not (services.is_past(r.event) or r.event.status == "held")]
    past = [r.event_id for r in regs if services.is_past(r.event) or r.event.status == "held"][::-1]
    assert shown_upcoming == upcoming and shown_past == past
    assert upcoming and past
    states = services.my_states(me, [r.event_id for r in regs])
    for eid in upcoming:
        if states[eid].status == REG_WAITING:
            row = re.search(rf'<tr id="my-{eid}">.*?</tr>', upcoming_part, re.S).group(0)
            assert f"вы {states[eid].position}-я в очереди" in row
    assert states[first_waiting.event_id].position == 3
