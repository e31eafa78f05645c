"""The demo plan: 2015–2016 exactly as the seed, the same plan on the current year, idempotent."""

from collections import Counter

import pytest

from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    Event,
    Goal,
    Organization,
    Registration,
    SchoolYear,
    User,
    VisitPurpose,
    VisitTarget,
)

BEGINNERS = ["Александрова", "Голубева", "Патракова", "Удачина", "Ефремова"]


def _year(start):
    return db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == start))


def _counts():
    return {
        m.__name__: db.session.scalar(db.select(db.func.count()).select_from(m))
        for m in (Organization, User, SchoolYear, Goal, Event, Registration, VisitPurpose, VisitTarget, BestPractice)
    }


def test_people_and_organizations(demo):
    librarians = db.session.scalars(db.select(User).where(User.role == "librarian")).all()
    assert sorted(u.login for u in librarians) == sorted(
        ["aleksandrova", "golubeva", "patrakova", "udachina", "efremova", "meshcheryakova", "zhukova", "kulkova"]
    )
    assert {u.short_name for u in librarians} >= {"Александрова Е.С.", "Жукова С.А.", "Кулькова Е.А."}
    assert sorted(u.last_name for u in librarians if u.is_beginner) == sorted(BEGINNERS)
    zhukova = next(u for u in librarians if u.login == "zhukova")
    assert zhukova.organization.name == "ГБОУ Гимназия №192 «Брюсовская»"
    orgs = db.session.scalars(db.select(Organization)).all()
    assert Counter(o.kind for o in orgs) == {"school": 12, "library": 5, "academy": 1}
    assert {o.number for o in orgs if o.kind == "school"} == {
        "79", "111", "470", "535", "653", "137", "138", "186", "192", "28", "63", "158"
    }
    assert db.session.scalar(db.select(User).where(User.login == "metodist")).role == "methodologist"


@pytest.mark.parametrize("start", [2015, 2026])
def test_each_year_holds_the_seed_plan(demo, start):
    year = _year(start)
    assert year is not None
    assert [g.title for g in year.goals] == [
        "Повышение квалификации",
        "Формирование понимания необходимости расширения информированности школьного библиотекаря, "
        "увеличения контактов в целях сотрудничества",
        "Совершенствование профессионального мастерства, знакомство с опытом",
    ]
    events = db.session.scalars(db.select(Event).where(Event.year_id == year.id)).all()
    assert Counter(e.kind for e in events) == {
        "seminar": 5, "practical_seminar": 2, "meeting": 2, "group_consultation": 5,
        "individual_consultation": 2, "course": 1,
    }
    seminar5 = next(e for e in events if e.title == "Технология организации школьной конференции. Роль библиотеки")
    assert seminar5.venue.number == "192"
    assert seminar5.plan_date.text() == ("январь 2016" if start == 2015 else "январь 2027")
    course = next(e for e in events if e.kind == "course")
    assert course.venue.short_name == "АППО"
    course_people = db.session.scalars(
        db.select(User).join(Registration, Registration.user_id == User.id).where(Registration.event_id == course.id)
    ).all()
    assert sorted(u.last_name for u in course_people) == sorted(BEGINNERS)
    purposes = year.visit_purposes
    assert [len(p.targets) for p in purposes] == [5, 5, 5]
    assert [t.organization.number for t in purposes[1].targets] == ["137", "138", "186", "192", "28"]
    entries = db.session.scalars(
        db.select(BestPractice).where(BestPractice.year_id == year.id).order_by(BestPractice.position)
    ).all()
    assert [e.author.last_name for e in entries] == ["Мещерякова", "Жукова", "Кулькова"]
    assert entries[1].event_id == seminar5.id
    assert entries[1].stage_label == "Обобщение опыта"


def test_archive_dates_as_written_and_current_year_shifted(demo):
    def dates(start):
        year = _year(start)
        rows = db.session.scalars(db.select(Event).where(Event.year_id == year.id).order_by(Event.id))
        return [e.plan_date.text() for e in rows]

    old = dates(2015)
    assert "сентябрь 2015" in old and "октябрь 2015 – март 2016" in old and "дата уточняется" in old
    assert old.count("в течение года") == 5
    assert [d.replace("2015", "2026").replace("2016", "2027") for d in old] == dates(2026)
    assert _year(2026).is_current and not _year(2015).is_current
    meeting = db.session.scalar(
        db.select(Event).where(Event.year_id == _year(2026).id, Event.title.like("Планирование%"))
    )
    assert "на 2027–2028 учебный год" in meeting.title


def test_loading_twice_changes_nothing(demo):
    from datetime import date

    from mo_app.demo import load_demo

    before = _counts()
    assert load_demo(today=date(2026, 11, 26)) == {"archive": False, "current": False}
    assert _counts() == before


def test_demo_logins_work(demo, client):
    for login, password in (("metodist", "metodist"), ("zhukova", "demo")):
        r = client.post("/login", data={"login": login, "password": password})
        assert r.status_code == 303, login
        client.post("/logout")


def test_load_demo_cli(blank, runner):
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    assert "загружены" in result.output
    again = runner.invoke(args=["load-demo"])
    assert "ничего не изменено" in again.output


# ---- the demo apart: loaded once, into an empty database only --------------------------------------------------

def _all_counts():
    from mo_app.models import AppSettings, AuditEntry, Visit

    return {m.__name__: db.session.scalar(db.select(db.func.count()).select_from(m))
            for m in (Organization, User, SchoolYear, Event, Registration, Visit, BestPractice, AppSettings,
                      AuditEntry)}


def _delete_user(login: str) -> None:
    """Delete an account as an administrator would by hand: rows that need it first, references cleared."""
    user_id = db.session.scalar(db.select(User.id).where(User.login == login))
    for table in reversed(db.metadata.sorted_tables):
        for column in table.columns:
            if any(fk.column.table.name == "user" for fk in column.foreign_keys):
                if column.nullable:
                    db.session.execute(table.update().where(column == user_id).values({column.name: None}))
                else:
                    db.session.execute(table.delete().where(column == user_id))
    db.session.execute(db.delete(User).where(User.id == user_id))
    db.session.commit()


def test_the_demo_is_marked_in_its_settings(demo):
    from mo_app.demo import DEMO_ASSOCIATION, DEMO_CENTRE
    from mo_app.models import AppSettings

    settings = db.session.get(AppSettings, 1)
    assert settings.is_demo is True
    assert (settings.association_name, settings.centre_name) == (DEMO_ASSOCIATION, DEMO_CENTRE)
    assert settings.signatory.login == "metodist"


def test_load_demo_again_recreates_no_renamed_deactivated_or_deleted_account(blank, runner):
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    metodist = db.session.scalar(db.select(User).where(User.login == "metodist"))
    metodist.login, metodist.last_name = "smirnova", "Смирнова"
    db.session.scalar(db.select(User).where(User.login == "golubeva")).active = False
    db.session.commit()
    _delete_user("efremova")
    before = _all_counts()
    again = runner.invoke(args=["load-demo"])
    assert again.exit_code == 0, again.output
    assert "Демо-данные уже загружены, ничего не изменено." in again.output
    assert _all_counts() == before
    logins = set(db.session.scalars(db.select(User.login)))
    assert "metodist" not in logins and "efremova" not in logins and "smirnova" in logins
    assert db.session.scalar(db.select(User).where(User.login == "golubeva")).active is False


def test_the_demo_loader_refuses_a_database_set_up_for_real(runner, f):
    """The `app` fixture's database is set up for real (its settings row is not the demo's)."""
    boss = f.methodologist(login="boss")
    before = _all_counts()
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code != 0
    assert "Эта база данных настроена для настоящей работы" in result.output
    assert "make demo" in result.output
    assert _all_counts() == before
    assert db.session.scalar(db.select(User.login).where(User.id != boss.id)) is None


def test_the_demo_loader_refuses_after_the_setup_page(blank, client, runner):
    from .test_setup import setup_form

    assert client.post("/setup", data=setup_form()).status_code == 303
    before = _all_counts()
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 1 and "настроена для настоящей работы" in result.output
    assert _all_counts() == before
    assert set(db.session.scalars(db.select(User.login))) == {"smirnova"}


def test_the_demo_loader_refuses_a_database_with_accounts(blank, runner, f):
    """A database in use since before settings existed (accounts, no settings row) is not the demo's either."""
    f.librarian(login="ivanova")
    before = _all_counts()
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 1 and "уже есть учётные записи" in result.output
    assert _all_counts() == before


def test_the_demo_banner_shows_on_every_page_of_the_demo(demo, client):
    assert "Демонстрационные данные" in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"login": "metodist", "password": "metodist"})
    for path in ("/", "/plan", "/events", "/settings", "/no-such-page"):
        assert 'class="demo-banner"' in client.get(path).get_data(as_text=True), path


def test_no_demo_banner_on_a_real_database(client, f, login_as):
    assert "Демонстрационные данные" not in client.get("/login").get_data(as_text=True)
    login_as(f.methodologist())
    for path in ("/", "/plan", "/settings"):
        assert "demo-banner" not in client.get(path).get_data(as_text=True), path
