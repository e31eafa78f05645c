"""The home pages' «how many in all» figures beyond the eight rows each list shows, read in one statement, and
the pages' statement counts (the methodologist's desk went over the benchmark's 12)."""

from __future__ import annotations

import re
from datetime import timedelta

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.main.home import LIST_LIMIT
from mo_app.models import ConsultationRequest, Recommendation, VisitReport
from mo_app.models.base import utcnow
from mo_app.results.queries import today

from .plan_helpers import count_queries, current_start, populate


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.find("</article>", start)]


def _badge(section: str) -> int:
    return int(re.search(r'<span class="badge[^"]*">(\d+)</span>', section).group(1))


def test_methodologist_counts_beyond_the_list(app, client, f, login_as):
    now = today()
    year = f.year(current_start())
    school = f.school("79")
    librarian = f.librarian(school)
    methodologist = f.methodologist()
    methodologist.previous_login_at = utcnow() - timedelta(days=1)
    visit = f.visit(school, year, when=PlanDate("day", now))
    db.session.add(VisitReport(visit_id=visit.id, status="draft"))
    # overdue recommendations are of a final справка (visits/queries.py)
    older = f.visit(school, year, when=PlanDate("day", now - timedelta(days=40)), status="finalised")
    report = VisitReport(visit_id=older.id, status="final")
    db.session.add(report)
    db.session.flush()
    for n in range(LIST_LIMIT + 3):
        db.session.add(ConsultationRequest(year_id=year.id, user_id=librarian.id, topic=f"Запрос {n}"))
        db.session.add(Recommendation(report_id=report.id, organization_id=school.id, text=f"Рекомендация {n}",
                                      deadline=now - timedelta(days=n + 1)))
    for n in range(LIST_LIMIT + 1):
        ev = f.event(year, title=f"Семинар {n}", when=PlanDate("day", now + timedelta(days=n + 1)), capacity=3)
        f.registration(ev, f.librarian(school))
    db.session.commit()
    login_as(methodologist)
    html = client.get("/").get_data(as_text=True)
    requests, overdue = _section(html, "home-requests"), _section(html, "home-overdue")
    assert _badge(requests) == LIST_LIMIT + 3 and f"Всего {LIST_LIMIT + 3}." in requests
    assert requests.count("<li>") == LIST_LIMIT
    assert _badge(overdue) == LIST_LIMIT + 3 and f"Всего {LIST_LIMIT + 3}." in overdue
    assert _badge(_section(html, "home-signups")) == LIST_LIMIT + 1
    assert _badge(_section(html, "home-drafts")) == 1
    assert _badge(_section(html, "home-visits")) == 1
    events = _section(html, "home-events")
    assert events.count("1 из 3") == LIST_LIMIT  # each event's own seat count


def test_librarian_greeting_names_the_school_and_counts_recommendations(app, client, f, login_as):
    school = f.school("111", name="ГБОУ средняя школа №111 Невского района")
    me = f.librarian(school)
    visit = f.visit(school, f.year(current_start()), status="finalised")
    report = VisitReport(visit_id=visit.id, status="final")
    db.session.add(report)
    db.session.flush()
    for n in range(LIST_LIMIT + 2):
        db.session.add(Recommendation(report_id=report.id, organization_id=school.id, text=f"Рекомендация {n}"))
    db.session.commit()
    login_as(me)
    html = client.get("/").get_data(as_text=True)
    assert ", ГБОУ средняя школа №111 Невского района." in html
    assert _badge(_section(html, "home-recommendations")) == LIST_LIMIT + 2
    login_as(f.user("librarian"))  # no school: no greeting's school, no recommendations
    html = client.get("/").get_data(as_text=True)
    assert "<p>Библиотекарь.\n" in html and _badge(_section(html, "home-recommendations")) == 0


def test_home_pages_statements(app, client, f, login_as):
    """The methodologist's desk: the user, six lists, one statement of counts; the librarian's: the user, five
    lists, one of counts, the school's name and the events to rate («Оцените мероприятие»)."""
    methodologist = f.methodologist()
    data = populate(f, 4)
    login_as(methodologist)
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    assert len(statements) <= 8
    login_as(data["people"][0])
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    assert len(statements) <= 8
