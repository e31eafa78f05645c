"""Participants' exports (CSV, XLSX), the sign-in sheet (print view and PDF), calendars (ICS)."""

import csv
import io
from datetime import date, time

from icalendar import Calendar
from openpyxl import load_workbook
from pypdf import PdfReader

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import User

from .events_helpers import coming_event, future_day


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


def test_sign_in_sheet_print_view_and_pdf(client, f, login_as):
    ev = _event_with_people(f)
    login_as(f.methodologist())
    page = client.get(f"/events/{ev.id}/sign-in-sheet").get_data(as_text=True)
    assert "Лист регистрации участников" in page and "ул. Гоголя, 5" in page
    assert page.index("Александрова") < page.index("Жукова")  # by surname
    assert "Голубева" not in page  # the waiting list does not sign
    assert page.count('class="blank"') == 5
    r = client.get(f"/events/{ev.id}/sign-in-sheet.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    for word in ("Лист регистрации участников", "Мастер-классы в библиотеке", "Александрова Е.С.", "Жукова С.А.",
                 "Подпись", "ГБОУ №192"):
        assert word in text, word


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


def test_month_only_event_is_all_day_spanning_the_month(client, f, login_as):
    ev = f.event(when=PlanDate.month(2027, 2))
    login_as(f.librarian())
    (vevent,) = Calendar.from_ical(client.get(f"/events/{ev.id}.ics").data).walk("VEVENT")
    assert vevent.decoded("dtstart") == date(2027, 2, 1)
    assert vevent.decoded("dtend") == date(2027, 3, 1)


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
