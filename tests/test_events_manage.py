"""The methodologist: create, edit, duplicate, cancel events; participants; attendance; consultations."""

from datetime import date

from mo_app.dates import PlanDate
from mo_app.events import services
from mo_app.extensions import db
from mo_app.models import ConsultationRequest, Event, Notice, Registration

from .conftest import htmx
from .events_helpers import coming_event, counts, future_day, past_day, status_of


def _form(**kw):
    data = {"kind": "seminar", "title": "Новый семинар", "goal_id": "0", "venue_id": "0", "date_kind": "month",
            "month_start": "2027-03", "capacity": "", "signup_deadline": "", "is_open": "y", "description": ""}
    data.update(kw)
    return data


def test_create_event_with_month_date_and_unlimited_seats(client, f, login_as):
    year = f.year(2026)
    goal = f.goal(year)
    login_as(f.methodologist())
    assert client.get("/events/new").status_code == 200
    r = client.post("/events/new", data=_form(goal_id=str(goal.id)))
    assert r.status_code == 303
    ev = db.session.scalar(db.select(Event).where(Event.title == "Новый семинар"))
    assert ev.plan_date.text() == "март 2027" and ev.capacity is None and ev.goal_id == goal.id
    assert "без ограничения мест" in client.get(f"/events/{ev.id}").get_data(as_text=True)


def test_form_errors_are_russian_422_and_nothing_saved(client, f, login_as):
    f.year(2026)
    login_as(f.methodologist())
    r = client.post("/events/new", data=_form(title="", date_kind="datetime", day="", capacity="0"))
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    for msg in ("Введите тему мероприятия.", "Укажите день.", "Укажите время.", "Число мест — от 1 до 10000."):
        assert msg in body
    r = client.post("/events/new", data=_form(capacity="много", date_kind="span", month_start="2027-03",
                                              month_end="2027-01"))
    body = r.get_data(as_text=True)
    assert "Введите целое число." in body and "Последний месяц должен быть позже первого." in body
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 0


def test_inline_validation_returns_the_field_error(client, f, login_as):
    f.year(2026)
    login_as(f.methodologist())
    r = client.post("/events/validate", data=_form(capacity="-3"), headers=htmx(**{"HX-Trigger-Name": "capacity"}))
    assert r.status_code == 200 and r.get_data(as_text=True).strip() == "Число мест — от 1 до 10000."
    r = client.post("/events/validate", data=_form(capacity="12"), headers=htmx(**{"HX-Trigger-Name": "capacity"}))
    assert r.get_data(as_text=True).strip() == ""


def test_lowering_capacity_below_registered_is_refused(client, f, login_as):
    ev = coming_event(f, capacity=5)
    for _ in range(3):
        f.registration(ev, f.librarian())
    login_as(f.methodologist())
    data = _form(title=ev.title, date_kind="day", day=ev.date_start.isoformat(), capacity="2")
    r = client.post(f"/events/{ev.id}/edit", data=data)
    assert r.status_code == 422
    assert "Уже записано 3" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, ev.id).capacity == 5


def test_raising_capacity_promotes_the_waiting_list(client, f, login_as):
    ev = coming_event(f, capacity=1)
    a, b = f.librarian(), f.librarian()
    services.register(ev.id, a.id)
    services.register(ev.id, b.id)
    login_as(f.methodologist())
    data = _form(title=ev.title, date_kind="day", day=ev.date_start.isoformat(), capacity="2")
    assert client.post(f"/events/{ev.id}/edit", data=data).status_code == 303
    assert status_of(ev.id, b.id) == "registered"


def test_duplicate_copies_without_participants(client, f, login_as):
    ev = coming_event(f, capacity=7)
    f.registration(ev, f.librarian())
    login_as(f.methodologist())
    r = client.post(f"/events/{ev.id}/duplicate")
    assert r.status_code == 303 and r.headers["Location"].endswith("/edit")
    copy = db.session.scalar(db.select(Event).where(Event.id != ev.id))
    assert copy.title.endswith("(копия)") and copy.capacity == 7 and not copy.is_open
    assert counts(copy.id) == {}


def test_cancel_event_notifies_and_keeps_registrations(client, f, login_as):
    ev = coming_event(f)
    a, b = f.librarian(), f.librarian()
    f.registration(ev, a)
    f.registration(ev, b, status="waiting")
    login_as(f.methodologist())
    assert client.get(f"/events/{ev.id}/cancel-event").status_code == 200
    r = client.post(f"/events/{ev.id}/cancel-event", data={"reason": "Болезнь лектора"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, ev.id).status == "cancelled"
    assert counts(ev.id) == {"registered": 1, "waiting": 1}
    texts = db.session.scalars(db.select(Notice.text).where(Notice.kind == "cancelled")).all()
    assert len(texts) == 2 and all("отменено" in t and "Болезнь лектора" in t for t in texts)
    login_as(a)
    page = client.get("/my/events").get_data(as_text=True)
    assert "Болезнь лектора" in page and "отменено" in page


def test_add_several_librarians_search_and_beginners(client, f, login_as):
    ev = coming_event(f, capacity=2)
    school = f.school("470", short_name="ГБОУ №470")
    beginners = [f.librarian(school, last_name=n, is_beginner=True) for n in ("Патракова", "Удачина", "Ефремова")]
    f.librarian(last_name="Опытная")
    login_as(f.methodologist())
    r = client.get(f"/events/{ev.id}/participants/search?q=470", headers=htmx())
    body = r.get_data(as_text=True)
    assert "<html" not in body and "Патракова" in body and "Опытная" not in body
    body = client.get(f"/events/{ev.id}/participants/search?beginners=1", headers=htmx()).get_data(as_text=True)
    assert all(b.last_name in body for b in beginners) and "Опытная" not in body
    r = client.post(f"/events/{ev.id}/participants/add", data={"user_id": [str(b.id) for b in beginners]},
                    headers=htmx())
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Записано: 2, в лист ожидания: 1." in body
    assert counts(ev.id) == {"registered": 2, "waiting": 1}
    reg = db.session.scalar(db.select(Registration).where(Registration.status == "waiting"))
    assert reg.added_by_id is not None
    r = client.post(f"/events/{ev.id}/participants/{reg.id}/move-up", headers=htmx())
    assert r.status_code == 200 and counts(ev.id) == {"registered": 3}


def test_attendance_one_click_all_present_and_walk_in(client, f, login_as):
    ev = f.event(when=PlanDate("day", past_day(2)))
    a, b, c = f.librarian(last_name="Алова"), f.librarian(last_name="Бекова"), f.librarian(last_name="Вечнова")
    ra = f.registration(ev, a)
    f.registration(ev, b)
    login_as(f.methodologist())
    page = client.get(f"/events/{ev.id}/participants").get_data(as_text=True)
    assert "Алова" in page and "Отметить всех присутствующими" in page
    r = client.post(f"/events/{ev.id}/attendance/{ra.id}", data={"value": "excused", "n": "1"}, headers=htmx())
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.strip().startswith("<tr") and 'aria-pressed="true"' in body
    bogus = client.post(f"/events/{ev.id}/attendance/{ra.id}", data={"value": "bogus"}, headers=htmx())
    assert bogus.status_code == 422
    client.post(f"/events/{ev.id}/attendance/all-present", headers=htmx())
    db.session.expire_all()
    marks = dict(db.session.execute(db.select(Registration.user_id, Registration.attendance)).all())
    assert marks == {a.id: "excused", b.id: "present"}
    assert client.post(f"/events/{ev.id}/walk-in", data={"user_id": str(c.id)}).status_code == 303
    reg = db.session.scalar(db.select(Registration).where(Registration.user_id == c.id))
    assert reg.is_walk_in and reg.attendance == "present" and reg.status == "registered"
    login_as(a)
    assert "уважительная причина" in client.get("/my/events").get_data(as_text=True)


def test_consultation_request_and_its_handling(client, f, login_as):
    year = f.year(2026)
    topic = f.event(year, kind="individual_consultation", title="Формирование фонда: списание")
    me = f.librarian()
    login_as(me)
    r = client.post("/consultations/new", data={"topic_event_id": "0", "topic": "", "preferred_dates": ""})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Выберите тему из плана или напишите свою." in body and "Укажите удобные даты." in body
    r = client.post("/consultations/new", data={"topic_event_id": str(topic.id), "preferred_dates": "вторники"})
    assert r.status_code == 303
    req = db.session.scalar(db.select(ConsultationRequest))
    assert req.topic == "Формирование фонда: списание" and req.status == "new"
    assert "Новая" in client.get("/consultations").get_data(as_text=True)
    login_as(f.methodologist())
    r = client.post(f"/consultations/{req.id}", data={"action": "schedule", "scheduled_date": "2026-12-08",
                                                      "scheduled_time": "15:00", "place": "ИМЦ, каб. 12"})
    assert r.status_code == 303
    login_as(me)
    page = client.get("/consultations").get_data(as_text=True)
    assert "Назначена" in page and "8 декабря 2026" in page and "ИМЦ, каб. 12" in page
    assert "назначена" in client.get("/events").get_data(as_text=True)


def test_calendar_month_view(client, f, login_as):
    f.event(when=date(2026, 12, 9), title="Декабрьский семинар")
    f.event(when=PlanDate.month(2026, 12), title="Где-то в декабре")
    login_as(f.librarian())
    page = client.get("/events/calendar?month=2026-12").get_data(as_text=True)
    assert "Декабрь 2026" in page and "Декабрьский семинар" in page and "В течение месяца" in page
    assert "Где-то в декабре" in page
    assert client.get("/events/calendar?month=2026-13").status_code == 200
    assert future_day(1) > date(2000, 1, 1)
