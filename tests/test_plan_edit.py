"""Editing the plan (goals, visit purposes) and «a new year from last year's»."""

from collections import Counter

from mo_app.extensions import db
from mo_app.models import BestPractice, Event, Goal, Registration, SchoolYear, User, VisitPurpose, VisitTarget

from .conftest import htmx


def _year(start):
    return db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == start))


def _goals(year):
    return [g.title for g in db.session.scalars(
        db.select(Goal).where(Goal.year_id == year.id).order_by(Goal.position))]


def test_goal_add_rename_reorder_delete(app, client, f, login_as):
    year = f.year(2026)
    login_as(f.methodologist())
    r = client.post(f"/plan/years/{year.id}/goals", data={"title": "Повышение квалификации"})
    assert r.status_code == 303
    r = client.post(f"/plan/years/{year.id}/goals", data={"title": "Знакомство с опытом"}, headers=htmx())
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert 'id="goals"' in r.get_data(as_text=True) and "Знакомство с опытом" in r.get_data(as_text=True)
    assert _goals(year) == ["Повышение квалификации", "Знакомство с опытом"]

    second = db.session.scalar(db.select(Goal).where(Goal.title == "Знакомство с опытом"))
    assert client.post(f"/plan/goals/{second.id}/move", data={"direction": "up"}).status_code == 303
    assert _goals(year) == ["Знакомство с опытом", "Повышение квалификации"]

    assert client.post(f"/plan/goals/{second.id}", data={"title": "Совершенствование мастерства"}).status_code == 303
    assert _goals(year)[0] == "Совершенствование мастерства"

    assert client.post(f"/plan/goals/{second.id}/delete").status_code == 303
    assert _goals(year) == ["Повышение квалификации"]


def test_empty_goal_is_refused_in_russian_and_nothing_saved(app, client, f, login_as):
    year = f.year(2026)
    goal = f.goal(year, "Повышение квалификации")
    login_as(f.methodologist())
    r = client.post(f"/plan/years/{year.id}/goals", data={"title": "  "}, headers=htmx())
    assert r.status_code == 422 and "Введите формулировку цели." in r.get_data(as_text=True)
    r = client.post(f"/plan/goals/{goal.id}", data={"title": ""}, headers=htmx())
    assert r.status_code == 422 and "Введите формулировку цели." in r.get_data(as_text=True)
    assert _goals(year) == ["Повышение квалификации"]


def test_goal_with_events_is_not_deleted(app, client, f, login_as):
    year = f.year(2026)
    goal = f.goal(year)
    f.event(year, goal_id=goal.id)
    login_as(f.methodologist())
    r = client.post(f"/plan/goals/{goal.id}/delete", headers=htmx())
    assert r.status_code == 409 and "привязаны мероприятия" in r.get_data(as_text=True)
    assert db.session.get(Goal, goal.id) is not None


def test_bad_move_direction_and_missing_goal(app, client, f, login_as):
    goal = f.goal(f.year(2026))
    login_as(f.methodologist())
    assert client.post(f"/plan/goals/{goal.id}/move", data={"direction": "sideways"}).status_code == 400
    assert client.post("/plan/goals/9999/move", data={"direction": "up"}).status_code == 404


def test_archive_year_is_not_editable(demo, client, login_as):
    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    archive = _year(2015)
    assert client.get("/plan/edit?year=2015").status_code == 409
    r = client.post(f"/plan/years/{archive.id}/goals", data={"title": "Новая цель"})
    assert r.status_code == 409 and "архив" in r.get_data(as_text=True)
    assert len(_goals(archive)) == 3


def test_visit_purpose_with_target_schools(app, client, f, login_as):
    year = f.year(2026)
    s79, s111, s192 = f.school("79"), f.school("111"), f.school("192")
    login_as(f.methodologist())
    page = client.get(f"/plan/years/{year.id}/purposes/new").get_data(as_text=True)
    assert "ГБОУ №79" in page and "ГБОУ №192" in page
    r = client.post(f"/plan/years/{year.id}/purposes/new",
                    data={"title": "Оказание помощи", "schools": [str(s111.id), str(s79.id)]})
    assert r.status_code == 303
    purpose = db.session.scalar(db.select(VisitPurpose).where(VisitPurpose.year_id == year.id))
    assert [t.organization.number for t in purpose.targets] == ["79", "111"]

    r = client.post(f"/plan/purposes/{purpose.id}", data={"title": "Оказание помощи", "schools": [str(s192.id)]})
    assert r.status_code == 303
    db.session.expire_all()
    assert [t.organization.number for t in db.session.get(VisitPurpose, purpose.id).targets] == ["192"]

    r = client.post(f"/plan/purposes/{purpose.id}", data={"title": "", "schools": ["999999"]})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Введите цель посещения." in text

    plan = client.get("/plan?year=2026").get_data(as_text=True)
    assert "Оказание помощи" in plan and "ГБОУ №192" in plan

    assert client.post(f"/plan/purposes/{purpose.id}/delete", headers=htmx()).get_data(as_text=True) == ""
    assert db.session.scalar(db.select(db.func.count(VisitTarget.id))) == 0


# ---- a new year from last year's -------------------------------------------------------------------------------

def _counts(year):
    def n(model, *where):
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))

    return {
        "goals": n(Goal, Goal.year_id == year.id),
        "events": n(Event, Event.year_id == year.id),
        "purposes": n(VisitPurpose, VisitPurpose.year_id == year.id),
        "targets": db.session.scalar(
            db.select(db.func.count(VisitTarget.id)).join(VisitPurpose).where(VisitPurpose.year_id == year.id)),
        "practice": n(BestPractice, BestPractice.year_id == year.id),
        "registrations": db.session.scalar(
            db.select(db.func.count(Registration.id)).join(Event).where(Event.year_id == year.id)),
    }


def _dates(year):
    return [e.plan_date.text() for e in db.session.scalars(
        db.select(Event).where(Event.year_id == year.id).order_by(Event.goal_id, Event.position, Event.id))]


def test_new_year_preview_lists_what_will_be_copied(demo, client, login_as):
    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    r = client.get("/plan/new-year?year=2026")
    text = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "2027–2028 учебный год" in text
    assert "Цели (3)" in text and "Мероприятия (17)" in text and "Посещение ОУ (3)" in text
    # months moved on by a year
    assert "сентябрь 2026" in text and "сентябрь 2027" in text
    assert "октябрь 2027 – март 2028" in text
    # titles naming the next school year move on too
    assert "на 2028–2029 учебный год" in text
    assert text.count('name="entries"') == 3 and text.count("checked") == 3


def test_new_year_copies_plan_and_becomes_current(demo, client, login_as):
    from mo_app.models import BestPractice as BP

    source = _year(2026)
    zhukova = db.session.scalar(db.select(User).where(User.login == "zhukova"))
    proposal = BP(year_id=source.id, topic="Буктрейлеры", goals=["цель"], author_id=zhukova.id, status="proposed")
    db.session.add(proposal)
    db.session.commit()
    before = _counts(source)
    before_dates = _dates(source)
    assert before["registrations"] >= 5  # the course's five, plus the demo's sample sign-ups
    entries = db.session.scalars(db.select(BP).where(BP.year_id == source.id, BP.status == "accepted")).all()

    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    r = client.post("/plan/new-year?year=2026", data={"entries": [str(e.id) for e in entries[:2]]})
    assert r.status_code == 303 and r.headers["Location"] == "/plan?year=2027"

    target = _year(2027)
    db.session.refresh(source)
    assert target.is_current and not source.is_current
    assert target.copied_from_id == source.id
    after = _counts(target)
    assert after == {**before, "practice": 2, "registrations": 0}
    # months shifted by a year, the old year unchanged
    assert _dates(target) == [d.replace("2027", "2028").replace("2026", "2027") for d in before_dates]
    assert _counts(source) == {**before} and _dates(source) == before_dates
    assert Counter(e.kind for e in db.session.scalars(db.select(Event).where(Event.year_id == target.id))) == Counter(
        e.kind for e in db.session.scalars(db.select(Event).where(Event.year_id == source.id)))
    # the seminar at school №192 stays linked to Жукова's entry in the new year
    seminar5 = db.session.scalar(db.select(Event).where(
        Event.year_id == target.id, Event.title.like("Технология организации школьной конференции%")))
    entry = db.session.scalar(db.select(BP).where(BP.year_id == target.id, BP.author_id == zhukova.id))
    assert entry.event_id == seminar5.id
    # the selector shows the new year as current
    html = client.get("/plan").get_data(as_text=True)
    assert '<option value="2027" selected>2027–2028 (текущий)</option>' in html


def test_new_year_twice_is_refused(demo, client, login_as):
    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    assert client.post("/plan/new-year?year=2026").status_code == 303
    r = client.post("/plan/new-year?year=2026")
    assert r.status_code == 409 and "уже есть" in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(SchoolYear.id))) == 3


def test_new_year_with_a_foreign_entry_id_is_422(demo, client, login_as):
    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    r = client.post("/plan/new-year?year=2026", data={"entries": ["99999"]})
    assert r.status_code == 422
    assert _year(2027) is None
