"""Year results on a small fixture computed by hand; what a librarian may see; print, PDF, XLSX; the profile."""

import io
import re
from datetime import date, timedelta

import pytest

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    ConsultationRequest,
    Recommendation,
    Visit,
    VisitReport,
    VisitTarget,
)
from mo_app.results.queries import compute_results, today

from .plan_helpers import current_start


@pytest.fixture
def world(app, f):
    """Schools A, B, C; librarians a1, a2 (A) and b1 (B); four events, visits, recommendations, best practice."""
    start = current_start()
    now = today()
    year = f.year(start)
    academy = f.venue("АППО")
    a, b, c = f.school("1001"), f.school("1002"), f.school("1003")
    a1 = f.librarian(a, last_name="Андреева", initials="А.А.")
    a2 = f.librarian(a, last_name="Антонова", initials="А.Б.")
    b1 = f.librarian(b, last_name="Борисова", initials="Б.Б.")
    course = f.event(year, kind="course", title="Курсы", when=PlanDate.whole_year(start), venue_id=academy.id)
    seminar = f.event(year, title="Семинар в школе Б", when=PlanDate.month(start, 10), venue_id=b.id, status="held")
    cancelled = f.event(year, title="Отменённый семинар", when=PlanDate.month(start, 11), venue_id=a.id,
                        status="cancelled")
    moved = f.event(year, kind="meeting", title="Совещание", when=PlanDate.month(start, 10))
    moved.plan_date = PlanDate.month(start, 12)
    for ev, user, status, attendance in (
        (course, a1, "registered", "present"), (course, a2, "registered", "absent"),
        (seminar, a1, "registered", "present"), (seminar, b1, "registered", "excused"),
        (seminar, a2, "registered", None), (moved, b1, "waiting", None), (cancelled, a1, "cancelled", None),
    ):
        f.registration(ev, user, status=status, attendance=attendance)
    purpose = f.purpose(year, "Знакомство с фондами")
    purpose.targets = [VisitTarget(organization_id=s.id, position=i) for i, s in enumerate((a, b, c))]
    visit_a = f.visit(a, year, status="finalised")
    visit_b = f.visit(b, year, status="planned")
    visit_a.purposes = [purpose]
    visit_b.purposes = [purpose]
    report = VisitReport(visit_id=visit_a.id, status="final")
    db.session.add(report)
    db.session.flush()
    for text, status, deadline in (("Сделать каталог", "done", now - timedelta(days=10)),
                                   ("Списать учебники", "open", now - timedelta(days=1)),
                                   ("Обновить стенд", "open", now + timedelta(days=20)),
                                   ("Составить план", "reported", now - timedelta(days=3))):
        db.session.add(Recommendation(report_id=report.id, organization_id=a.id, text=text, status=status,
                                      deadline=deadline))
    db.session.add(BestPractice(year_id=year.id, topic="Опыт А", goals=["цель"], author_id=a1.id,
                                organization_id=a.id, status="accepted"))
    db.session.add(BestPractice(year_id=year.id, topic="Предложение Б", goals=["цель"], author_id=b1.id,
                                organization_id=b.id, status="proposed"))
    db.session.add(ConsultationRequest(year_id=year.id, user_id=a2.id, topic="Списание", status="held"))
    db.session.commit()
    return {"year": year, "a": a, "b": b, "c": c, "a1": a1, "a2": a2, "b1": b1, "start": start}


def _row(rows, org):
    return next(r for r in rows if r.org.id == org.id)


def _person(rows, user):
    return next(p for p in rows if p.user.id == user.id)


def test_school_and_librarian_figures_by_hand(world):
    res = compute_results(world["year"])
    a, b, c = (_row(res.schools, world[k]) for k in "abc")
    # A: a1 course+seminar (2 sign-ups, 2 present, 1 course), a2 course+seminar (2 sign-ups, 1 absent)
    assert (a.signups, a.present, a.absent, a.excused, a.courses) == (4, 2, 1, 0, 1)
    assert [u.last_name for u in a.librarians] == ["Андреева", "Антонова"]
    assert a.hosted == 0  # its seminar was cancelled
    assert (a.visits_planned, a.visits_held) == (1, 1)
    assert (a.rec_total, a.rec_done, a.rec_overdue) == (4, 1, 1)  # «reported» is not overdue
    assert a.best_practice == 1 and a.consultations == 1
    assert not a.stands_out
    # B: b1 one seminar sign-up (excused), a waiting place does not count; hosts the seminar; visit not yet held
    assert (b.signups, b.present, b.absent, b.excused, b.courses, b.hosted) == (1, 0, 0, 1, 0, 1)
    assert (b.visits_planned, b.visits_held, b.best_practice) == (1, 0, 0)
    assert b.no_visit and not b.no_participation
    # C: nothing at all
    assert c.no_participation and c.no_visit and c.librarians == []

    a1, a2, b1 = (_person(res.people, world[k]) for k in ("a1", "a2", "b1"))
    assert (a1.signups, a1.present, a1.courses, a1.best_practice) == (2, 2, 1, 1)
    assert (a2.signups, a2.absent, a2.courses, a2.consultations) == (2, 1, 0, 1)
    assert (b1.signups, b1.excused, b1.best_practice) == (1, 1, 0)

    t = res.totals
    assert (t.signups, t.present, t.absent, t.excused, t.courses, t.visits_held, t.visits_planned) == (
        5, 2, 1, 1, 1, 1, 2)


def test_plan_vs_actual_and_months(world):
    res = compute_results(world["year"])
    outcomes = {r.event.title: r.outcome for r in res.events}
    assert outcomes == {"Курсы": "planned", "Семинар в школе Б": "held", "Отменённый семинар": "cancelled",
                        "Совещание": "moved"}
    moved = next(r for r in res.events if r.event.title == "Совещание")
    assert (moved.planned, moved.actual) == (f"октябрь {world['start']}", f"декабрь {world['start']}")
    assert [(t.org.number, t.state) for t in res.targets] == [("1001", "met"), ("1002", "planned"),
                                                            ("1003", "none")]
    months = {m: (p, a, e) for m, p, a, e in res.months}
    assert months["сентябрь"] == (1, 1, 0)  # the course dated «в течение года» counts in September
    assert months["октябрь"] == (1, 0, 1)
    assert sum(p + a + e for _, p, a, e in res.months) == 4


def test_methodologist_sees_every_school_with_charts(world, client, f, login_as):
    login_as(f.methodologist())
    r = client.get(f"/results?year={world['start']}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for name in ("ГБОУ №1001", "ГБОУ №1002", "ГБОУ №1003", "Андреева А.А.", "Борисова Б.Б."):
        assert name in html
    assert html.count('class="stand-out"') == 2  # B (no visit) and C (nothing)
    assert "нет участия" in html and "нет посещения" in html
    for chart in ("chart-attendance", "chart-participation", "chart-plan"):
        assert f'<svg class="chart" id="{chart}"' in html
    assert "<script>" not in html and " style=" not in html
    assert "перенесено" in html and "отменено" in html and "выполнено" in html


def test_librarian_sees_own_school_in_detail_and_district_totals_only(world, client, login_as):
    login_as(world["b1"])
    html = client.get("/results").get_data(as_text=True)
    assert "ГБОУ №1002" in html and "Борисова Б.Б." in html
    # other schools and librarians are not named; their figures are in the district totals
    for hidden in ("ГБОУ №1001", "ГБОУ №1003", "Андреева", "Антонова"):
        assert hidden not in html, hidden
    assert re.search(r'<span class="num">5</span>\s*записей', html)
    assert 'id="chart-participation"' not in html
    assert "Подробно показаны ваша школа и ваши данные" in html
    # exports follow the same rule
    xlsx = client.get("/results.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.data))
    schools = [row[0] for row in wb["Школы"].iter_rows(min_row=2, values_only=True)]
    assert schools == ["ГБОУ №1002"]


def test_results_xlsx_has_one_sheet_per_table(world, client, f, login_as):
    from openpyxl import load_workbook

    login_as(f.methodologist())
    r = client.get("/results.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["Школы", "Библиотекари", "Мероприятия", "Посещения"]
    rows = {row[0]: row for row in wb["Школы"].iter_rows(min_row=2, values_only=True)}
    assert rows["ГБОУ №1001"][2:13] == (4, 2, 1, 0, 1, 0, 1, 1, 1, 1, 1)
    assert rows["ГБОУ №1003"][13] == "нет участия; нет посещения"
    events = {row[1]: row[4] for row in wb["Мероприятия"].iter_rows(min_row=2, values_only=True)}
    assert events["Совещание"] == "перенесено" and events["Отменённый семинар"] == "отменено"


def test_the_kept_results_workbook_is_the_viewers_own(world, client, f, login_as):
    """The methodologist's workbook is kept for the next download; a librarian right after gets her own."""
    from openpyxl import load_workbook

    def schools() -> list[str]:
        wb = load_workbook(io.BytesIO(client.get("/results.xlsx").data))
        return [row[0] for row in wb["Школы"].iter_rows(min_row=2, values_only=True)]

    login_as(f.methodologist())
    district = schools()
    assert "ГБОУ №1001" in district and schools() == district
    login_as(world["b1"])
    assert schools() == ["ГБОУ №1002"]


def test_results_pdf(world, client, f, login_as):
    from pypdf import PdfReader

    from .security_helpers import pdf_text

    login_as(f.methodologist())
    r = client.get("/results.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert float(PdfReader(io.BytesIO(r.data)).pages[0].mediabox.width) > 800  # A4 landscape
    text = pdf_text(r.data)
    assert "Итоги 2026–2027 учебного года" in text and "По школам" in text and "Посещаемость по месяцам" in text
    # each value in its own cell: the school's marks stand in a column of their own, after its figures
    row = text[text.index("ГБОУ № 1003"):]
    assert row.index("нет участия") > row.index("0 / 0 / 0") and "нет участия нет посещения" in row


def test_results_of_a_year_with_nothing(app, client, f, login_as):
    f.year(2030)
    login_as(f.methodologist())
    r = client.get("/results?year=2030")
    assert r.status_code == 200 and "Данных пока нет." in r.get_data(as_text=True)


# ---- the profile -----------------------------------------------------------------------------------------------

def test_profile_holds_the_whole_history(world, client, f, login_as):
    a1 = world["a1"]
    login_as(a1)
    r = client.get(f"/people/{a1.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    courses = html[html.index('id="history-courses"'):html.index('id="history-seminars"')]
    assert "Курсы" in courses and "присутствовал(а)" in courses
    seminars = html[html.index('id="history-seminars"'):html.index('id="history-consultations"')]
    assert "Семинар в школе Б" in seminars and "Отменённый семинар" in seminars
    visits = html[html.index('id="history-visits"'):html.index('id="history-recommendations"')]
    assert "Справка готова" in visits and "Знакомство с фондами" in visits
    assert "Списать учебники" in html and "Опыт А" in html


def test_profile_access(world, client, f, login_as):
    a1, b1 = world["a1"], world["b1"]
    login_as(b1)
    assert client.get(f"/people/{a1.id}").status_code == 404
    assert client.get("/people/99999").status_code == 404
    login_as(f.methodologist())
    assert client.get(f"/people/{a1.id}").status_code == 200
    assert client.get(f"/people/{b1.id}").status_code == 200


def test_draft_report_recommendations_are_not_in_the_profile(app, client, f, login_as):
    school = f.school()
    librarian = f.librarian(school)
    visit = f.visit(school, status="held")
    report = VisitReport(visit_id=visit.id, status="draft")
    db.session.add(report)
    db.session.flush()
    db.session.add(Recommendation(report_id=report.id, organization_id=school.id, text="Черновая рекомендация",
                                  deadline=date(2027, 1, 1)))
    db.session.commit()
    login_as(librarian)
    assert "Черновая рекомендация" not in client.get(f"/people/{librarian.id}").get_data(as_text=True)
    assert "Черновая рекомендация" not in client.get("/").get_data(as_text=True)


def test_visits_without_purpose_count_but_meet_no_target(world):
    extra = Visit(year_id=world["year"].id, organization_id=world["c"].id, status="held", is_unplanned=True)
    extra.plan_date = PlanDate.month(world["start"], 11)
    db.session.add(extra)
    db.session.commit()
    res = compute_results(world["year"])
    c = _row(res.schools, world["c"])
    assert (c.visits_planned, c.visits_held) == (0, 1)
    assert [t.state for t in res.targets if t.org.id == world["c"].id] == ["none"]
