"""The справка as a PDF (text checked with pypdf): what it says, the draft, the bulk PDF of a period, the
register; issued versions kept byte for byte (tests/test_documents.py checks /verify and the limits)."""

import io
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import insert

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import AppSettings, Recommendation, Visit, VisitReport
from mo_app.models.visits import visit_purpose_link

from .conftest import TEST_ASSOCIATION
from .events_helpers import count_queries
from .security_helpers import pdf_pages
from .visits_helpers import report_form, visit_with_report


def test_report_pdf_text(client, f, login_as):
    school = f.school("79", name="ГБОУ средняя школа №79 Калининского района")
    metodist = f.methodologist(last_name="Смирнова", initials="О.П.", first_name="Ольга", middle_name="Петровна",
                               position="старший методист")
    librarian = f.librarian(school, last_name="Александрова", initials="Е.С.")
    purpose = f.purpose(title="Оказание помощи в работе малоопытным библиотекарям")
    visit = visit_with_report(f, school, by=metodist, purposes=[purpose], conclusion="Работа ведётся планомерно.",
                              rec_text="Пополнить электронный каталог", deadline=date(2027, 3, 1))
    report = db.session.scalar(db.select(VisitReport))
    report.strengths = "Фонд расставлен по ББК"
    db.session.get(AppSettings, 1).signatory_id = metodist.id  # she signs the association's papers
    db.session.commit()
    login_as(librarian)
    r = client.get(f"/visits/{visit.id}/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    text = " ".join(pdf_pages(r.data))
    for expected in (TEST_ASSOCIATION, "Справка по итогам посещения",
                     "ГБОУ средняя школа № 79 Калининского района", "14 октября 2026 г.",
                     "Оказание помощи в работе малоопытным библиотекарям", "Фонд расставлен по ББК",
                     "Работа ведётся планомерно.", "Пополнить электронный каталог", "1 марта 2027 г.",
                     "Старший методист", "Смирнова Ольга Петровна", "Со справкой ознакомлен(а):", "библиотекарь",
                     "директор", "(подпись)", "(расшифровка подписи)", "(дата)", "Помещение и оборудование",
                     "стр. 1 из 1", "2026–2027 учебный год"):
        assert expected in text, expected
    assert "\u202f79" in PdfReader(io.BytesIO(r.data)).pages[0].extract_text()  # «№ 79»: a thin no-break space
    assert "Черновик" not in text  # final (before papers were kept: printed from its data, no check line)


def test_long_report_breaks_pages_between_rows(client, f, login_as):
    login_as(f.methodologist())
    long = ("Рекомендация начало-{n} " + "очень подробный текст рекомендации, " * 14 + "конец-{n}")
    visit = visit_with_report(f, f.school(), recs=40, rec_text=long)
    pages = pdf_pages(client.get(f"/visits/{visit.id}/report.pdf").data)
    assert len(pages) >= 4
    for n in range(1, 41):
        holding = [i for i, p in enumerate(pages) if f"начало-{n} " in p]
        assert len(holding) == 1, n
        assert f"конец-{n}" in pages[holding[0]], f"row {n} split across pages"
    assert all("Рекомендация Срок Ответственный" in p for p in pages[1:-1])  # the header on every page
    assert f"стр. {len(pages)} из {len(pages)}" in pages[-1]
    assert "Со справкой ознакомлен(а)" in pages[-1]


def test_draft_pdf_is_marked_and_made_afresh(client, f, login_as):
    login_as(f.methodologist())
    visit = visit_with_report(f, f.school(), final=False, conclusion="Черновой вывод")
    r = client.get(f"/visits/{visit.id}/report.pdf")
    text = " ".join(pdf_pages(r.data))
    assert "Черновик — справка не завершена" in text and "Черновой вывод" in text and "verify" not in text
    report = db.session.scalar(db.select(VisitReport))
    report.conclusion = "Исправленный вывод"
    db.session.commit()
    assert "Исправленный вывод" in " ".join(pdf_pages(client.get(f"/visits/{visit.id}/report.pdf").data))


def test_bulk_pdf_holds_every_report_of_the_period(client, f, login_as):
    login_as(f.methodologist())
    a, b = f.school("79", name="Школа А-79"), f.school("111", name="Школа Б-111")
    for school, day in ((a, date(2026, 10, 5)), (b, date(2026, 10, 20)), (a, date(2026, 11, 10))):
        visit_with_report(f, school, when=PlanDate("day", day), recs=12,
                          rec_text="Рекомендация {n} " + "с подробным текстом, " * 10)
    visit_with_report(f, b, when=PlanDate("day", date(2026, 12, 2)))  # outside the period
    visit_with_report(f, a, final=False, when=PlanDate("day", date(2026, 10, 25)))  # a draft
    r = client.get("/visits/reports.pdf?from=2026-10-01&to=2026-11-30")
    assert r.status_code == 200
    pages = pdf_pages(r.data)
    starts = [p for p in pages if "Справка по итогам посещения" in p]
    assert len(starts) == 3 and len(pages) > 3
    assert [("Школа А-79" in p, "Школа Б-111" in p) for p in starts] == [(True, False), (False, True), (True, False)]
    # each справка numbered on its own: «стр. 1 из N» starts each one
    assert [p for p in pages if "стр. 1 из" in p] == starts
    assert "2 декабря 2026" not in " ".join(pages)
    only_b = pdf_pages(client.get(f"/visits/reports.pdf?from=2026-10-01&to=2026-12-31&school={b.id}").data)
    assert len([p for p in only_b if "Справка по итогам посещения" in p]) == 2
    assert client.get("/visits/reports.pdf?from=2030-01-01").status_code == 404
    assert client.get("/visits/reports.pdf?from=вчера").status_code == 400


def test_bulk_pdf_prints_the_issued_papers(client, f, login_as):
    """The bulk PDF prints each справка as issued: a school renamed since keeps its old name there."""
    login_as(f.methodologist())
    school = f.school("79", name="Школа до переименования")
    visit = visit_with_report(f, school, when=PlanDate("day", date(2026, 10, 5)), final=False)
    report = db.session.scalar(db.select(VisitReport))
    assert client.post(f"/visits/{visit.id}/report/finalise", data=report_form(report)).status_code == 303
    issued = client.get(f"/visits/{visit.id}/report.pdf").data
    school.name = "Школа после переименования"
    db.session.commit()
    text = " ".join(pdf_pages(client.get("/visits/reports.pdf?from=2026-10-01&to=2026-10-31").data))
    assert "Школа до переименования" in text and "после переименования" not in text
    assert "Версия 1" in text and client.get(f"/visits/{visit.id}/report.pdf").data == issued


def test_register_pdf_and_xlsx(client, f, login_as):
    login_as(f.methodologist())
    a = f.school("79")
    visit_with_report(f, a, when=PlanDate("day", date(2026, 10, 5)), recs=3)
    f.visit(a, when=PlanDate.month(2027, 2), status="cancelled", status_reason="Карантин")
    f.visit(f.school("470"), when=PlanDate.month(2027, 9))  # next year: outside
    r = client.get("/visits/register.pdf?from=2026-09-01&to=2027-08-31")
    assert float(PdfReader(io.BytesIO(r.data)).pages[0].mediabox.width) > 800  # A4 landscape
    text = " ".join(pdf_pages(r.data))
    assert "Журнал посещений" in text and "ГБОУ № 79" in text and "Карантин" in text and "ГБОУ № 470" not in text
    assert "с 1 сентября 2026 г. по 31 августа 2027 г." in text and "стр. 1 из 1" in text
    r = client.get("/visits/register.xlsx?from=2026-09-01&to=2027-08-31")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("№", "Дата", "Школа", "Цель посещения", "Статус", "Справка", "Рекомендаций")
    assert len(rows) == 3 and rows[1][2] == "ГБОУ №79" and rows[1][5] == "завершена" and rows[1][6] == 3
    assert rows[2][4] == "Отменено (Карантин)"
    # a bold header that stays on screen, long text wrapped in its column
    assert ws.freeze_panes == "A2" and ws["A1"].font.b and ws["D2"].alignment.wrap_text
    # Without a period: the selected school year.
    assert client.get("/visits/register.xlsx").status_code == 200


def test_register_xlsx_is_built_once_per_state_of_the_data(client, f, login_as):
    """A second download with nothing changed comes from what was kept (the same bytes, without reading the
    visits again); a change of a school's name is in the very next download."""
    login_as(f.methodologist())
    school = f.school("79", name="Школа до переименования")
    visit_with_report(f, school, when=PlanDate("day", date(2026, 10, 5)))
    url = "/visits/register.xlsx?from=2026-09-01&to=2027-08-31"
    first = client.get(url).data
    with count_queries() as kept:
        assert client.get(url).data == first
    with count_queries() as built:
        client.get("/visits/register.xlsx?from=2026-09-02&to=2027-08-31")  # another period: built afresh
    assert len(kept) < len(built)
    school.short_name = "ГБОУ №79 (новое имя)"
    db.session.commit()
    rows = list(load_workbook(io.BytesIO(client.get(url).data)).active.iter_rows(values_only=True))
    assert rows[1][2] == "ГБОУ №79 (новое имя)"


def test_the_register_reads_the_same_statements_for_a_year_of_600_visits(client, f, login_as):
    """The register is the year's: its statements do not grow with the visits in it (no batches of 500)."""
    login_as(f.methodologist())
    year = f.year()
    school = f.school("79")
    purpose = f.purpose(title="Проверка фонда")
    visit_with_report(f, school, when=PlanDate("day", date(2026, 10, 5)), purposes=[purpose], recs=2)
    url = "/visits/register.xlsx?from=2026-09-01&to=2027-08-31"
    with count_queries() as few:
        client.get(url)
    visits = db.session.execute(insert(Visit).returning(Visit.id), [
        {"year_id": year.id, "organization_id": school.id, "date_kind": "day", "date_start": date(2026, 11, 1),
         "status": "finalised"} for _ in range(600)]).scalars().all()
    reports = db.session.execute(insert(VisitReport).returning(VisitReport.id), [
        {"visit_id": v, "status": "final", "methods": []} for v in visits]).scalars().all()
    db.session.execute(insert(Recommendation), [
        {"report_id": r, "organization_id": school.id, "position": 1, "text": "Рекомендация",
         "deadline": date(2026, 12, 1), "responsible": "Библиотекарь"} for r in reports])
    db.session.execute(insert(visit_purpose_link), [{"visit_id": v, "purpose_id": purpose.id} for v in visits])
    db.session.commit()
    with count_queries() as many:
        r = client.get(url)
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 601
    assert rows[1][3:] == ("Проверка фонда", "Справка готова", "завершена", 2)
    assert rows[-1][3:] == ("Проверка фонда", "Справка готова", "завершена", 1)
    assert len(many) == len(few), [" ".join(s.split())[:90] for s in many]
