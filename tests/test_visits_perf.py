"""What the city-scale work on the visits pages must not change: the recommendations list paged in SQL (by
deadline, those without one last, counters in one query), the planner's cells drawn in a plain loop like the
htmx cell, the school filters read as plain rows, the state badges and the row links built once a page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import render_template, url_for
from flask_login import login_user
from markupsafe import escape

from mo_app.auth.sessions import open_session
from mo_app.dates import PlanDate, local_datetime, short_date, today
from mo_app.extensions import db
from mo_app.models import Recommendation, ReportVersion, Visit, VisitDateChange, VisitReport, VisitTarget
from mo_app.models.base import utcnow
from mo_app.visits import queries
from mo_app.visits.forms import month_choices
from mo_app.visits.queries import ACTIVE_REC_STATUSES, OVERDUE_STATUSES
from mo_app.web import url_pattern

from .conftest import htmx, without_csrf
from .visits_helpers import count_queries, visit_with_report

TODAY = today()


def _old_query(school_id, status, overdue_only):
    """The list as it was written before it was paged in SQL (ORDER BY over every row, db.paginate)."""
    query = (
        db.select(Recommendation.id)
        .join(Recommendation.report)
        .where(VisitReport.status == "final")
        .order_by(Recommendation.deadline.is_(None), Recommendation.deadline, Recommendation.id)
    )
    if school_id:
        query = query.where(Recommendation.organization_id == school_id)
    if status == "done":
        query = query.where(Recommendation.status == "done")
    elif status != "all":
        query = query.where(Recommendation.status.in_(ACTIVE_REC_STATUSES))
    if overdue_only:
        query = query.where(Recommendation.deadline < TODAY, Recommendation.status.in_(OVERDUE_STATUSES))
    return list(db.session.scalars(query))


def _old_counts(school_id):
    query = db.select(Recommendation).join(Recommendation.report).where(VisitReport.status == "final")
    if school_id:
        query = query.where(Recommendation.organization_id == school_id)
    recs = db.session.scalars(query).all()
    active = [r for r in recs if r.status in ACTIVE_REC_STATUSES]
    overdue = [r for r in active if r.deadline and r.deadline < TODAY and r.status in OVERDUE_STATUSES]
    return {"active": len(active), "overdue": len(overdue),
            "reported": sum(1 for r in recs if r.status == "reported")}


@pytest.fixture
def recs(f):
    """Two schools' recommendations of final reports in every status, with and without a deadline, several on
    one day, ids not in deadline order; and a draft's recommendations, which the list never shows."""
    a, b = f.school("79"), f.school("111")
    deadlines = [TODAY - timedelta(days=40), None, TODAY + timedelta(days=5), TODAY - timedelta(days=3), None,
                 TODAY + timedelta(days=5), TODAY - timedelta(days=40), TODAY + timedelta(days=90)]
    statuses = ["open", "reported", "done", "returned", "open", "done", "reported", "open"]
    for i in range(3):
        for school in (a, b):
            visit = visit_with_report(f, school, recs=len(deadlines),
                                      when=PlanDate("day", date(2026, 9, 10 + i)))
            for rec, deadline, status in zip(visit.report.recommendations, deadlines[i:] + deadlines[:i],
                                             statuses, strict=True):
                rec.deadline, rec.status = deadline, status
    draft = visit_with_report(f, a, final=False, recs=4, deadline=TODAY - timedelta(days=1))
    draft.report.recommendations[0].status = "reported"
    db.session.commit()
    return {"a": a, "b": b}


@pytest.mark.parametrize("status", ["active", "done", "all"])
@pytest.mark.parametrize("overdue_only", [False, True])
@pytest.mark.parametrize("per_page", [3, 5, 50])
def test_recommendation_pages_follow_the_old_order(app, recs, status, overdue_only, per_page):
    """Every page, for every filter and page size, holds what the old ORDER BY over all rows put there —
    including the pages where the recommendations with a deadline end and those without one begin."""
    for school in (None, recs["a"].id):
        expected = _old_query(school, status, overdue_only)
        assert expected or overdue_only and status == "done"
        pages = -(-len(expected) // per_page)
        seen = []
        with app.test_request_context():
            for number in range(1, pages + 1):
                page, counts = queries.recommendations_page(school, status, overdue_only, TODAY, number, per_page)
                assert (page.total, page.pages, page.page) == (len(expected), pages, number)
                assert page.has_prev == (number > 1) and page.has_next == (number < pages)
                seen += [r.id for r in page.items]
            # a number past the end is the last page
            past, counts = queries.recommendations_page(school, status, overdue_only, TODAY, pages + 5, per_page)
            assert {k: counts[k] for k in ("active", "overdue", "reported")} == _old_counts(school)
            assert past.page == max(pages, 1)
            assert [r.id for r in past.items] == (expected[(pages - 1) * per_page:] if pages else [])
        assert seen == expected, (school, status, overdue_only)


def test_recommendations_page_shows_the_old_rows_and_counters(client, f, login_as, recs):
    """Over HTTP: the rows of a page in order, the counters without the draft's recommendations, the pager."""
    login_as(f.methodologist())
    for query, school in (("", None), (f"school={recs['a'].id}&status=all", recs["a"].id)):
        status = "all" if "status=all" in query else "active"
        text = client.get(f"/recommendations?{query}").get_data(as_text=True)
        assert re.findall(r'<tr id="rec-(\d+)"', text) == [str(i) for i in _old_query(school, status, False)]
        counts = _old_counts(school)
        assert f"выполняется {counts['active']}, из них" in text
        assert f"просрочено {counts['overdue']}</span>" in text
        assert f"ждут проверки методиста {counts['reported']}." in text
    fragment = client.get("/recommendations?page=2&status=all", headers=htmx()).get_data(as_text=True)
    first = client.get("/recommendations?status=all", headers=htmx()).get_data(as_text=True)
    # 48 rows: one page, and page 2 is the last one (tokens blanked: a token carries the second it was made)
    assert "<html" not in fragment and without_csrf(fragment) == without_csrf(first)
    assert client.get("/recommendations?page=x").status_code == 200


def test_recommendations_pager_past_the_end_and_huge_numbers(client, f, login_as, recs):
    """A page past the last is the last page (not an error, not an empty list), and so is an absurd number."""
    login_as(f.methodologist())
    expected = [str(i) for i in _old_query(None, "all", False)]
    for number in ("3", str(10**30), "-2", "x"):
        text = client.get(f"/recommendations?status=all&page={number}").get_data(as_text=True)
        assert re.findall(r'<tr id="rec-(\d+)"', text) == expected, number


def test_sixty_recommendations_page_in_fifties(client, f, login_as):
    """With more than one page, page 2 continues where page 1 stopped and the pager links keep the filters."""
    school = f.school()
    visit_with_report(f, school, recs=60, deadline=TODAY + timedelta(days=9))
    for i, rec in enumerate(db.session.scalars(db.select(Recommendation).order_by(Recommendation.id))):
        rec.deadline = None if i % 7 == 0 else TODAY + timedelta(days=i % 5)
    db.session.commit()
    login_as(f.methodologist())
    expected = [str(i) for i in _old_query(None, "active", False)]
    one = client.get("/recommendations").get_data(as_text=True)
    two = client.get(f"/recommendations?page=2&school={school.id}").get_data(as_text=True)
    assert re.findall(r'<tr id="rec-(\d+)"', one) == expected[:50]
    assert re.findall(r'<tr id="rec-(\d+)"', two) == expected[50:]
    assert "страница 1 из 2" in one and "страница 2 из 2" in two
    assert f'href="/recommendations?page=1&amp;status=active&amp;overdue=&amp;school={school.id}"' in two


def test_recommendation_rows_link_as_url_for_does(app, client, f, login_as, recs):
    """The row links built from one pattern a table are those url_for builds for each row."""
    login_as(f.methodologist())
    text = client.get("/recommendations?status=all").get_data(as_text=True)
    rec = db.session.scalar(db.select(Recommendation).where(Recommendation.status == "reported")
                            .join(Recommendation.report).where(VisitReport.status == "final"))
    with app.test_request_context():
        for endpoint in ("visits.rec_accept", "visits.rec_return"):
            assert f'action="{url_for(endpoint, rec_id=rec.id)}"' in text
        assert f'href="{url_for("visits.show", visit_id=rec.report.visit_id)}"' in text
        assert url_pattern("visits.rec_done", "rec_id") % 12 == url_for("visits.rec_done", rec_id=12)
    lib = f.librarian(recs["a"])
    login_as(lib)
    mine = client.get("/recommendations").get_data(as_text=True)
    own = db.session.scalar(db.select(Recommendation).where(Recommendation.status == "open",
                                                            Recommendation.organization_id == recs["a"].id))
    assert f'hx-post="/recommendations/{own.id}/done"' in mine and "ГБОУ №111" not in mine
    assert 'name="school"' not in mine  # no school filter for a librarian


def test_school_filters_list_the_active_schools_and_mark_the_chosen_one(client, f, login_as):
    a, b = f.school("79"), f.school("5")
    f.school("6", is_active=False)
    f.venue("Библиотека им. Пушкина")
    f.year()
    login_as(f.methodologist())
    for url, selected in ((f"/visits/list?school={b.id}", b), (f"/recommendations?school={b.id}", b),
                          ("/visits/list", None), ("/recommendations?school=x", None)):
        text = client.get(url).get_data(as_text=True)
        select = text[text.index('<select name="school">'):]
        select = select[:select.index("</select>")]
        options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', select)
        assert [(v, name) for v, _, name in options] == [("", "все"), (str(b.id), "ГБОУ №5"), (str(a.id), "ГБОУ №79")]
        assert [v for v, mark, _ in options if mark] == ([str(selected.id)] if selected else []), url
    # The list compares the text as before: "05" filters by school 5 but marks no option.
    assert " selected>" not in client.get(f"/visits/list?school=0{b.id}").get_data(as_text=True).split(
        '<select name="school">')[1].split("</select>")[0]


def _badge_macro(visit) -> str:
    """The state badge as the removed Jinja macro (visits/_macros.html state_badge) printed it."""
    r = visit.report
    if visit.status == "finalised":
        return '<span class="badge ok">справка готова</span>'
    if visit.status == "held":
        return f'<span class="badge warn">проведено{", справка — черновик" if r else ""}</span>'
    if visit.status == "cancelled":
        return '<span class="badge bad">отменено</span>'
    if visit.status == "postponed":
        return '<span class="badge warn">перенесено</span>'
    return '<span class="badge">запланировано</span>'


def test_visit_badge_prints_what_the_macro_did(f):
    school = f.school()
    visits = [f.visit(school, status=s) for s in ("planned", "held", "cancelled", "postponed", "odd")]
    visits += [visit_with_report(f, school, final=False), visit_with_report(f, school, final=True)]
    for visit in visits:
        assert str(queries.visit_badge(visit)) == _badge_macro(visit), visit.status


@pytest.fixture
def planner(f):
    """A year with two purposes; schools that are targets, visited, both, with visits in every state."""
    year = f.year()
    p1, p2 = f.purpose(year, "Помощь малоопытным", position=1), f.purpose(year, "Фонды", position=2)
    t1, t2, v1 = f.school("79"), f.school("111"), f.school("5")
    for school, purpose in ((t1, p1), (t1, p2), (t2, p2)):
        db.session.add(VisitTarget(purpose_id=purpose.id, organization_id=school.id))
    db.session.commit()
    held = visit_with_report(f, t1, final=False, purposes=[p1], when=PlanDate.month(2026, 10))
    done = visit_with_report(f, t1, final=True, purposes=[p1, p2], when=PlanDate("day", date(2026, 9, 20)))
    f.visit(t2, when=PlanDate.month(2026, 11), status="postponed", status_reason="карантин").purposes = [p2]
    f.visit(v1, when=PlanDate.month(2026, 12), status="cancelled").purposes = [p1]
    f.visit(v1, when=PlanDate.month(2027, 1), is_unplanned=True)
    db.session.commit()
    return {"year": year, "purposes": [p1, p2], "schools": [t1, t2, v1], "visits": [held, done]}


def _cells(html: str) -> dict[str, str]:
    """The planner cells of a page by id, whitespace and CSRF tokens evened out."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)
    return {m.group(1): re.sub(r"\s+", " ", re.sub(r">\s+<", "><", m.group(0))).strip()
            for m in re.finditer(r'<td id="(cell-\d+-\d+)".*?</td>', html, re.S)}


def test_planner_cells_are_drawn_like_the_htmx_cell(app, client, f, login_as, planner):
    """The planner draws its cells in a loop; the htmx reply draws one with visits/_cell_macro.html: the two
    print the same cell for every school × purpose (targets with a form, visits in every state, empty)."""
    metodist = f.methodologist()
    login_as(metodist)
    page = _cells(client.get("/visits").get_data(as_text=True))
    assert len(page) == 3 * 2
    year = planner["year"]
    targets = {(t.organization_id, t.purpose_id) for t in db.session.scalars(db.select(VisitTarget))}
    with app.test_request_context("/visits"):
        open_session(metodist)
        login_user(metodist)
        for school in planner["schools"]:
            for purpose in planner["purposes"]:
                alone = render_template(
                    "visits/_cell.html", school=school, purpose=purpose, form=None, year=year,
                    visits=queries.cell_visits(school.id, purpose.id),
                    is_target=(school.id, purpose.id) in targets, months=month_choices(year.start_year),
                )
                key = f"cell-{school.id}-{purpose.id}"
                assert _cells(alone) == {key: page[key]}
    text = client.get("/visits").get_data(as_text=True)
    assert text.count('class="planner-cell target"') == 3 and text.count("Запланировать</button>") == 3
    assert "проведено, справка — черновик" in text and "справка готова" in text and "перенесено" in text
    assert "внеплановое" not in text and "1 января 2027" not in text  # unplanned: in the last column
    assert 'января 2027' in text or "январь 2027" in text


def test_planner_cell_reply_still_matches_after_planning(client, f, login_as, planner):
    login_as(f.methodologist())
    school, purpose = planner["schools"][1], planner["purposes"][1]
    reply = client.post("/visits/plan-cell", data={"school": school.id, "purpose": purpose.id, "month": "2027-03"},
                        headers=htmx()).get_data(as_text=True)
    page = _cells(client.get("/visits").get_data(as_text=True))
    assert _cells(reply) == {f"cell-{school.id}-{purpose.id}": page[f"cell-{school.id}-{purpose.id}"]}
    assert "март 2027" in reply


def test_planner_shows_only_the_librarians_school_and_no_forms(client, f, login_as, planner):
    login_as(f.librarian(planner["schools"][0]))
    text = client.get("/visits").get_data(as_text=True)
    assert set(re.findall(r'id="cell-(\d+)-', text)) == {str(planner["schools"][0].id)}
    assert "Запланировать" not in text and "csrf_token" not in text.split("<tbody>")[1]


def test_visit_list_links(client, f, login_as, planner):
    login_as(f.methodologist())
    text = client.get("/visits/list").get_data(as_text=True)
    held, done = planner["visits"]
    assert f'<a href="/visits/{held.id}">октябрь 2026</a>' in text
    assert f'<a href="/visits/{done.id}/report.pdf" hx-boost="false">справка</a>' in text
    assert text.count("справка — черновик") == 1 and text.count("черновик</td>") == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Visit)) == 5


def _row(html: str, rec_id: int) -> str:
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)
    row = re.search(rf'<tr id="rec-{rec_id}".*?</tr>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", row))


def test_a_changed_recommendation_row_is_the_lists_row(client, f, login_as, recs):
    """After a change the htmx reply (and the full page of a form with errors) draw the row the list draws."""
    lib = f.librarian(recs["a"])
    rec = db.session.scalar(db.select(Recommendation).join(Recommendation.report).where(
        Recommendation.status == "open", Recommendation.organization_id == recs["a"].id,
        VisitReport.status == "final"))
    login_as(lib)
    bad = client.post(f"/recommendations/{rec.id}/done", data={"comment": ""})
    assert bad.status_code == 422 and "<html" in bad.get_data(as_text=True)
    assert "Опишите, что сделано." in _row(bad.get_data(as_text=True), rec.id)
    reply = client.post(f"/recommendations/{rec.id}/done", data={"comment": "Каталог начат."}, headers=htmx())
    listed = client.get("/recommendations").get_data(as_text=True)
    assert _row(reply.get_data(as_text=True), rec.id) == _row(listed, rec.id)
    login_as(f.methodologist())
    reply = client.post(f"/recommendations/{rec.id}/return", data={"note": "Ещё нет."}, headers=htmx())
    visit_page = client.get(f"/visits/{rec.report.visit_id}").get_data(as_text=True)
    assert _row(reply.get_data(as_text=True), rec.id) == _row(visit_page, rec.id)
    assert "Ещё нет." in _row(visit_page, rec.id)


def _commit_elsewhere(sql: str, **params) -> None:
    """A change made on another connection, as another worker process would make it."""
    from sqlalchemy import text

    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_kept_counters_and_schools_see_a_change(client, f, login_as, recs):
    """The counters and the school filter are kept per data stamp: a change made anywhere shows at once."""
    login_as(f.methodologist())
    before = client.get("/recommendations").get_data(as_text=True)
    counts = _old_counts(None)
    assert f"ждут проверки методиста {counts['reported']}." in before
    rec = db.session.scalar(db.select(Recommendation).where(Recommendation.status == "open")
                            .join(Recommendation.report).where(VisitReport.status == "final"))
    _commit_elsewhere("UPDATE recommendation SET status = 'reported' WHERE id = :id", id=rec.id)
    after = client.get("/recommendations").get_data(as_text=True)
    assert f"ждут проверки методиста {counts['reported'] + 1}." in after
    assert f"выполняется {counts['active']}, из них" in after
    _commit_elsewhere("UPDATE organization SET short_name = 'ГБОУ №79 (лицей)' WHERE id = :id", id=recs["a"].id)
    for url in ("/recommendations", "/visits/list"):
        text = client.get(url).get_data(as_text=True)
        assert f'<option value="{recs["a"].id}">ГБОУ №79 (лицей)</option>' in text, url
    f.school("7")
    assert ">ГБОУ №7</option>" in client.get("/visits/list").get_data(as_text=True)


def test_kept_planner_sees_a_change_and_keeps_viewers_apart(client, f, login_as, planner):
    """The planner's data is kept per data stamp and viewer's school: a change shows on the next request, and a
    librarian never gets the methodologist's schools (nor the reverse)."""
    metodist = f.methodologist()
    t1, t2, v1 = planner["schools"]
    login_as(metodist)
    assert "перенесено" in client.get("/visits").get_data(as_text=True)
    _commit_elsewhere("UPDATE visit SET status = 'cancelled' WHERE status = 'postponed'")
    text = client.get("/visits").get_data(as_text=True)
    assert "перенесено" not in text and text.count("отменено") == 2
    login_as(f.librarian(t2))
    mine = client.get("/visits").get_data(as_text=True)
    assert set(re.findall(r'id="cell-(\d+)-', mine)) == {str(t2.id)} and "Запланировать" not in mine
    login_as(metodist)
    assert set(re.findall(r'id="cell-(\d+)-', client.get("/visits").get_data(as_text=True))) == \
        {str(t1.id), str(t2.id), str(v1.id)}
    new = f.school("999")
    db.session.add(VisitTarget(purpose_id=planner["purposes"][0].id, organization_id=new.id))
    db.session.commit()
    assert f'id="cell-{new.id}-{planner["purposes"][0].id}"' in client.get("/visits").get_data(as_text=True)


def test_kept_visit_list_sees_a_change_and_keeps_viewers_apart(client, f, login_as, planner):
    """The rendered list is kept per data stamp, viewer and query: a change shows at once, the librarian
    sees neither other schools nor the methodologist's «черновик», a filter is not served another's rows."""
    held, done = planner["visits"]
    metodist = f.methodologist()
    login_as(metodist)
    full = client.get("/visits/list").get_data(as_text=True)
    assert "Найдено: 5 посещений." in full and "черновик</td>" in full
    fragment = client.get("/visits/list?status=held", headers=htmx()).get_data(as_text=True)
    assert "<html" not in fragment and "Найдено: 1 посещение." in fragment
    _commit_elsewhere("UPDATE visit SET status = 'cancelled', status_reason = 'карантин' WHERE id = :id", id=held.id)
    assert "Найдено: 0 посещений." in client.get("/visits/list?status=held", headers=htmx()).get_data(as_text=True)
    assert "карантин" in client.get("/visits/list").get_data(as_text=True)
    login_as(f.librarian(planner["schools"][0]))
    mine = client.get("/visits/list").get_data(as_text=True)
    assert "Найдено: 2 посещения." in mine and "черновик</td>" not in mine and "ГБОУ №111" not in mine


def test_kept_visit_page_sections_see_a_change(client, f, login_as, planner):
    """The visit page's librarians and earlier visits are kept rendered per data stamp: a new sign-up, a
    renamed librarian or another visit to the school shows on the next request."""
    t1 = planner["schools"][0]
    held, done = planner["visits"]
    lib = f.librarian(t1, last_name="Андреева", initials="А.А.")
    login_as(f.methodologist())
    page = client.get(f"/visits/{held.id}").get_data(as_text=True)
    assert "Андреева" in page and "Курсов и семинаров в этом году нет." in page
    assert f'href="/visits/{done.id}"' in page
    f.registration(f.event(planner["year"], title="Семинар о каталогах"), lib)
    _commit_elsewhere('UPDATE "user" SET last_name = :name WHERE id = :id', name="Андреева-Петрова", id=lib.id)
    page = client.get(f"/visits/{held.id}").get_data(as_text=True)
    assert "Андреева-Петрова" in page and "Семинар о каталогах" in page
    earlier = f.visit(t1, when=PlanDate.month(2026, 9), status="cancelled")
    assert f'href="/visits/{earlier.id}"' in client.get(f"/visits/{held.id}").get_data(as_text=True)
    login_as(lib)  # the same sections for the school's librarian
    mine = client.get(f"/visits/{held.id}").get_data(as_text=True)
    assert "Семинар о каталогах" in mine and f'href="/visits/{earlier.id}"' in mine


def test_school_options_are_kept_rendered_once_for_every_selection(app, client, f, login_as, recs):
    """The filter's 700 options are rendered once per data stamp, one kept text for all selections (the
    selected one is marked in a copy); a renamed or added school shows on the next request."""
    from mo_app.cache import fragments

    login_as(f.methodologist())
    client.get(f"/recommendations?school={recs['b'].id}")
    with count_queries() as seen:
        text = client.get(f"/recommendations?school={recs['a'].id}").get_data(as_text=True)
    assert not [s for s in seen if re.search(r"FROM organization\s+WHERE organization.kind", s)]  # no options query
    options = text[text.index('<select name="school">'):text.index("</select>", text.index('<select name="school">'))]
    assert f'<option value="{recs["a"].id}" selected>ГБОУ №79</option>' in options
    assert options.count(" selected") == 1
    kept = [v for k, (v, _) in fragments()._items.items() if k == ("visits.school_options",)]
    assert len(kept) == 1 and isinstance(kept[0], str) and " selected" not in kept[0]
    _commit_elsewhere("UPDATE organization SET short_name = 'ГБОУ №79 (лицей)' WHERE id = :id", id=recs["a"].id)
    text = client.get(f"/recommendations?school={recs['a'].id}").get_data(as_text=True)
    assert f'<option value="{recs["a"].id}" selected>ГБОУ №79 (лицей)</option>' in text
    new = f.school("7")
    text = client.get(f"/visits/list?school={new.id}").get_data(as_text=True)
    assert f'<option value="{new.id}" selected>ГБОУ №7</option>' in text


def _rec_row_expected(rec: Recommendation, role: str) -> list[str]:
    """What a recommendation's row shows, read from the ORM object (as the row was drawn before)."""
    overdue = rec.deadline and rec.deadline < TODAY and rec.status in OVERDUE_STATUSES
    bits = [f'<tr id="rec-{rec.id}" class="rec-row status-{rec.status}{" is-overdue" if overdue else ""}">',
            f"<td>{escape(rec.organization.short_name)}</td>", f'<span class="text">{escape(rec.text)}</span>',
            f'<a href="/visits/{rec.report.visit_id}">посещение: {rec.report.visit.plan_date.text()}</a>',
            f">{rec.status_label}</span>",
            f'<td data-label="Ответственный">{escape(rec.responsible)}</td>' if rec.responsible else "<td></td>"]
    if not rec.deadline:
        bits.append('<td data-label="Срок">—</td>')
    elif overdue:
        bits.append(f'<span class="overdue" title="Срок прошёл">{short_date(rec.deadline)}</span><br>'
                    '<small class="overdue">просрочено</small>')
    else:
        bits.append(f"<span>{short_date(rec.deadline)}</span>")
    if rec.librarian_comment:
        bits.append(f'Библиотекарь: <span class="text">{escape(rec.librarian_comment)}</span> '
                    f"({local_datetime(rec.reported_at)})")
    if rec.review_note:
        bits.append(f'Методист: <span class="text">{escape(rec.review_note)}</span>')
    forms = {"done": role == "librarian" and rec.status in ("open", "returned"),
             "accept": role == "methodologist" and rec.status != "done",
             "return": role == "methodologist" and rec.status == "reported"}
    for action, shown in forms.items():
        bits.append((f'hx-post="/recommendations/{rec.id}/{action}"', shown))
    return bits


def test_recommendation_rows_show_the_same_in_each_role_and_status(client, f, login_as, recs):
    """The rows are read as plain columns (queries.ListedRec): every status, with and without a deadline, a
    comment or a note, shows its school, visit, deadline, state and the role's forms, the same on the list, on
    the visit page and in the htmx reply."""
    for rec in db.session.scalars(db.select(Recommendation)):
        if rec.status in ("reported", "done"):
            rec.librarian_comment, rec.reported_at = f"Сделано <{rec.id}> & всё", utcnow()
        if rec.status == "returned":
            rec.review_note = f"Ещё нет <b>{rec.id}</b>"
    db.session.commit()
    shown = db.session.scalars(db.select(Recommendation).join(Recommendation.report).where(
        VisitReport.status == "final", Recommendation.organization_id == recs["a"].id)).all()
    assert {r.status for r in shown} == {"open", "reported", "done", "returned"}
    assert {r.deadline is None for r in shown} == {True, False}
    for role, user in (("methodologist", f.methodologist()), ("librarian", f.librarian(recs["a"]))):
        login_as(user)
        listed = client.get("/recommendations?status=all").get_data(as_text=True)
        for rec in shown:
            row = _row(listed, rec.id)
            for bit in _rec_row_expected(rec, role):
                if isinstance(bit, tuple):
                    assert (bit[0] in row) == bit[1], (role, rec.status, bit)
                else:
                    assert bit in row, (role, rec.status, bit)
            if rec.status in ACTIVE_REC_STATUSES:  # the visit page lists its report's rows and the open ones
                page = client.get(f"/visits/{rec.report.visit_id}").get_data(as_text=True)
                assert _row(page, rec.id) == row
    login_as(f.methodologist())
    rec = next(r for r in shown if r.status == "open")
    reply = client.post(f"/recommendations/{rec.id}/accept", headers=htmx()).get_data(as_text=True)
    assert "<html" not in reply and ">Выполнена</span>" in reply
    assert _row(reply, rec.id) == _row(client.get("/recommendations?status=all").get_data(as_text=True), rec.id)


def test_visit_page_reads_few_statements_when_its_sections_are_kept(client, f, login_as):
    """A kept visit page reads the visit, its purposes, the recommendations (one plain query) and the year's
    purposes: not the report's items, recommendations, versions or the date changes, however many there are."""
    metodist = f.methodologist()
    login_as(metodist)
    school = f.school()
    f.librarian(school)
    visit = visit_with_report(f, school, recs=3, by=metodist)
    for n in range(1, 4):
        db.session.add(VisitDateChange(visit_id=visit.id, old_kind="month", old_start=date(2026, 9, 1), new_kind="day",
                                       new_start=date(2026, 10, n), reason=f"перенос {n}", changed_by_id=metodist.id))
        db.session.add(ReportVersion(report_id=visit.report.id, number=n, data={"finalised_at": f"{n} сентября"},
                                     created_by_id=metodist.id, reason=f"правка {n}"))
    db.session.commit()
    first = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    with count_queries() as seen:
        again = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    token = re.compile(r"[\w.-]{60,}")  # the CSRF tokens (signed with the time)
    assert token.sub("", again) == token.sub("", first)
    assert len(seen) <= 6, "\n".join(seen)  # with the login's user load
    read = " ".join(seen)
    for table in ("report_check_item", "report_version", "visit_date_change", "FROM recommendation WHERE"):
        assert table not in read, table
    assert "перенос 3" in again and "Версия 3 справки: завершена 3 сентября" in again


def test_kept_history_and_report_document_see_a_change_and_keep_roles_apart(client, f, login_as):
    """The visit page's history and the report's document are kept per data stamp (and role for the history):
    a change committed anywhere shows on the next request; each role gets its own kept history."""
    metodist = f.methodologist()
    school = f.school()
    lib = f.librarian(school)
    visit = visit_with_report(f, school, recs=2, by=metodist)
    db.session.add(ReportVersion(report_id=visit.report.id, number=1, data={"finalised_at": "1 сентября"},
                                 created_by_id=metodist.id, reason="опечатка", reopened_at=visit.report.updated_at))
    db.session.commit()
    login_as(metodist)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'href="/visits/{visit.id}/versions/1.pdf"' in page and "Рекомендация №2" in page
    item = visit.report.items[0]
    _commit_elsewhere("UPDATE report_check_item SET remark = 'Замечание из другой вкладки' WHERE id = :id", id=item.id)
    _commit_elsewhere("UPDATE recommendation SET text = 'Новый текст' WHERE report_id = :id AND position = 2",
                      id=visit.report.id)
    _commit_elsewhere("INSERT INTO visit_date_change (visit_id, old_kind, old_start, new_kind, new_start, reason, "
                      "changed_at) VALUES (:id, 'month', '2026-09-01', 'day', '2026-10-14', 'карантин', "
                      "'2026-09-20 10:00:00')", id=visit.id)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    doc = page[page.index('<div class="report-screen">'):page.index('<section class="visit-history">')]
    assert "Замечание из другой вкладки" in doc and "Новый текст" in doc and "Рекомендация №2" not in doc
    assert "— карантин" in page
    login_as(lib)
    mine = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Версия 1 справки" in mine and "/versions/1.pdf" in mine and "Замечание из другой вкладки" in mine
    login_as(metodist)
    assert f'href="/visits/{visit.id}/versions/1.pdf"' in client.get(f"/visits/{visit.id}").get_data(as_text=True)
