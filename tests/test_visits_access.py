"""Who sees what: a librarian sees their own school's visits and finalised reports only; follow-up of
recommendations by the school and the methodologist; acknowledgement."""

from datetime import date, timedelta

import pytest

from mo_app.extensions import db
from mo_app.models import Recommendation, VisitReport

from .conftest import htmx
from .visits_helpers import report_form, visit_with_report


@pytest.fixture
def world(f):
    """Two schools with a librarian each; a finalised report, a draft and a planned visit for school A."""
    a, b = f.school("79", name="ГБОУ средняя школа №79"), f.school("111")
    metodist = f.methodologist()
    final = visit_with_report(f, a, final=True, recs=2, by=metodist, conclusion="Секретный вывод А")
    draft = visit_with_report(f, a, final=False, conclusion="Черновой вывод А")
    planned = f.visit(a)
    return {"a": a, "b": b, "lib_a": f.librarian(a), "lib_b": f.librarian(b), "metodist": metodist,
            "final": final, "draft": draft, "planned": planned}


def test_other_school_librarian_gets_404_everywhere(client, login_as, world):
    login_as(world["lib_b"])
    for visit in (world["final"], world["draft"], world["planned"]):
        for url in (f"/visits/{visit.id}", f"/visits/{visit.id}/report.pdf", f"/visits/{visit.id}/versions/1.pdf"):
            assert client.get(url).status_code == 404, url
    assert client.post(f"/visits/{world['final'].id}/acknowledge").status_code == 404
    rec = db.session.scalars(db.select(Recommendation)).first()
    assert client.post(f"/recommendations/{rec.id}/done", data={"comment": "x"}).status_code == 404
    listing = client.get("/visits/list").get_data(as_text=True)
    assert "ГБОУ №79" not in listing
    assert "Рекомендация №1" not in client.get("/recommendations").get_data(as_text=True)
    # The bulk PDF is limited to the librarian's own school: nothing there.
    assert client.get("/visits/reports.pdf").status_code == 404


def test_own_librarian_sees_planned_visits_and_final_reports_only(client, login_as, world):
    login_as(world["lib_a"])
    assert client.get(f"/visits/{world['planned'].id}").status_code == 200
    page = client.get(f"/visits/{world['final'].id}").get_data(as_text=True)
    assert "Секретный вывод А" in page and "Ознакомлен(а)" in page
    draft_page = client.get(f"/visits/{world['draft'].id}")
    assert draft_page.status_code == 200
    assert "Черновой вывод А" not in draft_page.get_data(as_text=True)
    assert "Справка готовится" in draft_page.get_data(as_text=True)
    assert client.get(f"/visits/{world['draft'].id}/report.pdf").status_code == 404
    assert client.get(f"/visits/{world['final'].id}/report.pdf").status_code == 200
    listing = client.get("/visits/list").get_data(as_text=True)
    assert listing.count("ГБОУ №79") == 3


def test_librarian_cannot_edit_a_report(client, login_as, world):
    login_as(world["lib_a"])
    draft = world["draft"]
    report = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == draft.id))
    data = report_form(report, conclusion="Подменённый вывод")
    assert client.post(f"/visits/{draft.id}/report/save", data=data, headers=htmx()).status_code == 403
    assert client.post(f"/visits/{draft.id}/report/finalise", data=data).status_code == 403
    assert client.post(f"/visits/{world['final'].id}/report/reopen", data={"reason": "x"}).status_code == 403
    assert client.post(f"/visits/{draft.id}/cancel", data={"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert report.conclusion == "Черновой вывод А" and report.status == "draft"


def test_acknowledgement_is_recorded_and_printed(client, login_as, world):
    visit = world["final"]
    login_as(world["metodist"])
    assert client.post(f"/visits/{visit.id}/acknowledge").status_code == 403
    login_as(world["lib_a"])
    assert client.post(f"/visits/{visit.id}/acknowledge").status_code == 303
    assert client.post(f"/visits/{world['draft'].id}/acknowledge").status_code == 404
    report = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit.id))
    assert report.acknowledged_by_id == world["lib_a"].id and report.acknowledged_at is not None
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert 'id="acknowledge-button"' not in page


def test_recommendation_follow_up(client, login_as, world):
    recs = db.session.scalars(db.select(Recommendation).order_by(Recommendation.id)).all()
    rec = recs[0]
    login_as(world["lib_a"])
    r = client.post(f"/recommendations/{rec.id}/done", data={"comment": ""}, headers=htmx())
    assert r.status_code == 422 and "Опишите, что сделано." in r.get_data(as_text=True)
    r = client.post(f"/recommendations/{rec.id}/done", data={"comment": "Каталог начат."}, headers=htmx())
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and f'id="rec-{rec.id}"' in text and "Отмечена выполненной" in text
    assert "<html" not in text
    assert client.post(f"/recommendations/{rec.id}/accept").status_code == 403

    login_as(world["metodist"])
    r = client.post(f"/recommendations/{rec.id}/return", data={"note": ""}, headers=htmx())
    assert r.status_code == 422
    r = client.post(f"/recommendations/{rec.id}/return", data={"note": "Нужен и электронный."}, headers=htmx())
    assert r.status_code == 200 and "Возвращена" in r.get_data(as_text=True)
    db.session.expire_all()
    assert (rec.status, rec.review_note) == ("returned", "Нужен и электронный.")

    login_as(world["lib_a"])
    assert client.post(f"/recommendations/{rec.id}/done", data={"comment": "Сделан и электронный."}).status_code \
        == 303
    login_as(world["metodist"])
    assert client.post(f"/recommendations/{rec.id}/accept", headers=htmx()).status_code == 200
    db.session.expire_all()
    assert rec.status == "done" and rec.librarian_comment == "Сделан и электронный."
    assert client.post(f"/recommendations/{rec.id}/accept").status_code == 409


def test_recommendations_list_marks_overdue_and_home_counts(client, f, login_as, world):
    late = visit_with_report(f, world["b"], final=True, recs=1, rec_text="Просроченная №{n}",
                             deadline=date.today() - timedelta(days=5))
    assert late
    login_as(world["metodist"])
    page = client.get("/recommendations").get_data(as_text=True)
    assert "Рекомендация №1" in page and "Просроченная №1" in page
    assert page.count("is-overdue") == 1 and "просрочено" in page
    only = client.get("/recommendations?overdue=1").get_data(as_text=True)
    assert "Просроченная №1" in only and "Рекомендация №1" not in only
    fragment = client.get("/recommendations?overdue=1", headers=htmx()).get_data(as_text=True)
    assert "<html" not in fragment and 'id="rec-list"' in fragment
    # Drafts' recommendations are not followed up yet.
    assert page.count("Рекомендация №1") == 1
    home = client.get("/").get_data(as_text=True)
    overdue_box = home[home.index('id="home-overdue"'):]
    overdue_box = overdue_box[: overdue_box.index("</article>")]
    assert '<span class="badge bad">1</span>' in overdue_box and "Просроченная №1" in overdue_box

    login_as(world["lib_b"])
    mine = client.get("/recommendations").get_data(as_text=True)
    assert "Просроченная №1" in mine and "Рекомендация №1" not in mine
    home = client.get("/").get_data(as_text=True)
    box = home[home.index('id="home-recommendations"'):]
    box = box[: box.index("</article>")]
    assert '<span class="badge warn">1</span>' in box and "Просроченная №1" in box


def test_visit_page_shows_school_context(client, f, login_as, world):
    """Librarians with this year's courses, earlier visits and their open recommendations."""
    course = f.event(kind="course", title="Курсы в АППО (для начинающих)")
    f.registration(course, world["lib_a"])
    login_as(world["metodist"])
    page = client.get(f"/visits/{world['planned'].id}").get_data(as_text=True)
    assert world["lib_a"].full_name in page and "Курсы в АППО" in page
    assert "Рекомендация №1" in page and "Рекомендация №2" in page
    assert "Прежних посещений нет." not in page
