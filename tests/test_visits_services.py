"""The visits rules live once, in visits/services.py: called without any request (the acting user passed in), each
refused change raises VisitError with its Russian message and status and changes nothing; the pages answer with
the same message."""

from __future__ import annotations

from datetime import date

import pytest
from flask import has_request_context

from mo_app.dates import DAY, PlanDate
from mo_app.extensions import db
from mo_app.models import Visit, VisitDateChange
from mo_app.visits import services
from mo_app.visits.services import VisitError

from .visits_helpers import visit_with_report


def _refused(call, *args, status: int = 409, **kw) -> str:
    with pytest.raises(VisitError) as caught:
        call(*args, **kw)
    assert caught.value.status == status
    db.session.rollback()
    return caught.value.message


def test_state_changes_take_the_acting_user_and_refuse_with_visit_error(app, f):
    methodologist, school = f.methodologist(), f.school("79")
    year = f.year()
    purpose = f.purpose(year)
    assert not has_request_context()  # the rules need no request
    visit = services.plan_visit(year, school, [purpose], PlanDate.month(2026, 11), methodologist)
    assert visit.created_by_id == methodologist.id
    report = services.mark_held(visit, date(2026, 11, 12), methodologist)
    assert (visit.status, report.updated_by_id) == ("held", methodologist.id)
    # a held visit is not held again (the service refused nothing before; the page did)
    assert "нельзя отметить проведённым" in _refused(services.mark_held, visit, None, methodologist)
    changes = db.session.scalar(db.select(db.func.count()).select_from(VisitDateChange))

    final = visit_with_report(f, school, final=True)
    assert "изменить нельзя" in _refused(services.change_date, final, PlanDate(DAY, date(2026, 12, 1)), "",
                                        methodologist)
    assert "изменить нельзя" in _refused(services.set_purposes, final, [], True)
    assert "готова справка" in _refused(services.cancel_visit, final, "нет")
    assert _refused(services.restore_visit, final) == "Посещение не отменено."
    assert db.session.scalar(db.select(db.func.count()).select_from(VisitDateChange)) == changes
    assert db.session.get(Visit, final.id).status == "finalised"

    assert _refused(services.set_purposes, visit, [], False, status=422).startswith("Отметьте")
    services.cancel_visit(visit, "карантин")
    assert _refused(services.cancel_visit, visit, "ещё раз") == "Посещение уже отменено."
    assert "изменить нельзя" in _refused(services.change_date, visit, PlanDate(DAY, date(2026, 12, 1)), "",
                                        methodologist)

    draft = visit_with_report(f, school, final=False, when=PlanDate(DAY, date(2026, 10, 1)))
    assert _refused(services.reopen, draft, "ошибка", methodologist) == "Справка не завершена."
    assert _refused(services.acknowledge, draft, f.librarian(school), status=404) == "Справка не завершена."

    rec = final.report.recommendations[0]
    assert "Вернуть можно только" in _refused(services.review, rec, False, "нет", methodologist)
    services.review(rec, True, None, methodologist)
    assert rec.reviewed_by_id == methodologist.id
    assert _refused(services.review, rec, True, None, methodologist) == "Рекомендация уже принята."
    assert _refused(services.report_done, rec, "сделано", f.librarian(school)) == "Рекомендация уже отмечена."


def test_pages_answer_with_the_services_message(client, f, login_as):
    login_as(f.methodologist())
    final = visit_with_report(f, f.school("79"), final=True)
    r = client.post(f"/visits/{final.id}/held", data={})
    assert r.status_code == 409 and "нельзя отметить проведённым" in r.get_data(as_text=True)
    r = client.post(f"/visits/{final.id}/purposes", data={})
    assert r.status_code == 409 and "Цели завершённого или отменённого посещения" in r.get_data(as_text=True)
    archive = f.year(2015, current=False)
    archive.is_archive = True
    db.session.commit()
    r = client.get("/visits/new?year=2015")
    assert r.status_code == 409 and "Архивный год" in r.get_data(as_text=True)
