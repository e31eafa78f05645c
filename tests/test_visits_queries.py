"""The visit list, the planner, the visit page and the recommendations list load in a fixed number of
queries, whatever the number of visits and recommendations."""

from datetime import date

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import VisitTarget

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
