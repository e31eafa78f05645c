"""A visit's life: plan → held → draft (autosave with a version check) → finalise → reopen → finalise."""

import re
from datetime import date

from mo_app.auth.sessions import open_session
from mo_app.extensions import db
from mo_app.models import Recommendation, ReportVersion, Visit, VisitDateChange, VisitReport

from .conftest import htmx
from .security_helpers import pdf_text
from .visits_helpers import checklist, report_form, visit_with_report


def _report(visit_id) -> VisitReport:
    db.session.expire_all()
    return db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit_id))


def test_visit_life_with_history(client, f, login_as):
    year = f.year()
    checklist(year)
    purpose = f.purpose(year)
    school = f.school("79", name="ГБОУ средняя школа №79")
    metodist = f.methodologist()
    login_as(metodist)

    # Planned for a month from the planner, then the day is set: the old date stays in the history.
    r = client.post("/visits/plan-cell", data={"school": school.id, "purpose": purpose.id, "month": "2026-12"},
                    headers=htmx())
    assert r.status_code == 200 and "декабрь 2026" in r.get_data(as_text=True)
    visit = db.session.scalar(db.select(Visit))
    assert visit.status == "planned" and [p.id for p in visit.purposes] == [purpose.id]
    r = client.post(f"/visits/{visit.id}/date", data={"day": "2026-12-08", "reason": "по просьбе школы",
                                                      "postpone": "y"})
    assert r.status_code == 303
    db.session.expire_all()
    change = db.session.scalar(db.select(VisitDateChange))
    assert (change.old_kind, change.old_start, change.new_start) == ("month", date(2026, 12, 1), date(2026, 12, 8))
    assert db.session.get(Visit, visit.id).status == "postponed"
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "декабрь 2026" in page and "8 декабря 2026" in page and "по просьбе школы" in page
    assert "<h2>Действия</h2>" in page and "Отметить проведённым" in page

    # Held: a draft with the year's checklist appears.
    assert client.post(f"/visits/{visit.id}/held", data={}).status_code == 303
    report = _report(visit.id)
    assert report.status == "draft" and len(report.items) == 8
    assert db.session.get(Visit, visit.id).status == "held"

    # Autosave (htmx): a visible «Сохранено в HH:MM», the version goes up.
    data = report_form(report, present="Александрова Е.С.", strengths="Фонд расставлен по ББК.",
                       conclusion="Работа организована.", **{"rec-0-text": "Вести каталог.",
                                                             "rec-0-deadline": "2027-01-31"})
    data[f"item-{report.items[0].id}-result"] = "remarks"
    data[f"item-{report.items[0].id}-remark"] = "Мало стеллажей."
    r = client.post(f"/visits/{visit.id}/report/save", data=data, headers=htmx())
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and re.search(r"Сохранено в \d\d:\d\d", text)
    assert "<html" not in text
    report = _report(visit.id)
    assert report.version == 2 and report.present == "Александрова Е.С."
    assert report.items[0].result == "remarks" and report.items[0].remark == "Мало стеллажей."
    assert [(r.text, r.deadline) for r in report.recommendations] == [("Вести каталог.", date(2027, 1, 31))]
    # The new recommendation's id comes back out of band, so the next autosave updates it, not duplicates it.
    rec_id = report.recommendations[0].id
    assert f'id="rec-0-id" name="rec-0-id" value="{rec_id}" hx-swap-oob="true"' in text
    assert 'id="report-version" name="version" value="2" hx-swap-oob="true"' in text
    data.update({"version": "2", "rec-0-id": str(rec_id), "rec-0-text": "Вести электронный каталог."})
    assert client.post(f"/visits/{visit.id}/report/save", data=data, headers=htmx()).status_code == 200
    assert [r.text for r in _report(visit.id).recommendations] == ["Вести электронный каталог."]

    # Finalise: locked, who and when recorded.
    data["version"] = "3"
    r = client.post(f"/visits/{visit.id}/report/finalise", data=data)
    assert r.status_code == 303
    report = _report(visit.id)
    assert report.status == "final" and report.finalised_by_id == metodist.id and report.finalised_at
    assert db.session.get(Visit, visit.id).status == "finalised"
    locked = client.post(f"/visits/{visit.id}/report/save", data=report_form(report, present="x"), headers=htmx())
    assert locked.status_code == 409 and _report(visit.id).present == "Александрова Е.С."

    # Reopen needs a reason; the finalised version is kept whole.
    r = client.post(f"/visits/{visit.id}/report/reopen", data={"reason": ""})
    assert r.status_code == 422 and "Укажите причину." in r.get_data(as_text=True)
    assert _report(visit.id).status == "final"
    r = client.post(f"/visits/{visit.id}/report/reopen", data={"reason": "Уточнить сроки рекомендаций"})
    assert r.status_code == 303
    report = _report(visit.id)
    assert report.status == "draft" and db.session.get(Visit, visit.id).status == "held"
    kept = db.session.scalar(db.select(ReportVersion))
    assert kept.number == 1 and kept.reason == "Уточнить сроки рекомендаций"
    assert kept.data["present"] == "Александрова Е.С." and kept.data["status"] == "final"
    assert kept.data["recommendations"][0]["text"] == "Вести электронный каталог."

    # Change and finalise again; the history shows both versions and the old one opens as it was.
    data = report_form(report, present="Александрова Е.С., директор школы")
    assert client.post(f"/visits/{visit.id}/report/finalise", data=data).status_code == 303
    report = _report(visit.id)
    assert report.status == "final" and report.present == "Александрова Е.С., директор школы"
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Версия 1 справки" in page and "Уточнить сроки рекомендаций" in page
    assert "Версия 2 справки: завершена" in page
    assert "<h2>Действия</h2>" not in page  # nothing left to do but print or reopen: no empty heading
    old = pdf_text(client.get(f"/visits/{visit.id}/versions/1.pdf").data)
    assert "Александрова Е.С." in old and "директор школы" not in old
    assert client.get(f"/visits/{visit.id}/versions/9.pdf").status_code == 404


def test_stale_version_is_refused_and_saves_nothing(client, f, login_as):
    login_as(f.methodologist())
    visit = visit_with_report(f, f.school(), final=False)
    report = _report(visit.id)
    first_tab = report_form(report, strengths="Из первой вкладки.")
    second_tab = report_form(report, strengths="Из второй вкладки.")
    assert client.post(f"/visits/{visit.id}/report/save", data=first_tab, headers=htmx()).status_code == 200
    r = client.post(f"/visits/{visit.id}/report/save", data=second_tab, headers=htmx())
    assert r.status_code == 409
    text = r.get_data(as_text=True)
    assert "изменения НЕ сохранены" in text and 'id="save-status"' in text and "<html" not in text
    report = _report(visit.id)
    assert report.strengths == "Из первой вкладки." and report.version == 3
    # Finalising from the stale tab is refused as well, and a full-page post gets the Russian 409 page.
    r = client.post(f"/visits/{visit.id}/report/finalise", data=second_tab)
    assert r.status_code == 409 and "обновите страницу" in r.get_data(as_text=True)
    assert _report(visit.id).status == "draft"


def test_finalise_needs_conclusion_and_bad_input_is_422(client, f, login_as):
    login_as(f.methodologist())
    visit = visit_with_report(f, f.school(), final=False, conclusion="")
    report = _report(visit.id)
    r = client.post(f"/visits/{visit.id}/report/finalise", data=report_form(report), headers=htmx())
    assert r.status_code == 422 and "напишите вывод" in r.get_data(as_text=True)
    r = client.post(f"/visits/{visit.id}/report/save",
                    data=report_form(report, **{"rec-0-deadline": "31.02.2027"}), headers=htmx())
    assert r.status_code == 422 and "Срок" in r.get_data(as_text=True)
    assert _report(visit.id).version == report.version
    assert client.post(f"/visits/{visit.id}/report/save", data={"version": "x"}).status_code == 409


def test_emptied_recommendation_is_removed(client, f, login_as):
    login_as(f.methodologist())
    visit = visit_with_report(f, f.school(), final=False, recs=2)
    report = _report(visit.id)
    data = report_form(report, **{"rec-0-text": ""})
    assert client.post(f"/visits/{visit.id}/report/save", data=data, headers=htmx()).status_code == 200
    assert [r.text for r in _report(visit.id).recommendations] == ["Рекомендация №2"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Recommendation)) == 1


def test_new_visit_for_several_purposes_or_unplanned(client, f, login_as):
    year = f.year()
    p1, p2 = f.purpose(year, "Помощь малоопытным", position=1), f.purpose(year, "Знакомство с фондами", position=2)
    school = f.school()
    login_as(f.methodologist())
    r = client.post("/visits/new", data={"school": school.id, "month": ""})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Укажите месяц или день посещения." in text and "Отметьте хотя бы одну цель" not in text
    r = client.post("/visits/new", data={"school": school.id, "month": "2027-02"})
    assert r.status_code == 422 and "Отметьте хотя бы одну цель" in r.get_data(as_text=True)
    r = client.post("/visits/new", data={"school": school.id, "purposes": [p1.id, p2.id], "day": "2027-02-10"})
    assert r.status_code == 303
    r = client.post("/visits/new", data={"school": school.id, "unplanned": "y", "month": "2027-03"})
    assert r.status_code == 303
    visits = db.session.scalars(db.select(Visit).order_by(Visit.id)).all()
    assert [len(v.purposes) for v in visits] == [2, 0] and visits[1].is_unplanned
    assert visits[0].plan_date.text().replace("\u202f", " ") == "10 февраля 2027 г."
    assert visits[1].plan_date.text() == "март 2027"
    assert db.session.scalar(db.select(db.func.count()).select_from(Visit)) == 2


def test_cancel_needs_reason_and_restore(client, f, login_as):
    login_as(f.methodologist())
    visit = f.visit(f.school())
    r = client.post(f"/visits/{visit.id}/cancel", data={"reason": " "})
    assert r.status_code == 422 and "Укажите причину." in r.get_data(as_text=True)
    assert client.post(f"/visits/{visit.id}/cancel", data={"reason": "Карантин в школе"}).status_code == 303
    db.session.expire_all()
    assert (visit.status, visit.status_reason) == ("cancelled", "Карантин в школе")
    assert client.post(f"/visits/{visit.id}/restore").status_code == 303
    db.session.expire_all()
    assert visit.status == "planned"


def test_checklist_is_editable_per_year(client, f, login_as):
    year = f.year()
    checklist(year)
    login_as(f.methodologist())
    assert "Массовые мероприятия" in client.get("/visits/checklist").get_data(as_text=True)
    r = client.post("/visits/checklist", data={"items": "Помещение\n\nСайт библиотеки\n"})
    assert r.status_code == 303
    visit = f.visit(f.school(), year=year)
    client.post(f"/visits/{visit.id}/held", data={})
    assert [i.title for i in _report(visit.id).items] == ["Помещение", "Сайт библиотеки"]
    assert client.post("/visits/checklist", data={"items": ""}).status_code == 422


def test_concurrent_saves_of_one_version_let_exactly_one_through(app, f):
    """Two tabs post the same version at the same moment: one saves, the other gets 409."""
    import threading

    metodist = f.methodologist()
    visit = visit_with_report(f, f.school(), final=False)
    report = _report(visit.id)
    forms = [report_form(report, strengths=f"Вкладка {n}") for n in range(6)]
    clients = []
    for _ in forms:
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"] = open_session(metodist)
        clients.append(c)
    visit_id, version = visit.id, report.version
    db.session.commit()  # and touch nothing until the threads are done: on SQLite a test read would lock
    barrier = threading.Barrier(len(forms))
    codes = []

    def post(c, data):
        with app.app_context():
            c.csrf_token()
            barrier.wait()
            codes.append(c.post(f"/visits/{visit_id}/report/save", data=data, headers=htmx()).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, forms, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * (len(forms) - 1)
    saved = _report(visit.id)
    assert saved.version == version + 1 and saved.strengths.startswith("Вкладка ")
