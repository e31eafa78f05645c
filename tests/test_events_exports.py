"""Participants' exports (CSV, XLSX), the sign-in sheet (print view and PDF), calendars (ICS)."""

import csv
import io
from datetime import time

from icalendar import Calendar
from openpyxl import load_workbook
from pypdf import PdfReader

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import AppSettings, Registration, User

from .events_helpers import coming_event, future_day
from .security_helpers import pdf_text


def _event_with_people(f):
    venue = f.venue("Библиотека им. Гоголя", address="ул. Гоголя, 5")
    ev = coming_event(f, venue=venue, capacity=2, title="Мастер-классы в библиотеке")
    school = f.school("192", short_name="ГБОУ №192")
    a = f.librarian(school, last_name="Жукова", initials="С.А.")
    b = f.librarian(last_name="Александрова", initials="Е.С.")
    c = f.librarian(last_name="Голубева", initials="Е.Ю.")
    f.registration(ev, a, attendance="present")
    f.registration(ev, b)
    f.registration(ev, c, status="waiting")
    return ev


def test_csv_has_bom_semicolons_and_cyrillic(client, f, login_as):
    ev = _event_with_people(f)
    login_as(f.methodologist())
    r = client.get(f"/events/{ev.id}/participants.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["№", "ФИО", "ОУ", "Статус", "Отметка"]
    assert rows[1] == ["1", "Александрова Е.С.", rows[1][2], "Записан(а)", ""]
    assert rows[2] == ["2", "Жукова С.А.", "ГБОУ №192", "Записан(а)", "присутствовал(а)"]
    assert rows[3][1:4] == ["Голубева Е.Ю.", rows[3][2], "В листе ожидания"]


def test_xlsx_opens_with_header_and_widths(client, f, login_as):
    ev = _event_with_people(f)
    login_as(f.methodologist())
    r = client.get(f"/events/{ev.id}/participants.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    values = list(ws.values)
    assert values[0] == ("№", "ФИО", "ОУ", "Статус", "Отметка")
    assert [v[1] for v in values[1:]] == ["Александрова Е.С.", "Жукова С.А.", "Голубева Е.Ю."]
    assert ws.column_dimensions["B"].width >= 30


def test_the_kept_participants_workbook_follows_a_change(client, f, login_as):
    """The workbook is kept until the data changes: the same bytes twice, then the new status at once."""
    ev = _event_with_people(f)
    login_as(f.methodologist())
    url = f"/events/{ev.id}/participants.xlsx"
    first = client.get(url).data
    assert client.get(url).data == first
    waiting = db.session.scalar(db.select(Registration).where(Registration.status == "waiting"))
    waiting.status = "registered"
    db.session.commit()
    values = list(load_workbook(io.BytesIO(client.get(url).data)).active.values)
    assert ("Голубева Е.Ю.", "Записан(а)") in [(v[1], v[3]) for v in values[1:]]


def test_sign_in_sheet_pdf(client, f, login_as):
    ev = _event_with_people(f)
    boss = f.methodologist(last_name="Смирнова", first_name="Ольга", middle_name="Петровна", position="методист")
    db.session.get(AppSettings, 1).signatory_id = boss.id  # she signs the association's papers
    db.session.commit()
    login_as(boss)
    r = client.get(f"/events/{ev.id}/sign-in-sheet.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    text = pdf_text(r.data)
    for word in ("Лист регистрации участников", "Мастер-классы в библиотеке", "Александрова Е.С.", "Жукова С.А.",
                 "Подпись", "ГБОУ № 192", "ул. Гоголя, 5", "Записано: 2.", "Методист", "Смирнова Ольга Петровна"):
        assert word in text, word
    assert text.index("Александрова") < text.index("Жукова")  # by surname
    assert "Голубева" not in text  # the waiting list does not sign
    assert "1 Александрова" in text and "3 4 5 6 7" in text  # five numbered blank rows for walk-ins
    assert len(PdfReader(io.BytesIO(r.data)).pages) == 1


def test_event_ics_parses_back_with_moscow_time(client, f, login_as):
    d = future_day(20)
    venue = f.venue("ЦДБ им. Белинского", address="пр. Ветеранов, 1")
    ev = f.event(when=PlanDate("datetime", d, None, time(15, 30)), venue=venue)
    login_as(f.librarian())
    r = client.get(f"/events/{ev.id}.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    cal = Calendar.from_ical(r.data)
    (vevent,) = cal.walk("VEVENT")
    start = vevent.decoded("dtstart")
    assert (start.date(), start.hour, start.minute) == (d, 15, 30)
    assert str(start.tzinfo) == "Europe/Moscow"
    assert "пр. Ветеранов, 1" in str(vevent["location"])
    assert cal.walk("VTIMEZONE")


def test_events_without_a_day_stay_out_of_calendars_and_the_page_says_why(client, f, login_as):
    """A month («февраль 2027») or the whole year is not a block weeks long in a calendar: no .ics until the
    day is set (#17 §6); the page says so instead of the link."""
    me = f.librarian()
    month = f.event(title="Семинар в феврале", when=PlanDate.month(2027, 2))
    course = f.event(title="Курсы на весь год", when=PlanDate("year"))
    day = coming_event(f, title="Семинар в свой день")
    for ev in (month, course, day):
        f.registration(ev, me)
    login_as(me)
    for ev in (month, course):
        assert client.get(f"/events/{ev.id}.ics").status_code == 404
        page = client.get(f"/events/{ev.id}").get_data(as_text=True)
        assert "В календарь — когда будет назначен день" in page and f"/events/{ev.id}.ics" not in page
    assert f"/events/{day.id}.ics" in client.get(f"/events/{day.id}").get_data(as_text=True)
    client.post("/my/calendar-token")
    token = db.session.get(User, me.id).calendar_token
    vevents = Calendar.from_ical(client.get(f"/calendar/{token}.ics").data).walk("VEVENT")
    assert [str(v["summary"]) for v in vevents] == ["Семинар: Семинар в свой день"]


def test_personal_feed_holds_registered_events_and_revocation_gives_404(client, f, login_as, app):
    me = f.librarian()
    ligovskaya = f.venue("Библиотека «Лиговская»", address="Лиговский пр., 10")
    mine = coming_event(f, title="Моё мероприятие", venue=ligovskaya)
    waiting = coming_event(f, title="Жду места")
    coming_event(f, title="Чужое мероприятие")
    f.registration(mine, me)
    f.registration(waiting, me, status="waiting")
    login_as(me)
    assert client.post("/my/calendar-token").status_code == 303
    token = db.session.get(User, me.id).calendar_token
    assert token and token in client.get("/my/events").get_data(as_text=True)

    anon = app.test_client()
    r = anon.get(f"/calendar/{token}.ics")
    assert r.status_code == 200
    vevents = Calendar.from_ical(r.data).walk("VEVENT")
    assert [str(v["summary"]) for v in vevents] == ["Семинар: Моё мероприятие"]
    assert str(vevents[0]["location"]) == "Библиотека «Лиговская», Лиговский пр., 10"

    assert client.post("/my/calendar-token/revoke").status_code == 303
    assert anon.get(f"/calendar/{token}.ics").status_code == 404
    assert anon.get("/calendar/not-a-token.ics").status_code == 404
