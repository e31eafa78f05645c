"""Every document is headed with the settings' association and centre and signed with the signatory's full name
and position (PDF text read with pypdf, DOCX with python-docx); a change of the settings or of the signatory's
name reaches documents kept per data stamp; a kept report version stays as it was printed."""

from __future__ import annotations

import io
from datetime import date

import pytest

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import SchoolYear, User, VisitReport

from .security_helpers import pdf_text
from .test_setup import setup_form
from .visits_helpers import visit_with_report

ASSOCIATION = "Методическое объединение школьных библиотекарей Центрального района"
CENTRE = "ИМЦ Центрального района"
SIGNATURE = ("Методист ИМЦ Центрального района", "Смирнова Ольга Петровна")


def _pdf_text(data: bytes) -> str:
    return " ".join(pdf_text(data).split())


def _docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


@pytest.fixture
def office(blank, client, f):
    """A real setup (Смирнова Ольга Петровна signs), a school with a librarian, an event with a participant,
    a visit with a finalised report."""
    assert client.post("/setup", data=setup_form()).status_code == 303
    boss = db.session.scalar(db.select(User))
    year = db.session.scalar(db.select(SchoolYear))
    school = f.school("79", name="ГБОУ средняя школа №79")
    librarian = f.librarian(school, last_name="Александрова", initials="Е.С.")
    goal = f.goal(year, title="Повышение квалификации")
    event = f.event(year, title="Семинар о чтении", goal_id=goal.id, when=date(year.start_year + 1, 2, 10))
    f.registration(event, librarian)
    visit = visit_with_report(f, school, year=year, by=boss, when=PlanDate("day", date(year.start_year, 10, 14)))
    return {"boss": boss, "year": year, "event": event, "visit": visit, "client": client}


def _documents(o) -> dict[str, str]:
    client, y = o["client"], o["year"].start_year
    pdfs = {
        "справка": f"/visits/{o['visit'].id}/report.pdf",
        "справки за период": f"/visits/reports.pdf?from={y}-09-01&to={y + 1}-08-31",
        "журнал посещений": f"/visits/register.pdf?year={y}",
        "план (PDF)": f"/plan.pdf?year={y}",
        "лист регистрации": f"/events/{o['event'].id}/sign-in-sheet.pdf",
        "итоги года": f"/results.pdf?year={y}",
    }
    texts = {}
    for name, path in pdfs.items():
        r = client.get(path)
        assert r.status_code == 200 and r.mimetype == "application/pdf", (name, r.status_code)
        texts[name] = _pdf_text(r.data)
    texts["план (DOCX)"] = _docx_text(client.get(f"/plan.docx?year={y}").data)
    texts["план (страница)"] = client.get(f"/plan?year={y}").get_data(as_text=True)
    return texts


def test_every_document_is_headed_and_signed_from_the_settings(office):
    for name, text in _documents(office).items():
        for expected in (ASSOCIATION, CENTRE, *SIGNATURE):
            assert expected.casefold() in text.casefold(), (name, expected)  # the справка's header is in capitals
        assert "Методист Методист" not in text, name


def test_a_settings_change_and_a_renamed_signatory_reach_every_document(office, f):
    client = office["client"]
    _documents(office)  # read once, so that kept (per data stamp) documents exist
    second = f.methodologist(login="petrova", last_name="Петрова", first_name="Ирина", middle_name="Юрьевна",
                             position="старший методист")
    r = client.post("/settings", data={"association_name": "МО библиотекарей Северного района",
                                       "centre_name": "ИМЦ Северного района", "signatory_id": str(second.id)})
    assert r.status_code == 303
    for name, text in _documents(office).items():
        for expected in ("МО библиотекарей Северного района", "ИМЦ Северного района", "Старший методист",
                         "Петрова Ирина Юрьевна"):
            assert expected.casefold() in text.casefold(), (name, expected)
        for gone in (ASSOCIATION, "Центрального района", "Смирнова Ольга Петровна"):
            assert gone.casefold() not in text.casefold(), (name, gone)

    second.last_name = "Петрова-Водкина"
    db.session.commit()
    for name, text in _documents(office).items():
        assert "Петрова-Водкина Ирина Юрьевна" in text, name


def test_without_a_signatory_the_line_is_left_to_sign_by_hand(office):
    client = office["client"]
    r = client.post("/settings", data={"association_name": ASSOCIATION, "centre_name": CENTRE, "signatory_id": ""})
    assert r.status_code == 303
    texts = _documents(office)
    assert "Смирнова Ольга Петровна" not in texts["план (PDF)"]
    assert "Методист" in texts["план (PDF)"]
    # the справка is signed then by whoever finalised it, as before settings existed
    assert "Методист" in texts["справка"] and "Смирнова О.П." in texts["справка"]


def test_a_kept_report_version_prints_as_it_was_signed(office, f):
    client, visit = office["client"], office["visit"]
    assert client.post(f"/visits/{visit.id}/report/reopen", data={"reason": "Опечатка"}).status_code == 303
    report = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit.id))
    assert report.versions[0].data["letterhead"]["signatory_name"] == "Смирнова Ольга Петровна"
    second = f.methodologist(login="petrova", last_name="Петрова", first_name="Ирина")
    client.post("/settings", data={"association_name": "Новое название", "centre_name": "Новый центр",
                                   "signatory_id": str(second.id)})
    kept = _pdf_text(client.get(f"/visits/{visit.id}/versions/1.pdf").data)
    assert ASSOCIATION in kept and CENTRE in kept and "Смирнова Ольга Петровна" in kept
    assert "Новое название" not in kept and "Петрова Ирина" not in kept
