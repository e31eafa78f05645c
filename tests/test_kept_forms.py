"""HTML with forms kept per data stamp (the visit page's recommendations, the recommendations list, the planner
table: {% cache %} blocks): everyone gets the page with their own CSRF token, valid for their own
session, never another's and never the placeholder; a repeat view reads less."""

from __future__ import annotations

import re
from datetime import date, timedelta

from mo_app.auth.sessions import open_session
from mo_app.cache import CSRF_SLOT
from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import Recommendation, VisitTarget

from .conftest import htmx
from .visits_helpers import count_queries, visit_with_report


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


def _get(client, url: str) -> tuple[str, int]:
    with count_queries() as seen:
        r = client.get(url)
    assert r.status_code == 200, url
    return r.get_data(as_text=True), len(seen)


def _world(f):
    school = f.school("79")
    year = f.year()
    purpose = f.purpose(year, "Фонды", position=1)
    db.session.add(VisitTarget(purpose_id=purpose.id, organization_id=school.id))
    earlier = visit_with_report(f, school, recs=2, when=PlanDate("day", date(2026, 9, 20)))
    visit = visit_with_report(f, school, recs=1, when=PlanDate("day", date(2026, 10, 14)))
    db.session.commit()
    return school, visit, earlier, purpose


def test_each_viewer_gets_a_kept_page_with_their_own_valid_token(app, f):
    school, visit, earlier, purpose = _world(f)
    first, second = app.test_client(), app.test_client()
    for client, user in ((first, f.methodologist()), (second, f.methodologist(login="metodist2"))):
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = open_session(user), True
    for url in (f"/visits/{visit.id}", "/recommendations", "/visits"):
        html_1, n_1 = _get(first, url)
        html_2, n_2 = _get(second, url)  # served from what the first view kept
        assert CSRF_SLOT not in html_1 and CSRF_SLOT not in html_2 and "csrf-slot-" not in html_2
        assert n_2 < n_1, url  # kept: fewer statements
        tokens_1, tokens_2 = _tokens(html_1), _tokens(html_2)
        assert len(tokens_1) == 1 and len(tokens_2) == 1 and tokens_1 != tokens_2, url
    # the second viewer's token, read from the kept page, is accepted for their session; the first one's is not
    rec = earlier.report.recommendations[0]
    html, _ = _get(second, f"/visits/{visit.id}")
    token = next(iter(_tokens(html)))
    assert f'id="rec-{rec.id}"' in html
    stolen = next(iter(_tokens(_get(first, f"/visits/{visit.id}")[0])))
    refused = second.post(f"/recommendations/{rec.id}/accept", data={"csrf_token": stolen}, headers=htmx(),
                          csrf=False)
    assert refused.status_code == 400
    accepted = second.post(f"/recommendations/{rec.id}/accept", data={"csrf_token": token}, headers=htmx(),
                           csrf=False)
    assert accepted.status_code == 200 and "Выполнена" in accepted.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).status == "done"


def test_kept_recommendations_follow_a_change_and_the_viewers_role(client, f, login_as):
    school, visit, earlier, purpose = _world(f)
    rec = earlier.report.recommendations[0]
    librarian, methodologist = f.librarian(school), f.methodologist()
    for who, mine, theirs in ((librarian, "Отметить выполненной", "Принять выполнение"),
                              (methodologist, "Принять выполнение", "Отметить выполненной"),
                              (librarian, "Отметить выполненной", "Принять выполнение")):
        login_as(who)  # no change in between: each role gets its own kept rows
        for url in (f"/visits/{visit.id}", "/recommendations"):
            html = _get(client, url)[0]
            assert mine in html and theirs not in html, (who.role, url)
    login_as(librarian)
    client.post(f"/recommendations/{rec.id}/done", data={"comment": "Каталог начат."}, headers=htmx())
    for url in (f"/visits/{visit.id}", "/recommendations"):
        row = re.search(rf'<tr id="rec-{rec.id}".*?</tr>', _get(client, url)[0], re.S).group(0)
        assert "Каталог начат." in row and "Отметить выполненной" not in row, url
    login_as(methodologist)
    row = re.search(rf'<tr id="rec-{rec.id}".*?</tr>', _get(client, f"/visits/{visit.id}")[0], re.S).group(0)
    assert "Вернуть с замечанием" in row  # reported: the methodologist may return it


def test_kept_planner_table_shows_a_planned_visit_and_keeps_librarians_without_forms(client, f, login_as):
    school, visit, earlier, purpose = _world(f)
    login_as(f.methodologist())
    before = _get(client, "/visits")[0]
    assert "Запланировать" in before
    later = f.visit(school, when=PlanDate("day", date.today() + timedelta(days=20)))
    later.purposes = [purpose]
    db.session.commit()
    after = _get(client, "/visits")[0]
    assert f"/visits/{later.id}" in after
    login_as(f.librarian(school))
    table = re.search(r'<table class="planner">.*?</table>', _get(client, "/visits")[0], re.S).group(0)
    assert f"/visits/{later.id}" in table and "<form" not in table  # the methodologist's table is not theirs
