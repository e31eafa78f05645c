"""Sign-up, the waiting list, cancellation with promotion, refusals, notices."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from mo_app.dates import PlanDate
from mo_app.events import services
from mo_app.extensions import db
from mo_app.models import Notice, Registration

from .conftest import htmx
from .events_helpers import coming_event, counts, future_day, past_day, status_of, today


def _page(client, url):
    r = client.get(url)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_sign_up_in_place_updates_button_and_counter(client, f, login_as):
    ev = coming_event(f, capacity=20)
    me = f.librarian()
    login_as(me)
    assert "осталось 20 мест из 20" in _page(client, f"/events/{ev.id}")
    r = client.post(f"/events/{ev.id}/register", headers=htmx())
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body
    assert "Вы записаны" in body and "Отменить запись" in body and "осталось 19 мест из 20" in body
    assert status_of(ev.id, me.id) == "registered"
    r = client.post(f"/events/{ev.id}/cancel", headers=htmx())
    body = r.get_data(as_text=True)
    assert "Записаться" in body and "осталось 20 мест из 20" in body
    assert status_of(ev.id, me.id) == "cancelled"


def test_sign_up_without_htmx_redirects_with_a_message(client, f, login_as):
    ev = coming_event(f)
    login_as(f.librarian())
    r = client.post(f"/events/{ev.id}/register")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/events/{ev.id}")
    assert "Вы записаны." in client.get(r.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("n,text", [(1, "осталось 1 место из 5"), (3, "осталось 3 места из 5"),
                                    (0, "осталось 5 мест из 5")])
def test_seats_plurals(client, f, login_as, n, text):
    ev = coming_event(f, capacity=5)
    for _ in range(5 - n if n else 0):
        f.registration(ev, f.librarian())
    login_as(f.librarian())
    assert text in _page(client, "/events")


def test_full_event_offers_waiting_list_and_shows_position(client, f, login_as):
    ev = coming_event(f, capacity=1)
    f.registration(ev, f.librarian())
    first_waiting = f.librarian()
    services.register(ev.id, first_waiting.id)
    me = f.librarian()
    login_as(me)
    page = _page(client, f"/events/{ev.id}")
    assert "Мест нет (1 из 1)" in page and "Встать в лист ожидания" in page
    body = client.post(f"/events/{ev.id}/register", headers=htmx()).get_data(as_text=True)
    assert "вы 2-я в очереди" in body
    assert status_of(ev.id, me.id) == "waiting"
    assert "вы 2-я в очереди" in _page(client, "/my/events")


def test_cancel_promotes_first_waiting_who_sees_a_notice(client, f, login_as):
    ev = coming_event(f, capacity=2)
    a, b, c, d = (f.librarian() for _ in range(4))
    for u in (a, b, c, d):
        services.register(ev.id, u.id)
    assert counts(ev.id) == {"registered": 2, "waiting": 2}
    promoted = services.cancel(ev.id, a.id)
    assert [p.user_id for p in promoted] == [c.id]
    assert status_of(ev.id, c.id) == "registered" and status_of(ev.id, d.id) == "waiting"
    notice = db.session.scalar(db.select(Notice).where(Notice.user_id == c.id))
    assert notice.kind == "promoted" and "вы записаны" in notice.text

    login_as(c)
    page = client.get("/events").get_data(as_text=True)
    assert "Освободилось место" in page
    # Shown once on the next page, then kept in «Мои мероприятия» as read.
    assert "Освободилось место" not in client.get("/events").get_data(as_text=True)
    mine = client.get("/my/events").get_data(as_text=True)
    assert "Освободилось место" in mine and "(из листа ожидания)" in mine


def test_refused_after_deadline(client, f, login_as):
    ev = coming_event(f, signup_deadline=today() - timedelta(days=1))
    me = f.librarian()
    login_as(me)
    r = client.post(f"/events/{ev.id}/register", headers=htmx())
    assert r.status_code == 409 and "срок записи истёк" in r.get_data(as_text=True)
    assert status_of(ev.id, me.id) is None


@pytest.mark.parametrize("setup,message", [
    (dict(when=PlanDate("day", past_day())), "Мероприятие уже прошло"),
    (dict(when=PlanDate.month(past_day(60).year, past_day(60).month)), "Мероприятие уже прошло"),
    (dict(status="cancelled"), "Мероприятие отменено"),
    (dict(is_open=False), "Запись на это мероприятие закрыта"),
])
def test_refused_for_past_cancelled_or_closed(client, f, login_as, setup, message):
    ev = coming_event(f, **setup) if "when" not in setup else f.event(**setup)
    me = f.librarian()
    login_as(me)
    page = _page(client, f"/events/{ev.id}")
    assert message in page
    if "when" in setup:  # a past event's status says so, not that sign-up is open
        assert "<dd>Прошло</dd>" in page and "запись открыта" not in page
    r = client.post(f"/events/{ev.id}/register", headers=htmx())
    assert r.status_code == 409 and message in r.get_data(as_text=True)
    assert status_of(ev.id, me.id) is None


def test_refused_twice_and_unique_constraint_holds(client, f, login_as):
    ev = coming_event(f)
    me = f.librarian()
    login_as(me)
    assert client.post(f"/events/{ev.id}/register", headers=htmx()).status_code == 200
    r = client.post(f"/events/{ev.id}/register", headers=htmx())
    assert r.status_code == 409 and "Вы уже записаны" in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 1
    db.session.add(Registration(event_id=ev.id, user_id=me.id, status="registered"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_month_only_event_sign_up_and_day_set_later_notifies(client, f, login_as):
    d = future_day(60)
    ev = f.event(when=PlanDate.month(d.year, d.month))
    me = f.librarian()
    login_as(me)
    page = _page(client, f"/events/{ev.id}")
    assert "Точный день будет объявлен" in page
    assert client.post(f"/events/{ev.id}/register", headers=htmx()).status_code == 200
    data = {"kind": "seminar", "title": ev.title, "date_kind": "day", "day": d.replace(day=15).isoformat(),
            "goal_id": "0", "venue_id": "0", "is_open": "y"}
    login_as(f.methodologist())
    r = client.post(f"/events/{ev.id}/edit", data=data)
    assert r.status_code == 303
    login_as(me)
    page = _page(client, "/my/events")
    assert "новая дата" in page and str(d.replace(day=15).day) in page


def test_self_cancel_only_until_deadline_then_methodologist(client, f, login_as):
    ev = coming_event(f, signup_deadline=today() - timedelta(days=1))
    me = f.librarian()
    f.registration(ev, me)
    login_as(me)
    page = _page(client, f"/events/{ev.id}")
    assert "Вы записаны" in page and "Отменить запись" not in page
    r = client.post(f"/events/{ev.id}/cancel", headers=htmx())
    assert r.status_code == 409 and "только методист" in r.get_data(as_text=True)
    assert status_of(ev.id, me.id) == "registered"
    reg = db.session.scalar(db.select(Registration).where(Registration.user_id == me.id))
    login_as(f.methodologist())
    assert client.post(f"/events/{ev.id}/participants/{reg.id}/remove").status_code == 303
    assert status_of(ev.id, me.id) == "cancelled"


def test_sign_up_again_after_cancel_goes_to_end_of_queue(app, f):
    ev = coming_event(f, capacity=1)
    a, b, c = f.librarian(), f.librarian(), f.librarian()
    for u in (a, b, c):
        services.register(ev.id, u.id)
    services.cancel(ev.id, b.id)
    services.register(ev.id, b.id)
    states = services.my_states(b, [ev.id])
    assert states[ev.id].position == 2


def test_librarian_cannot_cancel_someone_else(client, f, login_as):
    ev = coming_event(f)
    other = f.librarian()
    reg = f.registration(ev, other)
    login_as(f.librarian())
    assert client.post(f"/events/{ev.id}/cancel").status_code == 404
    assert client.post(f"/events/{ev.id}/participants/{reg.id}/remove").status_code == 403
    assert status_of(ev.id, other.id) == "registered"


def test_methodologist_cannot_sign_up_for_themself(client, f, login_as):
    ev = coming_event(f)
    login_as(f.methodologist())
    assert client.post(f"/events/{ev.id}/register").status_code == 403


def test_unknown_event_is_404(client, f, login_as):
    login_as(f.librarian())
    assert client.get("/events/999").status_code == 404
    assert client.post("/events/999/register").status_code == 404
    f.year()
    assert client.get("/events?month=garbage&goal=x&kind=<b>").status_code == 200
