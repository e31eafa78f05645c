"""Hostile text in names, titles and report text comes out as text in every output: HTML (escaped), PDF
(the reader sees the characters), DOCX, XLSX and CSV (formula cells neutralised by `exports.safe_cell`),
ICS (parsed back as plain text, no injected property). Typst markup (`#panic("x")`, `*x*`, `]`) in the data of a
PDF is printed as text in every paper, never run."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from icalendar import Calendar

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import Event, Organization, Recommendation, User, Visit, VisitReport

from .factories import Factories
from .security_helpers import docx_text, pdf_text, xlsx_cells

SCRIPT = '<script>alert("x")</script>'
QUOTES = "«Ёлка» \"двойные\" 'одинарные'"
HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULAS = [HYPERLINK, "+1", "-1", "@SUM(1)"]
FORMULA_START = ("=", "+", "-", "@")
TYPST = '#panic("x") *жирный* ] [ $x^2$ @ref //'
ICS_INJECTION = "Описание\r\nX-EVIL:1\r\nATTENDEE:mailto:evil@example.com"


def squash(text: str) -> str:
    """No whitespace at all: PDF text extraction breaks long table cells anywhere."""
    return "".join(text.split())


@dataclass
class Hostile:
    year: object
    school: Organization
    boss: User
    librarians: list[User]
    event: Event
    visit: Visit


def build(f: Factories) -> Hostile:
    year = f.year(2026)
    school = f.school("77", name=f"Школа {SCRIPT} {QUOTES} {TYPST}", short_name=HYPERLINK)
    boss = f.methodologist(login="boss")
    librarians = [f.librarian(school, login=f"h{i}", last_name=name) for i, name in enumerate(FORMULAS)]
    librarians.append(f.librarian(school, login="hs", last_name=SCRIPT, initials="И.И."))
    librarians.append(f.librarian(school, login="ht", last_name=TYPST, initials="Т.Т."))
    goal = f.goal(year, title=f"{HYPERLINK} {SCRIPT} {TYPST}")
    event = f.event(year, kind="course", title=f"{HYPERLINK} {SCRIPT} {QUOTES}", when=date(2027, 2, 10),
                    capacity=30, goal_id=goal.id, description=ICS_INJECTION)
    for lib in librarians:
        f.registration(event, lib)
    purpose = f.purpose(year, title=f"@SUM(1) {SCRIPT} {TYPST}")
    visit = f.visit(school, year, when=PlanDate("day", date(2026, 10, 15)), status="finalised",
                    created_by_id=boss.id)
    visit.purposes.append(purpose)
    report = VisitReport(visit_id=visit.id, present=SCRIPT, methods=["talk"], strengths=HYPERLINK,
                         shortcomings=f"-1 {QUOTES}", conclusion=f"+1 {SCRIPT} {TYPST}", status="final",
                         finalised_at=datetime(2026, 10, 16, 9, 0), finalised_by_id=boss.id)
    rec = Recommendation(report=report, organization_id=school.id, position=1, text=f"@SUM(1) {SCRIPT}",
                         deadline=date(2027, 3, 1), responsible=HYPERLINK, status="open")
    db.session.add_all([report, rec])
    db.session.commit()
    return Hostile(year, school, boss, librarians, event, visit)


@pytest.fixture
def hostile(f, login_as):
    h = build(f)
    login_as(h.boss)
    return h


def _get(client, url: str, mimetype: str | None = None):
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    if mimetype:
        assert r.mimetype == mimetype, (url, r.mimetype)
    return r


def _assert_cells_neutralised(cells, where: str, expected: list[str]) -> None:
    """No text cell starts like a formula; each hostile value is there, neutralised by a leading apostrophe."""
    texts = [c for c in cells if isinstance(c, str)]
    for c in texts:
        assert not c.startswith(FORMULA_START), f"{where}: formula cell {c!r}"
    for value in expected:
        assert any(c.startswith("'" + value) for c in texts), f"{where}: {value!r} not found neutralised"


@pytest.mark.parametrize("page", ["events.show", "events.participants", "visits.show", "plan.show", "results.index",
                                  "visits.recommendations", "people.users", "visits.list_visits", "people.person"])
def test_html_shows_hostile_text_escaped(hostile, client, page):
    from flask import url_for

    args = {"events.show": {"event_id": hostile.event.id}, "events.participants": {"event_id": hostile.event.id},
            "visits.show": {"visit_id": hostile.visit.id}, "people.person": {"user_id": hostile.librarians[-1].id}}
    with client.application.test_request_context():
        url = url_for(page, **args.get(page, {}))
    text = _get(client, url).get_data(as_text=True)
    assert SCRIPT not in text, f"{page}: unescaped <script>"
    assert "&lt;script&gt;alert(" in text, f"{page}: the hostile text is not shown at all"


def test_participants_csv_neutralises_formulas(hostile, client):
    r = _get(client, f"/events/{hostile.event.id}/participants.csv")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    cells = [c for row in rows[1:] for c in row]
    _assert_cells_neutralised(cells, "participants.csv", FORMULAS)
    assert any(c.startswith(SCRIPT) for c in cells)  # text stays text: nothing dropped


def test_participants_xlsx_neutralises_formulas(hostile, client):
    r = _get(client, f"/events/{hostile.event.id}/participants.xlsx")
    _assert_cells_neutralised(xlsx_cells(r.data), "participants.xlsx", FORMULAS)


def test_visits_register_xlsx_neutralises_formulas(hostile, client):
    r = _get(client, "/visits/register.xlsx")
    cells = xlsx_cells(r.data)
    _assert_cells_neutralised(cells, "register.xlsx", [HYPERLINK, "@SUM(1)"])


def test_results_xlsx_neutralises_formulas(hostile, client):
    r = _get(client, "/results.xlsx")
    cells = xlsx_cells(r.data)
    _assert_cells_neutralised(cells, "results.xlsx", FORMULAS + [f"{HYPERLINK} {SCRIPT}"])


def test_plan_docx_and_pdf_hold_the_text_as_text(hostile, client):
    text = docx_text(_get(client, "/plan.docx").data)
    assert f"{HYPERLINK} {SCRIPT}" in text and QUOTES in text
    pdf = squash(pdf_text(_get(client, "/plan.pdf", "application/pdf").data))
    assert squash(f"{HYPERLINK} {SCRIPT}") in pdf and squash(QUOTES) in pdf


def test_visit_report_pdf_holds_the_text_as_text(hostile, client):
    pdf = squash(pdf_text(_get(client, f"/visits/{hostile.visit.id}/report.pdf", "application/pdf").data))
    for value in (SCRIPT, HYPERLINK, f"-1 {QUOTES}", f"+1 {SCRIPT}", f"@SUM(1) {SCRIPT}", f"Школа {SCRIPT}"):
        assert squash(value) in pdf, value


def test_sign_in_sheet_pdf_holds_the_names_as_text(hostile, client):
    pdf = squash(pdf_text(_get(client, f"/events/{hostile.event.id}/sign-in-sheet.pdf", "application/pdf").data))
    for name in FORMULAS + [SCRIPT]:
        assert squash(name) in pdf, name


@pytest.mark.parametrize("url", ["/plan.pdf", "/visits/{visit}/report.pdf", "/visits/reports.pdf",
                                 "/events/{event}/sign-in-sheet.pdf", "/visits/register.pdf", "/results.pdf"])
def test_typst_markup_stays_text_in_every_pdf(hostile, client, url):
    pdf = squash(pdf_text(_get(client, url.format(visit=hostile.visit.id, event=hostile.event.id),
                               "application/pdf").data))
    assert squash(TYPST) in pdf and squash(SCRIPT) in pdf


def test_event_ics_parses_back_as_plain_text(hostile, client):
    r = _get(client, f"/events/{hostile.event.id}.ics", "text/calendar")
    cal = Calendar.from_ical(r.data)
    (ve,) = [c for c in cal.walk() if c.name == "VEVENT"]
    assert str(ve["SUMMARY"]).endswith(f"{HYPERLINK} {SCRIPT} {QUOTES}")
    assert "X-EVIL:1" in str(ve["DESCRIPTION"]) and "ATTENDEE" in str(ve["DESCRIPTION"])
    assert "X-EVIL" not in ve and "ATTENDEE" not in ve  # the description's lines injected no property
    assert b"\r\nX-EVIL" not in r.data and b"\r\nATTENDEE" not in r.data
