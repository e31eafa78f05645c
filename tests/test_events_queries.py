"""The list, the event page and «Мои мероприятия» load in a fixed number of SQL statements."""

from mo_app.extensions import db
from mo_app.models import Event

from .events_helpers import bulk_world, count_queries


def _measure(client, urls):
    out = {}
    for name, url in urls.items():
        with count_queries() as seen:
            r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        out[name] = len(seen)
    return out


def _urls():
    first = db.session.scalar(db.select(Event.id).order_by(Event.id).limit(1))
    return {"list": "/events", "filtered": "/events?kind=seminar&open=1", "mine": "/events?mine=1",
            "event": f"/events/{first}", "my": "/my/events", "calendar": "/events/calendar?month=2026-09"}


def test_query_count_does_not_grow_with_data(app, client, f, login_as):
    year = f.year(2026)
    me = f.librarian()
    login_as(me)
    bulk_world(f, year, me, n_events=10, n_librarians=10, per_event=3)
    small = _measure(client, _urls())

    # Another database, 50 times the events and thousands of registrations.
    db.session.execute(db.text("DELETE FROM registration"))
    db.session.execute(db.text("DELETE FROM event"))
    db.session.commit()
    bulk_world(f, year, me, n_events=500, n_librarians=60, per_event=8)
    assert db.session.scalar(db.text("SELECT count(*) FROM registration")) >= 4000
    large = _measure(client, _urls())
    assert small == large, (small, large)


def test_methodologist_pages_fixed_too(app, client, f, login_as):
    year = f.year(2026)
    me = f.librarian()
    login_as(f.methodologist())
    bulk_world(f, year, me, n_events=10, n_librarians=10, per_event=3)
    first = db.session.scalar(db.select(Event.id).order_by(Event.id).limit(1))
    urls = {"list": "/events", "event": f"/events/{first}", "participants": f"/events/{first}/participants"}
    small = _measure(client, urls)
    bulk_world(f, year, me, n_events=500, n_librarians=60, per_event=8)
    large = _measure(client, urls)
    assert small == large, (small, large)
