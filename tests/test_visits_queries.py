"""The visit list, the planner, the visit page and the recommendations list load in a fixed number of
queries, whatever the number of visits and recommendations."""

from datetime import date

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import VisitTarget
from mo_app.visits import queries

from .conftest import make_app
from .visits_helpers import count_queries, visit_with_report


def _add_schools(f, year, purposes, n: int, recs: int, day0: int = 1):
    """n schools, each a target of every purpose, with a librarian and three visits (final, draft/final, planned)."""
    schools = [f.school() for _ in range(n)]
    for i, s in enumerate(schools):
        f.librarian(s)
        for p in purposes:
            db.session.add(VisitTarget(purpose_id=p.id, organization_id=s.id))
        db.session.commit()
        visit_with_report(f, s, final=True, recs=recs, purposes=purposes,
                          when=PlanDate("day", date(2026, 10, day0 + i % 20)))
        visit_with_report(f, s, final=i % 2 == 0, recs=recs, purposes=purposes[:1],
                          when=PlanDate("day", date(2026, 11, day0 + i % 20)))
        f.visit(s, when=PlanDate.month(2027, 3))
    return schools


def _count(client, url) -> int:
    with count_queries() as seen:
        r = client.get(url)
    assert r.status_code == 200, url
    return len(seen)


def test_query_counts_do_not_grow_with_visits_and_recommendations(client, f, login_as):
    login_as(f.methodologist())
    year = f.year()
    purposes = [f.purpose(year, f"Цель {i}", position=i) for i in (1, 2)]
    school = _add_schools(f, year, purposes, 2, 1)[0]
    target = f.visit(school, when=PlanDate.month(2027, 4))
    urls = ["/visits/list", "/visits", f"/visits/{target.id}", "/recommendations", "/visits?year=2026"]
    small = [_count(client, u) for u in urls]

    # Ten times the schools and visits, six recommendations a report, and many more earlier visits to `school`.
    _add_schools(f, year, purposes, 20, 6)
    for i in range(10):
        visit_with_report(f, school, recs=6, purposes=purposes, when=PlanDate("day", date(2026, 12, 1 + i)))
    large = [_count(client, u) for u in urls]
    assert small == large, (small, large)
    assert max(large) <= 16
    page = client.get(f"/visits/{target.id}").get_data(as_text=True)
    assert page.count('class="rec-row') == 1 + 1 + 60  # recommendations still open from earlier final reports


def test_librarian_pages_query_counts(client, f, login_as):
    year = f.year()
    purposes = [f.purpose(year)]
    schools = _add_schools(f, year, purposes, 1, 1)
    librarian = schools[0].users[0]
    login_as(librarian)
    urls = ["/visits/list", "/visits", "/recommendations", "/"]
    small = [_count(client, u) for u in urls]
    for i in range(8):
        visit_with_report(f, schools[0], recs=4, purposes=purposes, when=PlanDate("day", date(2026, 12, 1 + i)))
    _add_schools(f, year, purposes, 5, 3)
    assert [_count(client, u) for u in urls] == small


def test_visit_page_lists_each_librarians_courses_and_seminars_of_the_visits_year(client, f, login_as):
    """The school's active librarians, each with their own sign-ups for the year's courses and seminars: not a
    meeting, not a cancelled sign-up, not last year's course, not another school's librarian."""
    year, last_year = f.year(2026), f.year(2025, current=False)
    school, other = f.school(), f.school()
    reader = f.librarian(school, last_name="Читаева")
    quiet = f.librarian(school, last_name="Тихонова")
    f.librarian(school, last_name="Ушедшая", active=False)
    stranger = f.librarian(other, last_name="Чужая")
    shown = [f.event(year, kind, f"{label} этого года") for kind, label in
             (("course", "Курсы"), ("seminar", "Семинар"), ("practical_seminar", "Практикум"))]
    for event in shown:
        f.registration(event, reader)
        f.registration(event, stranger)
    f.registration(f.event(year, "meeting", "Совещание этого года"), reader)
    f.registration(f.event(year, "course", "Курсы, от которых отказалась"), reader, status="cancelled")
    f.registration(f.event(last_year, "course", "Курсы прошлого года"), reader)
    visit = f.visit(school, year)

    with client.application.test_request_context():
        found = queries.school_librarians(visit)
    assert [u.last_name for u in found["librarians"]] == ["Тихонова", "Читаева"]
    assert found["regs_by_user"][quiet.id] == []
    assert sorted(r.event.title for r in found["regs_by_user"][reader.id]) == sorted(e.title for e in shown)

    login_as(f.methodologist())
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    for text in ("Курсы этого года", "Семинар этого года", "Практикум этого года", "Тихонова"):
        assert text in page
    for text in ("Совещание этого года", "отказалась", "прошлого года", "Чужая", "Ушедшая"):
        assert text not in page


def test_visit_page_reads_each_librarians_own_sign_ups_not_the_years_events(tmp_path):
    """On SQLite the statement walks each librarian's sign-ups (their index) and checks each one's event by its
    key. Written as `event_id IN (the year's courses and seminars)` it walked that list for every librarian:
    time that grew with the district's events (a 10× city: 0.6 → 6–9 ms a visit page after any change)."""
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    with app.app_context():
        db.create_all()
        try:
            statement = queries._librarians_statement().params(year_id=1, school_id=1)
            sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql)).all()
        finally:
            db.session.remove()
            db.drop_all()
    steps = [row[-1] for row in plan]
    assert any("registration USING INDEX ix_registration_user_id" in s for s in steps), steps
    assert not any("LIST SUBQUERY" in s for s in steps), steps
