"""The portfolio (#18 §5): a librarian's participation by school year with hours and certificate links, talks,
best practice, consultations and visits; totals equal the sum of hours; a PDF for the attestation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from mo_app.dates import PlanDate, today
from mo_app.extensions import db
from mo_app.models import AppSettings, BestPractice, ConsultationRequest

from .security_helpers import pdf_text


@pytest.fixture
def career(f):
    """Александрова over two years: a course (72 h) and a seminar (4 h, where she spoke) last year; this year a
    seminar (3 h) attended, one missed (absent, 6 h), one to come (2 h); a best-practice entry; a consultation
    request; a visit to her school."""
    boss = f.methodologist()
    db.session.get(AppSettings, 1).signatory_id = boss.id  # signs the portfolio
    school = f.school("79")
    ann = f.librarian(school, last_name="Александрова", first_name="Анна", middle_name="Сергеевна")
    other = f.librarian(f.school("80"), last_name="Чужая")
    last, this = f.year(2025, current=False), f.year(2026)
    course = f.event(last, kind="course", title="Курсы АППО", when=PlanDate.month(2025, 11), hours=72)
    spoke = f.event(last, title="Семинар о квестах", when=PlanDate.month(2026, 2), hours=4)
    seminar = f.event(this, title="Семинар о чтении", when=today() - timedelta(days=3), hours=3)
    missed = f.event(this, title="Пропущенный семинар", when=today() - timedelta(days=5), hours=6)
    coming = f.event(this, title="Будущий семинар", when=today() + timedelta(days=10), hours=2)
    f.registration(course, ann, attendance="present")
    f.registration(spoke, ann, attendance="present", talk_title="Квесты в библиотеке <b>жирно</b>")
    f.registration(seminar, ann, attendance="present")
    f.registration(missed, ann, attendance="absent")
    f.registration(coming, ann)
    f.registration(seminar, other, attendance="present")
    db.session.add(BestPractice(year_id=this.id, topic="Читательские дневники", author_id=ann.id,
                                organization_id=school.id, stage="generalisation", form="мастер-класс"))
    db.session.add(ConsultationRequest(year_id=this.id, user_id=ann.id, topic="Работа с фондом учебников"))
    db.session.commit()
    visit = f.visit(school, this)
    return {"boss": boss, "ann": ann, "other": other, "visit": visit}


def _get(client, url):
    db.session.commit()  # end this test's read transaction (a certificate download writes)
    return client.get(url)


def test_portfolio_lists_each_year_with_its_hours_and_the_total(career, client, login_as):
    login_as(career["ann"])
    html = _get(client, "/my/portfolio").get_data(as_text=True)
    # this year: the seminar attended (3 h); not the missed one, not the coming one
    this = html[html.index('id="year-2026"'):html.index('id="year-2025"')]
    assert "Семинар о чтении" in this and "Пропущенный семинар" not in this and "Будущий семинар" not in this
    assert "— 3 часа" in this
    assert "Читательские дневники" in this and "обобщение опыта" in this
    assert "Работа с фондом учебников" in this
    assert f"/visits/{career['visit'].id}" in this
    last = html[html.index('id="year-2025"'):]
    assert "Курсы АППО" in last and "Семинар о квестах" in last and "— 76 часов" in last
    assert "Квесты в библиотеке &lt;b&gt;жирно&lt;/b&gt;" in last and "<b>жирно</b>" not in html
    # the total is the sum of the years' hours, and of the events she attended
    years = [int(n) for n in re.findall(r"data-year-hours>— (\d+) час", html)]
    total = int(re.search(r"data-total-hours>Всего: (\d+) академическ", html)[1])
    assert years == [3, 76] and total == sum(years) == 3 + 72 + 4
    # certificate links for each attended event
    assert html.count("/certificate.pdf") == 3


def test_portfolio_pdf_for_the_attestation(career, client, login_as):
    login_as(career["ann"])
    r = _get(client, "/my/portfolio.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    for shown in ("Александрова Анна Сергеевна", "79 часов", "учебный год",
                  "Курсы АППО", "72 часа", "Квесты в библиотеке <b>жирно</b>", "Читательские дневники",
                  "Методистова"):
        assert shown in text, shown
    assert "Пропущенный семинар" not in text and "Будущий семинар" not in text


def test_methodologist_sees_any_librarians_portfolio_others_do_not(career, client, login_as):
    ann = career["ann"]
    login_as(career["boss"])
    html = _get(client, f"/people/{ann.id}/portfolio").get_data(as_text=True)
    assert "Александрова Анна Сергеевна" in html and "Курсы АППО" in html
    assert _get(client, f"/people/{ann.id}/portfolio.pdf").status_code == 200
    assert f"/people/{ann.id}/portfolio" in _get(client, f"/people/{ann.id}").get_data(as_text=True)
    assert _get(client, f"/people/{career['boss'].id}/portfolio").status_code == 404
    assert _get(client, "/my/portfolio").status_code == 403
    login_as(career["other"])
    assert _get(client, f"/people/{ann.id}/portfolio").status_code == 403
    assert _get(client, f"/people/{ann.id}/portfolio.pdf").status_code == 403
    own = _get(client, "/my/portfolio").get_data(as_text=True)
    assert "Курсы АППО" not in own and "Семинар о чтении" in own


def test_portfolio_reads_a_fixed_number_of_queries(career, client, login_as, f):
    from bench.queries import count_statements

    login_as(career["ann"])
    _get(client, "/my/portfolio")
    with count_statements(db.engine) as before:
        _get(client, "/my/portfolio")
    year = f.year(2024, current=False)
    for n in range(5):
        ev = f.event(year, title=f"Семинар {n}", when=PlanDate.month(2025, 3), hours=2)
        f.registration(ev, career["ann"], attendance="present", talk_title=f"Доклад {n}")
    with count_statements(db.engine) as after:
        html = _get(client, "/my/portfolio").get_data(as_text=True)
    assert "Доклад 4" in html and len(after) == len(before)
