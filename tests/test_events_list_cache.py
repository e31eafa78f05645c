"""/events keeps the list as everyone sees it per data stamp (mo_app/cache.py): a repeat costs fewer statements,
any change is seen on the next request, and a librarian's own sign-ups are never shared with another."""

from __future__ import annotations

from datetime import timedelta

from mo_app.dates import PlanDate
from mo_app.events import services
from mo_app.extensions import db

from .conftest import without_csrf
from .events_helpers import count_queries, future_day, today


def _get(client, url="/events"):
    with count_queries() as seen:
        r = client.get(url)
    assert r.status_code == 200
    return without_csrf(r.get_data(as_text=True)), len(seen)


def _row(html: str, event_id: int) -> str:
    start = html.index(f'id="event-{event_id}"')
    return html[start:html.index("</tr>", start)]


def _world(f):
    year = f.year(2026)
    school = f.school()
    ann, bob = f.librarian(school, last_name="Аннина"), f.librarian(school, last_name="Бобова")
    ev = f.event(year=year, title="Семинар о чтении", capacity=2, when=PlanDate("day", future_day()))
    return ev, ann, bob


def test_repeat_view_reads_less_and_shows_the_same(app, client, f, login_as):
    ev, ann, _ = _world(f)
    login_as(ann)
    first, n_first = _get(client)
    again, n_again = _get(client)
    assert again == first and "Семинар о чтении" in again
    assert n_again < n_first  # the list and its seats come from the cache


def test_another_librarians_sign_up_is_seen_at_once(app, client, f, login_as):
    ev, ann, bob = _world(f)
    login_as(ann)
    assert "осталось 2 места из 2" in _row(_get(client)[0], ev.id)
    f.registration(ev, bob)  # committed, as another librarian's sign-up would be
    assert "осталось 1 место из 2" in _row(_get(client)[0], ev.id)


def test_own_state_is_not_shared_between_librarians(app, client, f, login_as):
    ev, ann, bob = _world(f)
    f.registration(ev, ann)
    login_as(ann)
    mine = _row(_get(client)[0], ev.id)
    assert 'data-state="registered"' in mine and "Отменить запись" in mine
    login_as(bob)
    theirs = _row(_get(client)[0], ev.id)
    assert 'data-state="registered"' not in theirs and "Записаться" in theirs
    login_as(ann)
    assert 'data-state="registered"' in _row(_get(client)[0], ev.id)


def test_waiting_place_is_each_librarians_own(app, client, f, login_as):
    ev, ann, bob = _world(f)
    f.registration(ev, f.librarian())
    f.registration(ev, f.librarian())  # full: 2 of 2
    f.registration(ev, ann, status="waiting")
    f.registration(ev, bob, status="waiting")
    login_as(bob)
    assert "вы 2-я в очереди" in _row(_get(client)[0], ev.id)
    login_as(ann)
    assert "вы 1-я в очереди" in _row(_get(client)[0], ev.id)


def test_mine_filter_is_each_librarians_own(app, client, f, login_as):
    ev, ann, bob = _world(f)
    other = f.event(year=ev.year, title="Курсы для начинающих", kind="course",
                    when=PlanDate("day", future_day(40)))
    f.registration(ev, ann)
    f.registration(other, bob)
    login_as(ann)
    html = _get(client, "/events?mine=1")[0]
    assert "Семинар о чтении" in html and "Курсы для начинающих" not in html
    login_as(bob)
    html = _get(client, "/events?mine=1")[0]
    assert "Курсы для начинающих" in html and "Семинар о чтении" not in html


def test_a_renamed_event_and_a_closed_sign_up_are_seen_next(app, client, f, login_as):
    ev, ann, _ = _world(f)
    login_as(ann)
    _get(client)
    ev.title = "Семинар о чтении летом"
    ev.is_open = False
    db.session.commit()
    row = _row(_get(client)[0], ev.id)
    assert "Семинар о чтении летом" in row and "Запись на это мероприятие закрыта." in row


def test_the_list_of_another_day_is_not_served(app, client, f, login_as, monkeypatch):
    """The kept list holds what depends on the date (past or not, the deadline): tomorrow it is built again."""
    ev, ann, _ = _world(f)
    ev.signup_deadline = today()
    db.session.commit()
    login_as(ann)
    assert "Записаться" in _row(_get(client)[0], ev.id)
    tomorrow = today() + timedelta(days=1)
    monkeypatch.setattr(services, "today", lambda: tomorrow)
    assert "срок записи истёк" in _row(_get(client)[0], ev.id)
