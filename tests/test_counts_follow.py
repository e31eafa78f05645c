"""Counts on a page follow in-place (htmx) changes (#17 §5): the reply carries the counter out-of-band."""

from mo_app.extensions import db
from mo_app.models import Recommendation, VisitTarget

from .conftest import htmx
from .visits_helpers import visit_with_report


def test_planning_in_a_cell_updates_the_visit_total(client, f, login_as):
    year = f.year()
    purpose = f.purpose(year)
    school = f.school()
    f.visit(f.school(), year=year)
    db.session.add(VisitTarget(purpose_id=purpose.id, organization_id=school.id))
    db.session.commit()
    login_as(f.methodologist())
    page = client.get("/visits").get_data(as_text=True)
    assert 'Всего посещений: <span id="visit-count">1</span>.' in page
    r = client.post("/visits/plan-cell", data={"school": school.id, "purpose": purpose.id, "month": "2027-03"},
                    headers=htmx())
    assert r.status_code == 200
    assert '<span id="visit-count" hx-swap-oob="true">2</span>' in r.get_data(as_text=True)


def test_marking_a_recommendation_done_updates_the_counters_above_the_list(client, f, login_as):
    school = f.school("79")
    me = f.librarian(school)
    visit_with_report(f, school, recs=2)
    rec = db.session.scalar(db.select(Recommendation).order_by(Recommendation.id))
    login_as(me)
    page = client.get("/recommendations").get_data(as_text=True)
    assert "ждут проверки методиста 0" in page and 'id="rec-counts"' in page
    r = client.post(f"/recommendations/{rec.id}/done", data={"comment": "Сделано."},
                    headers=htmx(**{"HX-Current-URL": "http://localhost/recommendations?status=active"}))
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="rec-counts" hx-swap-oob="true"' in body
    assert "ждут проверки методиста 1" in body
    # from the visit page (no counters there) the row comes alone
    other = db.session.scalars(db.select(Recommendation).order_by(Recommendation.id)).all()[1]
    r = client.post(f"/recommendations/{other.id}/done", data={"comment": "Тоже."},
                    headers=htmx(**{"HX-Current-URL": f"http://localhost/visits/{other.report.visit_id}"}))
    assert r.status_code == 200 and "rec-counts" not in r.get_data(as_text=True)


def test_notices_are_marked_read_only_where_they_are_shown(client, f, login_as):
    """#17 §5: the htmx list (a filter change) does not show notices, so it does not mark them read."""
    from mo_app.models import Notice

    me = f.librarian()
    f.year()
    db.session.add(Notice(user_id=me.id, kind="promoted", text="Вы переведены из листа ожидания"))
    db.session.commit()
    login_as(me)
    fragment = client.get("/events?kind=seminar", headers=htmx()).get_data(as_text=True)
    assert "Вы переведены" not in fragment
    assert db.session.scalar(db.select(Notice.read_at)) is None
    page = client.get("/events").get_data(as_text=True)
    assert "Вы переведены из листа ожидания" in page
    db.session.expire_all()
    assert db.session.scalar(db.select(Notice.read_at)) is not None
