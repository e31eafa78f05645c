"""Bad input gets a clear answer, never a 500 and never a bad row (issue #13, §4).

- The query parameters every area reads (web.py): `month` far out of range, `page` below 1 or past the end,
  a malformed or unknown `year`, and `next` with CR/LF, TAB, a backslash, another host, percent-encoded or not.
- Dates: an event's, a visit's and a consultation's day lies in its school year (1 September – 31 August), else
  422 with «Дата вне 2026–2027 учебного года» beside the field and nothing stored; typed «17.12.2026» and ISO
  «2026-12-17» are both accepted; the .ics files hold any stored date.
- The CSV import of librarians checks every field against its column before writing: a refused row writes
  nothing and says why; a row is created only together with its temporary password in the report.
- Every form's text fields are no longer than their model columns.
- An accepted best-practice entry's files are changed by the methodologist only.

Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL): PostgreSQL refuses an over-long VARCHAR, SQLite stores it.
"""

from __future__ import annotations

import io
import re
from datetime import date, time
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import String, text

from mo_app.dates import DAY, PlanDate
from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    BestPracticeFile,
    ConsultationRequest,
    Event,
    Registration,
    User,
    Visit,
    VisitDateChange,
)
from mo_app.web import is_safe_next, referrer_target

from .conftest import htmx
from .factories import PASSWORD
from .people_helpers import csv_bytes, upload

OUTSIDE = "Дата вне 2026–2027 учебного года"


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


# ---------------------------------------------------------------- month, page, year


@pytest.fixture
def calendar_year(f):
    year = f.year(2026)
    f.event(year, title="Сентябрьский семинар", when=date(2026, 9, 15))
    f.event(year, title="Августовский семинар", when=date(2027, 8, 20))
    return year


def test_calendar_month_far_out_shows_the_nearest_month_of_the_year(client, f, login_as, calendar_year):
    login_as(f.librarian())
    late = client.get("/events/calendar?month=9999-12")
    text = late.get_data(as_text=True)
    assert late.status_code == 200
    assert "<h1>Август 2027</h1>" in text and "Августовский семинар" in text
    assert "следующий →" not in text and "← предыдущий" in text  # no plan for 2027–2028 yet
    early = client.get("/events/calendar?month=0001-01")
    text = early.get_data(as_text=True)
    assert early.status_code == 200
    assert "<h1>Сентябрь 2026</h1>" in text and "Сентябрьский семинар" in text
    assert "← предыдущий" not in text and "следующий →" in text
    typed = client.get("/events/calendar?month=08.2027").get_data(as_text=True)
    assert "<h1>Август 2027</h1>" in typed
    assert client.get("/events/calendar?month=2026-13").status_code == 200


def test_calendar_month_of_another_planned_year_opens_that_year(client, f, login_as, calendar_year):
    f.event(f.year(2027, current=False), title="Семинар следующего года", when=date(2027, 9, 10))
    login_as(f.librarian())
    text = client.get("/events/calendar?month=2027-09").get_data(as_text=True)
    assert "<h1>Сентябрь 2027</h1>" in text and "Семинар следующего года" in text


def test_events_list_month_far_out_is_the_nearest_month(client, f, login_as, calendar_year):
    login_as(f.librarian())
    for month, shown, hidden, selected in (("9999-12", "Августовский", "Сентябрьский", "2027-08"),
                                           ("0001-01", "Сентябрьский", "Августовский", "2026-09")):
        r = client.get(f"/events?month={month}")
        text = r.get_data(as_text=True)
        assert r.status_code == 200, month
        assert shown in text and hidden not in text, month
        assert f'<option value="{selected}" selected>' in text, month


def test_visits_list_month_far_out_is_the_nearest_month(client, f, login_as):
    year = f.year(2026)
    school = f.school()
    f.visit(school, year, when=PlanDate.month(2027, 8))
    f.visit(school, year, when=PlanDate.month(2026, 9))
    f.visit(school, year, when=PlanDate.month(2026, 12))
    login_as(f.methodologist())
    for month, selected in (("9999-12", "2027-08"), ("0001-01", "2026-09")):
        r = client.get(f"/visits/list?month={month}")
        text = r.get_data(as_text=True)
        assert r.status_code == 200, month
        assert f'<option value="{selected}" selected>' in text
        assert text.count("<tr>") - 1 == 1, month  # the one visit of that month


def test_page_below_one_is_the_first_and_past_the_end_the_last(client, f, login_as):
    school = f.school()
    for i in range(55):
        f.librarian(school, last_name=f"Библиотекарева{i:02d}")
    login_as(f.methodologist())
    for page, shown in (("-1", 1), ("0", 1), ("abc", 1), ("2", 2), ("999", 2), (str(10**30), 2)):
        r = client.get(f"/users?page={page}")
        assert r.status_code == 200, page
        assert f"страница {shown} из 2" in r.get_data(as_text=True), page
    last = client.get("/users?page=999").get_data(as_text=True)
    assert "Библиотекарева54" in last  # the last page's rows, not an empty list


def test_year_malformed_is_400_and_unknown_404_with_a_message(client, f, login_as):
    f.year(2026)
    login_as(f.methodologist())
    for url in ("/events", "/visits", "/visits/list", "/plan", "/results", "/best-practice", "/events/calendar",
                "/consultations", "/visits/new", "/events/new"):
        bad = client.get(url, query_string={"year": "20x6"})
        assert bad.status_code == 400, url
        assert "Учебный год в адресе указан неверно" in bad.get_data(as_text=True), url
        missing = client.get(url, query_string={"year": "1999"})
        assert missing.status_code == 404, url
        assert "Плана на 1999–2000 учебный год нет" in missing.get_data(as_text=True), url


def test_query_dates_take_both_forms_and_refuse_nonsense(client, f, login_as):
    f.year(2026)
    login_as(f.methodologist())
    assert client.get("/visits/register.xlsx?from=01.09.2026&to=2027-08-31").status_code == 200
    bad = client.get("/visits/register.xlsx?from=31.02.2026")
    assert bad.status_code == 400 and "нужно ДД.ММ.ГГГГ" in bad.get_data(as_text=True)


# ---------------------------------------------------------------- next: one safe-redirect rule

EVIL_NEXT = [
    "/events\r\nSet-Cookie: a=b",  # CR/LF: a second header
    "/events\nX: y",
    "/events%0d%0aSet-Cookie:%20a=b",  # the same, percent-encoded
    "/\t/evil.example",  # browsers drop TAB: //evil.example
    "/%09/evil.example",
    "//evil.example/",
    "/%2F%2Fevil.example/",
    "/%2f/evil.example/",
    "/\\evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "events",
    "/" + "x" * 3000,
]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_only_local_paths_are_safe(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/events?month=2026-12&page=2", "/events/12#signup", "/visits/%D0%B0"])
def test_local_paths_are_safe(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_with_a_hostile_next_goes_home(client, f, target):
    f.librarian(login="petrova")
    r = client.post("/login", query_string={"next": target}, data={"login": "petrova", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_login_with_a_local_next_goes_there(client, f):
    f.librarian(login="petrova")
    r = client.post("/login", query_string={"next": "/events?month=2026-12"},
                    data={"login": "petrova", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/events?month=2026-12"


@pytest.mark.parametrize("target", ["/events\r\nSet-Cookie: a=b", "/%0d%0aX: y", "//evil.example/", "/\\evil"])
def test_sign_up_with_a_hostile_next_is_saved_and_goes_to_the_event(client, f, login_as, target):
    event = f.event(f.year(2026), capacity=5, when=date(2027, 5, 20))
    me = f.librarian()
    login_as(me)
    r = client.post(f"/events/{event.id}/register", data={"next": target})
    assert r.status_code == 303 and r.headers["Location"] == f"/events/{event.id}"
    reg = db.session.scalar(db.select(Registration).where(Registration.event_id == event.id))
    assert reg is not None and reg.user_id == me.id and reg.status == "registered"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Вы записаны." in page


def test_sign_up_with_a_local_next_goes_back_there(client, f, login_as):
    event = f.event(f.year(2026), capacity=5, when=date(2027, 5, 20))
    login_as(f.librarian())
    r = client.post(f"/events/{event.id}/register", data={"next": "/events?month=2027-05"})
    assert r.status_code == 303 and r.headers["Location"] == "/events?month=2027-05"


def test_back_to_the_referring_page_only_on_this_site(app):
    cases = [("http://localhost/recommendations?page=2", "/recommendations?page=2"),
             ("http://evil.example/recommendations", "/default"),
             ("http://localhost//evil.example/", "/default"),
             ("http://localhost/a%0d%0aX:%20y", "/default"),
             ("", "/default")]
    for referrer, expected in cases:
        with app.test_request_context("/", headers={"Referer": referrer} if referrer else {}):
            assert referrer_target("/default") == expected, referrer


# ---------------------------------------------------------------- visits: dates in their school year


@pytest.fixture
def visits_world(f):
    year = f.year(2026)
    school = f.school()
    purpose = f.purpose(year)
    return year, school, purpose


def _visit_dates() -> list[tuple]:
    return list(db.session.execute(db.select(Visit.date_kind, Visit.date_start).order_by(Visit.id)))


@pytest.mark.parametrize("day", ["10.02.2025", "2025-02-10", "01.09.2027", "31.08.2026", "9999-12-31"])
def test_planning_a_visit_outside_its_year_is_refused_and_nothing_stored(client, f, login_as, visits_world, day):
    _, school, purpose = visits_world
    login_as(f.methodologist())
    r = client.post("/visits/new", data={"school": school.id, "purposes": purpose.id, "month": "", "day": day})
    assert r.status_code == 422 and OUTSIDE in r.get_data(as_text=True)
    cell = client.post("/visits/plan-cell", headers=htmx(),
                       data={"school": school.id, "purpose": purpose.id, "month": "", "day": day})
    assert cell.status_code == 422 and OUTSIDE in cell.get_data(as_text=True)
    assert count(Visit) == 0


@pytest.mark.parametrize(("day", "stored"), [("17.12.2026", date(2026, 12, 17)), ("2026-12-17", date(2026, 12, 17)),
                                             ("1.9.2026", date(2026, 9, 1)), ("31.08.2027", date(2027, 8, 31))])
def test_a_visit_day_is_typed_in_russian_or_sent_as_iso(client, f, login_as, visits_world, day, stored):
    _, school, purpose = visits_world
    login_as(f.methodologist())
    r = client.post("/visits/new", data={"school": school.id, "purposes": purpose.id, "month": "", "day": day})
    assert r.status_code == 303
    assert _visit_dates() == [(DAY, stored)]


def test_changing_postponing_or_holding_a_visit_outside_its_year_changes_nothing(client, f, login_as, visits_world):
    year, school, _ = visits_world
    visit = f.visit(school, year, when=PlanDate.month(2027, 3))
    login_as(f.methodologist())
    attempts = [
        (f"/visits/{visit.id}/date", {"month": "", "day": "10.02.2025", "reason": ""}),
        (f"/visits/{visit.id}/date", {"month": "", "day": "2027-09-01", "reason": "Ремонт", "postpone": "y"}),
        (f"/visits/{visit.id}/held", {"day": "20.03.2028"}),
    ]
    for url, data in attempts:
        r = client.post(url, data=data)
        text = r.get_data(as_text=True)
        assert r.status_code == 422 and OUTSIDE in text, url
        assert re.search(r'class="field-error"[^>]*>[^<]*' + OUTSIDE, text), url  # beside the field
    db.session.refresh(visit)
    assert (visit.status, visit.date_kind, visit.date_start) == ("planned", "month", date(2027, 3, 1))
    assert count(VisitDateChange) == 0 and visit.report is None
    r = client.post(f"/visits/{visit.id}/date", data={"month": "", "day": "17.12.2026", "reason": "Ремонт",
                                                       "postpone": "y"})
    assert r.status_code == 303
    db.session.refresh(visit)
    assert (visit.status, visit.date_start) == ("postponed", date(2026, 12, 17))
    r = client.post(f"/visits/{visit.id}/held", data={"day": "18.12.2026"})
    assert r.status_code == 303
    db.session.refresh(visit)
    assert (visit.status, visit.date_start) == ("held", date(2026, 12, 18))


# ---------------------------------------------------------------- events: dates in their school year


def _event_form(**fields) -> dict:
    data = {"kind": "seminar", "title": "Семинар о каталогах", "description": "", "date_kind": "day", "day": "",
            "capacity": "25", "is_open": "y", "goal_id": "0", "venue_id": "0"}
    data.update(fields)
    return data


BAD_EVENT_DATES = [
    {"day": "20.03.2028"},
    {"day": "2028-03-20"},
    {"day": "9999-12-31"},
    {"day": "31.12.9999"},
    {"day": "31.08.2026"},
    {"date_kind": "datetime", "day": "01.09.2027", "at": "10:00"},
    {"date_kind": "month", "month_start": "2028-03"},
    {"date_kind": "month", "month_start": "9999-12"},
    {"date_kind": "span", "month_start": "2027-05", "month_end": "2027-09"},
    {"day": "10.12.2026", "signup_deadline": "31.08.2026"},
]


@pytest.mark.parametrize("fields", BAD_EVENT_DATES, ids=lambda d: "-".join(d.values()))
def test_an_event_dated_outside_its_year_is_refused_and_nothing_stored(client, f, login_as, fields):
    year = f.year(2026)
    event = f.event(year, title="Было", when=date(2027, 2, 10))
    login_as(f.methodologist())
    r = client.post("/events/new", data=_event_form(**fields))
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and OUTSIDE in text
    assert re.search(r'class="field-error"[^>]*>[^<]*' + OUTSIDE, text)  # beside the field
    assert count(Event) == 1
    r = client.post(f"/events/{event.id}/edit", data=_event_form(**fields))
    assert r.status_code == 422 and OUTSIDE in r.get_data(as_text=True)
    db.session.refresh(event)
    assert (event.title, event.plan_date) == ("Было", PlanDate(DAY, date(2027, 2, 10)))


def test_inline_validation_names_the_school_year(client, f, login_as):
    f.year(2026)
    login_as(f.methodologist())
    r = client.post("/events/validate?field=day", data=_event_form(day="20.03.2028"))
    assert OUTSIDE in r.get_data(as_text=True)


@pytest.mark.parametrize("day", ["17.12.2026", "2026-12-17"])
def test_an_event_day_is_typed_in_russian_or_sent_as_iso(client, f, login_as, day):
    f.year(2026)
    login_as(f.methodologist())
    r = client.post("/events/new", data=_event_form(day=day, signup_deadline="10.12.2026"))
    assert r.status_code == 303
    event = db.session.scalar(db.select(Event))
    assert (event.plan_date, event.signup_deadline) == (PlanDate(DAY, date(2026, 12, 17)), date(2026, 12, 10))
    form = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="day"[^>]*type="date"[^>]*value="2026-12-17"', form) or \
        re.search(r'<input[^>]*type="date"[^>]*name="day"[^>]*value="2026-12-17"', form)
    assert 'min="2026-09-01"' in form and 'max="2027-08-31"' in form


def test_a_typed_date_that_does_not_parse_keeps_what_was_typed_with_a_russian_message(client, f, login_as):
    f.year(2026)
    login_as(f.methodologist())
    r = client.post("/events/new", data=_event_form(day="31.02.2027"))
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "Введите дату в формате ДД.ММ.ГГГГ" in text and "31.02.2027" in text
    assert count(Event) == 0


def test_a_consultation_is_scheduled_inside_its_year(client, f, login_as):
    year = f.year(2026)
    lib = f.librarian()
    req = ConsultationRequest(year_id=year.id, user_id=lib.id, topic="Списание")
    db.session.add(req)
    db.session.commit()
    login_as(f.methodologist())
    r = client.post(f"/consultations/{req.id}", data={"action": "schedule", "scheduled_date": "20.03.2028",
                                                      "place": "Кабинет 5"})
    assert r.status_code == 303
    assert OUTSIDE in client.get(r.headers["Location"]).get_data(as_text=True)
    db.session.refresh(req)
    assert (req.status, req.scheduled_date) == ("new", None)
    r = client.post(f"/consultations/{req.id}", data={"action": "schedule", "scheduled_date": "17.12.2026",
                                                      "place": "Кабинет 5"})
    db.session.refresh(req)
    assert (req.status, req.scheduled_date) == ("scheduled", date(2026, 12, 17))


def test_calendar_files_hold_any_stored_date(client, f, login_as):
    """Dates stored before these checks (or by hand) still give a calendar: an all-day event on the last day a
    date can hold has no end (one day, RFC 5545), not a 404."""
    year = f.year(2026)
    last_day = f.event(year, title="Последний день", when=date(9999, 12, 31))
    last_month = f.event(year, title="Последний месяц", when=PlanDate.month(9999, 12))
    late_evening = f.event(year, title="Поздний вечер", when=PlanDate("datetime", date(9999, 12, 31), at=time(23, 30)))
    whole_year = f.event(year, title="Весь год", when=PlanDate("year", date(9999, 9, 1)))
    me = f.librarian()
    token = me.new_calendar_token()
    db.session.commit()
    for event in (last_day, last_month, late_evening, whole_year):
        f.registration(event, me)
    login_as(me)
    for event, start in ((last_day, "DTSTART;VALUE=DATE:99991231"),
                         (late_evening, "DTSTART;TZID=Europe/Moscow:99991231T233000")):
        r = client.get(f"/events/{event.id}.ics")
        assert r.status_code == 200 and r.mimetype == "text/calendar", event.title
        assert start in r.get_data(as_text=True), event.title
    for event in (last_month, whole_year):  # no day yet: out of calendars (events/ics.event_span)
        assert client.get(f"/events/{event.id}.ics").status_code == 404
    feed = client.get(f"/calendar/{token}.ics")
    body = feed.get_data(as_text=True)
    assert feed.status_code == 200 and body.count("BEGIN:VEVENT") == 2
    assert client.get("/events/calendar?month=9999-12").status_code == 200
    assert client.get("/my/events").status_code == 200


# ---------------------------------------------------------------- CSV import of librarians

HEADER = ["ФИО", "Школа", "Логин", "E-mail"]
LONG_EMAIL = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 15 + ".ru"  # 201 characters, well formed


def _report_rows(page: str) -> dict[int, tuple[str, str]]:
    rows = re.findall(r'<tr class="(created|refused)">\s*<td>(\d+)</td>(.*?)</tr>', page, re.S)
    return {int(line): (status, body) for status, line, body in rows}


def _logins() -> set[str]:
    return set(db.session.scalars(db.select(User.login).where(User.role == "librarian")))


def test_import_refuses_over_long_fields_and_creates_the_rest_with_passwords(client, f, login_as):
    assert len(LONG_EMAIL) == 201
    f.school("79")
    login_as(f.methodologist())
    data = csv_bytes([
        HEADER,
        ["Александрова Е.С.", "79", "aleksandrova", "a@school79.ru"],
        ["Ф" * 81 + " Е.С.", "79", "longname", ""],
        ["Голубева Е.Ю.", "79", "golubeva", LONG_EMAIL],
        ["Ж" * 5000 + " А.А.", "79", "hugename", ""],
        ["Удачина " + "О" * 81 + " Андреевна", "79", "longfirst", ""],
        ["Жукова Светлана Андреевна", "79", "zhukova", ""],
    ])
    r = upload(client, data)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Создано: 2" in page and "отклонено: 4" in page
    rows = _report_rows(page)
    reasons = {3: "Фамилия длиннее 80 символов.", 4: "E-mail длиннее 200 символов.",
               5: "Фамилия длиннее 80 символов.", 6: "Имя длиннее 80 символов."}
    for line, reason in reasons.items():
        assert rows[line][0] == "refused" and reason in rows[line][1], line
        assert "temp-password-cell" not in rows[line][1]
    assert _logins() == {"aleksandrova", "zhukova"}  # nothing else in the database
    for line, login in ((2, "aleksandrova"), (7, "zhukova")):
        assert rows[line][0] == "created"
        password = re.search(r'<code class="temp-password-cell">([^<]+)</code>', rows[line][1])[1]
        user = db.session.scalar(db.select(User).where(User.login == login))
        assert user.check_password(password) and user.must_change_password


@pytest.fixture
def refusing_login(app):
    """The database itself refuses an account with the login `boom` (as it would a value it cannot store)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE \"user\" ADD CONSTRAINT test_refuse_boom CHECK (login <> 'boom')"))
    else:
        db.session.execute(text("CREATE TRIGGER test_refuse_boom BEFORE INSERT ON \"user\" "
                                "WHEN NEW.login = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    db.session.commit()
    yield
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE \"user\" DROP CONSTRAINT test_refuse_boom"))
    else:
        db.session.execute(text("DROP TRIGGER test_refuse_boom"))
    db.session.commit()


def test_import_the_database_refuses_creates_nothing_and_says_so(client, f, login_as, refusing_login):
    f.school("79")
    login_as(f.methodologist())
    data = csv_bytes([HEADER, ["Александрова Е.С.", "79", "aleksandrova", ""], ["Бумова Б.Б.", "79", "boom", ""],
                      ["Жукова С.А.", "79", "zhukova", ""]])
    r = upload(client, data)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Создано: 0" in page and "отклонено: 3" in page
    assert "temp-password-cell" not in page
    assert page.count("ни одна строка не создана") == 3
    assert _logins() == set()


# ---------------------------------------------------------------- text fields no longer than their columns


def _forms() -> list[type[FlaskForm]]:
    """Every form class of the app."""
    import mo_app.auth.forms
    import mo_app.events.forms
    import mo_app.people.forms
    import mo_app.plan.forms
    import mo_app.practice.forms
    import mo_app.setup.forms
    import mo_app.visits.forms  # noqa: F401

    out, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("mo_app.") and cls.__module__ != "mo_app.forms":
            out.append(cls)
    return out


#: the models each form writes; fields named as a column of one of them are checked against that column
FORM_MODELS = {
    "events.EventForm": ("Event",), "events.CancelEventForm": ("Event",),
    "events.ConsultationRequestForm": ("ConsultationRequest",),
    "events.ConsultationHandleForm": ("ConsultationRequest",),
    "visits.PlanForm": ("Visit",), "visits.CellPlanForm": ("Visit",), "visits.DateForm": ("VisitDateChange",),
    "visits.HeldForm": ("Visit",), "visits.ReasonForm": ("Visit",), "visits.PurposesForm": ("Visit",),
    "visits.ChecklistForm": ("ChecklistItem",), "visits.DoneForm": ("Recommendation",),
    "visits.ReturnForm": ("Recommendation",),
    "people.OrganizationForm": ("Organization",), "people.UserForm": ("User",), "people.UserCreateForm": ("User",),
    "people.ImportForm": ("User",), "plan.GoalForm": ("Goal",), "plan.PurposeForm": ("VisitPurpose",),
    "plan.NewYearForm": ("SchoolYear",), "practice.ProposalForm": ("BestPractice",),
    "practice.PracticeForm": ("BestPractice",), "practice.AcceptForm": ("BestPractice",),
    "practice.ReturnForm": ("BestPractice",), "practice.UploadForm": ("BestPracticeFile",),
    "auth.LoginForm": ("User",), "auth.PasswordChangeForm": ("User",), "auth.ForgotPasswordForm": ("User",),
    "auth.ResetPasswordForm": ("User",),
    "setup.SetupForm": ("User", "AppSettings"), "setup.SettingsForm": ("AppSettings",),
    "materials.FileMaterialForm": ("EventMaterial",), "materials.LinkMaterialForm": ("EventMaterial",),
    "feedback.FeedbackForm": ("EventFeedback",),
}
#: fields stored in a column of another name
ALIASES = {("events.CancelEventForm", "reason"): "cancel_reason", ("visits.ReasonForm", "reason"): "status_reason",
           ("visits.DoneForm", "comment"): "librarian_comment", ("visits.ReturnForm", "note"): "review_note",
           ("practice.ReturnForm", "comment"): "review_comment",
           # «Забыли пароль?» takes a login or an e-mail, looked up, never stored: the longer of the two columns
           ("auth.ForgotPasswordForm", "login"): "email"}
#: bounded otherwise, in an area this change does not touch: the login's pattern (LOGIN_RE) allows 2–60 characters
BOUNDED_ELSEWHERE = {("setup.SetupForm", "login")}


def test_every_text_field_is_no_longer_than_its_column(app):
    from wtforms import StringField
    from wtforms.validators import Length

    import mo_app.models as models

    checked = 0
    with app.test_request_context():
        for cls in _forms():
            name = f"{cls.__module__.split('.')[1]}.{cls.__name__}"
            assert name in FORM_MODELS, f"{name}: add it to FORM_MODELS in {__name__}"
            tables = [getattr(models, model).__table__ for model in FORM_MODELS[name]]
            form = cls(formdata=None, meta={"csrf": False})
            for field in form:
                if not isinstance(field, StringField) or (name, field.name) in BOUNDED_ELSEWHERE:
                    continue
                column_name = ALIASES.get((name, field.name), field.name)
                for table in tables:
                    column = table.columns.get(column_name)
                    if column is None or not isinstance(column.type, String) or not column.type.length:
                        continue
                    limits = [v.max for v in field.validators if isinstance(v, Length) and v.max != -1]
                    assert limits and min(limits) <= column.type.length, (
                        f"{name}.{field.name}: {limits or 'no Length'} for {table.name}.{column.name} "
                        f"VARCHAR({column.type.length})")
                    checked += 1
    assert checked >= 15


# ---------------------------------------------------------------- best practice: accepted entry's files


@pytest.fixture
def accepted_entry(app, f):
    year = f.year(2026)
    author = f.librarian(last_name="Жукова")
    boss = f.methodologist()
    entry = BestPractice(year_id=year.id, position=1, topic="Буктрейлеры", goals=["интерес к чтению"],
                         author_id=author.id, organization_id=author.organization_id, stage="study",
                         status="accepted")
    db.session.add(entry)
    db.session.flush()
    folder = Path(app.config["UPLOAD_FOLDER"]) / "best_practice"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reviewed.pdf").write_bytes(b"%PDF-1.4 reviewed")
    record = BestPracticeFile(entry_id=entry.id, original_name="Проверено.pdf", stored_name="reviewed.pdf",
                              content_type="application/pdf", size=17, uploaded_by_id=boss.id)
    db.session.add(record)
    db.session.commit()
    return entry, record, author, boss, folder


def test_the_author_of_an_accepted_entry_can_neither_delete_nor_add_files(client, login_as, accepted_entry):
    entry, record, author, _, folder = accepted_entry
    login_as(author)
    page = client.get(f"/best-practice/{entry.id}").get_data(as_text=True)
    assert f"/best-practice/files/{record.id}/delete" not in page and f"/best-practice/{entry.id}/files" not in page
    r = client.post(f"/best-practice/files/{record.id}/delete")
    assert r.status_code == 403 and "файлы меняет только методист" in r.get_data(as_text=True)
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(b"%PDF-1.4 new"), "new.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 403 and "предложите опыт заново" in r.get_data(as_text=True)
    assert db.session.scalars(db.select(BestPracticeFile.stored_name)).all() == ["reviewed.pdf"]
    assert sorted(p.name for p in folder.iterdir()) == ["reviewed.pdf"]


def test_the_methodologist_still_changes_an_accepted_entrys_files(client, login_as, accepted_entry):
    entry, record, _, boss, folder = accepted_entry
    login_as(boss)
    page = client.get(f"/best-practice/{entry.id}").get_data(as_text=True)
    assert f"/best-practice/files/{record.id}/delete" in page and f"/best-practice/{entry.id}/files" in page
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(b"%PDF-1.4 new"), "new.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    assert client.post(f"/best-practice/files/{record.id}/delete").status_code == 303
    names = db.session.scalars(db.select(BestPracticeFile.original_name)).all()
    assert names == ["new.pdf"] and not (folder / "reviewed.pdf").exists()


def test_the_author_of_a_proposal_still_changes_its_files(client, login_as, accepted_entry):
    entry, record, author, _, _ = accepted_entry
    entry.status = "proposed"
    db.session.commit()
    login_as(author)
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(b"%PDF-1.4 mine"), "mine.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    assert client.post(f"/best-practice/files/{record.id}/delete").status_code == 303
    assert db.session.scalars(db.select(BestPracticeFile.original_name)).all() == ["mine.pdf"]
