"""The planner (schools × the plan's purposes) and the list with filters; the demo's sample visits."""

import re

from mo_app.auth.sessions import open_session
from mo_app.extensions import db
from mo_app.models import SchoolYear, User, Visit, VisitReport

from .conftest import htmx


def _year(start):
    return db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == start))


def _login(client, login):
    with client.session_transaction() as sess:
        sess["_user_id"] = open_session(db.session.scalar(db.select(User).where(User.login == login)))


def test_planner_shows_the_plans_15_targets(demo, client):
    _login(client, "metodist")
    for year in (2015, 2026):
        page = client.get(f"/visits?year={year}").get_data(as_text=True)
        assert len(re.findall(r'class="planner-cell target"', page)) == 15, year
        for title in ("Оказание помощи в работе малоопытным библиотекарям", "Знакомство с фондами, документацией",
                      "Использование в работе знаний, полученных на курсах и семинарах"):
            assert title in page
        for school in ("ГБОУ №79", "ГБОУ №653", "ГБОУ №137", "ГБОУ шк.-инт. №28"):
            assert school in page
    archive = client.get("/visits?year=2015").get_data(as_text=True)
    assert "Запланировать" not in archive  # the archive is kept as written
    current = client.get("/visits").get_data(as_text=True)
    assert "справка готова" in current and "справка — черновик" in current and "запланировано" in current


def test_demo_sample_visits(demo):
    current, archive = _year(2026), _year(2015)
    visits = db.session.scalars(db.select(Visit).where(Visit.year_id == current.id)).all()
    assert len(visits) == 15 and all(v.is_sample for v in visits)
    assert sorted(v.status for v in visits).count("finalised") == 3
    assert [v.status for v in visits].count("held") == 1
    assert [v.status for v in visits].count("planned") == 11
    reports = db.session.scalars(db.select(VisitReport)).all()
    assert sorted(r.status for r in reports) == ["draft", "final", "final", "final"]
    assert sum(1 for r in reports if r.acknowledged_at) == 1
    assert any(rec.status == "done" for r in reports for rec in r.recommendations)
    assert db.session.scalar(db.select(db.func.count()).select_from(Visit).where(Visit.year_id == archive.id)) == 0


def test_plan_from_a_cell_returns_the_cell(client, f, login_as):
    year = f.year()
    purpose = f.purpose(year)
    school = f.school()
    from mo_app.models import VisitTarget

    db.session.add(VisitTarget(purpose_id=purpose.id, organization_id=school.id))
    db.session.commit()
    login_as(f.methodologist())
    page = client.get("/visits").get_data(as_text=True)
    assert f'id="cell-{school.id}-{purpose.id}"' in page and "Запланировать" in page
    r = client.post("/visits/plan-cell", data={"school": school.id, "purpose": purpose.id}, headers=htmx())
    assert r.status_code == 422 and "Укажите месяц или день посещения." in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Visit)) == 0
    r = client.post("/visits/plan-cell", data={"school": school.id, "purpose": purpose.id, "day": "2027-03-15"},
                    headers=htmx())
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and text.lstrip().startswith(f'<td id="cell-{school.id}-{purpose.id}"')
    assert "15 марта 2027" in text and "запланировано" in text
    assert client.post("/visits/plan-cell", data={"school": 999, "purpose": purpose.id, "month": "2027-03"}) \
        .status_code == 404


def test_list_filters_and_fragment(client, f, login_as):
    year = f.year()
    p1, p2 = f.purpose(year, "Помощь"), f.purpose(year, "Фонды")
    a, b = f.school("79"), f.school("111")
    from mo_app.dates import PlanDate

    v1 = f.visit(a, when=PlanDate.month(2026, 10))
    v1.purposes = [p1]
    v2 = f.visit(b, when=PlanDate.month(2026, 12), status="cancelled", status_reason="Карантин")
    v2.purposes = [p2]
    f.visit(b, when=PlanDate.month(2027, 2), is_unplanned=True)
    db.session.commit()
    login_as(f.methodologist())

    def rows(query):
        r = client.get(f"/visits/list?{query}", headers=htmx())
        text = r.get_data(as_text=True)
        assert r.status_code == 200 and "<html" not in text
        return text.count("<tr>") - 1 - ("Посещений не найдено." in text)

    assert rows("") == 3
    assert rows(f"school={b.id}") == 2
    assert rows(f"purpose={p1.id}") == 1
    assert rows("purpose=none") == 1
    assert rows("status=cancelled") == 1
    assert rows("month=2026-12") == 1
    assert rows("month=2026-11") == 0
    assert rows("month=bad&status=zzz&school=x") == 3
    full = client.get("/visits/list").get_data(as_text=True)
    assert "<html" in full and "Карантин" in full
    assert client.get("/visits/list?year=1999").status_code == 404


def test_librarian_planner_shows_own_school_only_and_archive_is_read_only(demo, client):
    _login(client, "aleksandrova")
    page = client.get("/visits").get_data(as_text=True)
    assert "ГБОУ №79" in page and "ГБОУ №111" not in page and "Запланировать" not in page
    assert "справка готова" in page
    _login(client, "metodist")
    archive = _year(2015)
    purpose = archive.visit_purposes[0]
    r = client.post("/visits/plan-cell", data={"school": purpose.targets[0].organization_id,
                                               "purpose": purpose.id, "month": "2015-10"})
    assert r.status_code == 409 and "Архивный год" in r.get_data(as_text=True)
    assert client.get("/visits/new?year=2015").status_code == 409
