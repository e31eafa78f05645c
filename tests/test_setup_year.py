"""A real database's school years: setup makes the current one, a new one comes only from /plan/new-year, and
until then the home pages say the year has ended. Nothing of the demo ever appears."""

from __future__ import annotations

from datetime import date

from mo_app import dates
from mo_app.auth.sessions import open_session
from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    ConsultationRequest,
    Event,
    Goal,
    Organization,
    Registration,
    SchoolYear,
    User,
    Visit,
)
from mo_app.setup.services import SetupData, complete_setup

from .test_setup import GOOD_PASSWORD, setup_form


def _set_up_last_year(app) -> User:
    """Setup done during the previous school year (as if the app was started a year ago)."""
    last_start = dates.school_year_start(dates.today()) - 1
    data = SetupData(**{k: v for k, v in setup_form().items() if k != "confirm"})
    user = complete_setup(data, date(last_start, 10, 1))
    app.extensions["mo_setup"].done = True
    return user


def _demo_rows() -> dict:
    return {
        "sample accounts": db.session.scalar(db.select(db.func.count()).where(User.is_sample.is_(True))),
        "organizations": db.session.scalar(db.select(db.func.count()).select_from(Organization)),
        "registrations": db.session.scalar(db.select(db.func.count()).select_from(Registration)),
        "visits": db.session.scalar(db.select(db.func.count()).select_from(Visit)),
        "best practice": db.session.scalar(db.select(db.func.count()).select_from(BestPractice)),
        "consultations": db.session.scalar(db.select(db.func.count()).select_from(ConsultationRequest)),
        "archive years": db.session.scalar(db.select(db.func.count()).where(SchoolYear.is_archive.is_(True))),
    }


NO_DEMO = {"sample accounts": 0, "organizations": 0, "registrations": 0, "visits": 0, "best practice": 0,
           "consultations": 0, "archive years": 0}


def test_the_home_pages_say_the_year_has_ended_until_a_new_one_is_started(blank, client, login_as, f):
    boss = _set_up_last_year(blank)
    last = db.session.scalar(db.select(SchoolYear))
    goal = f.goal(last, title="Повышение квалификации")
    f.event(last, title="Семинар прошлого года", goal_id=goal.id, when=date(last.start_year + 1, 2, 10))
    assert _demo_rows() == NO_DEMO

    login_as(boss)
    home = client.get("/").get_data(as_text=True)
    assert f"{last.title} учебный год закончился 31 августа" in home
    assert 'href="/plan/new-year"' in home
    school = f.school("79")
    librarian = f.librarian(school)
    lib_client = client.application.test_client()
    with lib_client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = open_session(librarian), True
    lib_home = lib_client.get("/").get_data(as_text=True)
    assert f"{last.title} учебный год закончился" in lib_home and "методист ещё не составил" in lib_home
    assert "/plan/new-year" not in lib_home

    # Nothing made the new year meanwhile: only the methodologist does, at /plan/new-year.
    assert db.session.scalar(db.select(db.func.count()).select_from(SchoolYear)) == 1
    r = client.post(f"/plan/new-year?year={last.start_year}", data={})
    assert r.status_code == 303
    new = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == last.start_year + 1))
    assert new.is_current
    assert "учебный год закончился" not in client.get("/").get_data(as_text=True)
    assert "учебный год закончился" not in lib_client.get("/").get_data(as_text=True)

    # The new year is the old plan moved on, and nothing of the demo came with it.
    events = db.session.scalars(db.select(Event).where(Event.year_id == new.id)).all()
    assert [e.title for e in events] == ["Семинар прошлого года"]
    assert [g.title for g in db.session.scalars(db.select(Goal).where(Goal.year_id == new.id))] == [
        "Повышение квалификации"]
    assert {**_demo_rows(), "organizations": 0} == NO_DEMO
    assert set(db.session.scalars(db.select(User.login))) == {"smirnova", librarian.login}


def test_a_year_in_progress_says_nothing_of_an_end(blank, client):
    client.post("/setup", data=setup_form())
    home = client.get("/").get_data(as_text=True)
    assert "Здравствуйте, Ольга!" in home and "учебный год закончился" not in home
    assert _demo_rows() == NO_DEMO


def test_logging_in_on_a_new_school_year_creates_nothing(blank, client):
    """The first login of September (the old `make run` made the year from the demo plan then): no year."""
    _set_up_last_year(blank)
    assert client.post("/login", data={"login": "smirnova", "password": GOOD_PASSWORD}).status_code == 303
    for path in ("/", "/plan", "/events", "/visits", "/results"):
        assert client.get(path).status_code == 200, path
    assert db.session.scalar(db.select(db.func.count()).select_from(SchoolYear)) == 1
    assert _demo_rows() == NO_DEMO
