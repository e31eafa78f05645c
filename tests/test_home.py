"""The two home pages: what each shows, links only to screens that exist, fixed query counts."""

import re
from datetime import date, timedelta

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import ConsultationRequest, Notice, Recommendation, Registration, VisitReport
from mo_app.models.base import utcnow
from mo_app.results.queries import today

from .plan_helpers import count_queries, current_start, populate


def _section(html, section_id):
    start = html.index(f'id="{section_id}"')
    end = html.find("</article>", start)
    return html[start:end]


def test_methodologist_home(app, client, f, login_as):
    now = today()
    year = f.year(current_start())
    school = f.school("79")
    librarian = f.librarian(school, last_name="Александрова", initials="Е.С.")
    methodologist = f.methodologist()
    methodologist.signups_seen_at = utcnow() - timedelta(days=1)  # her last «Просмотрено»
    seminar = f.event(year, title="Семинар о комиксах", when=PlanDate("day", now + timedelta(days=3)), capacity=10)
    f.event(year, title="Прошедший семинар", when=PlanDate("day", now - timedelta(days=40)))
    f.registration(seminar, librarian)
    old = Registration(event_id=f.event(year, title="Старое", when=now + timedelta(days=5)).id,
                       user_id=f.librarian().id, created_at=utcnow() - timedelta(days=3))
    db.session.add(old)
    db.session.add(ConsultationRequest(year_id=year.id, user_id=librarian.id, topic="Списание учебников"))
    visit = f.visit(school, year, when=PlanDate("day", now))
    db.session.add(VisitReport(visit_id=visit.id, status="draft"))
    # overdue recommendations are of a final справка (visits/queries.py)
    older = f.visit(school, year, when=PlanDate("day", now - timedelta(days=40)), status="finalised")
    report = VisitReport(visit_id=older.id, status="final")
    db.session.add(report)
    db.session.flush()
    db.session.add(Recommendation(report_id=report.id, organization_id=school.id, text="Обновить каталог",
                                  deadline=now - timedelta(days=2)))
    db.session.commit()
    login_as(methodologist)
    html = client.get("/").get_data(as_text=True)
    events = _section(html, "home-events")
    assert "Семинар о комиксах" in events and "Прошедший семинар" not in events
    assert "1 из 10" in events and "9 мест свободно" in events
    signups = _section(html, "home-signups")
    assert "Александрова Е.С. (ГБОУ №79)" in signups and "Старое" not in signups
    assert "Списание учебников" in _section(html, "home-requests")
    assert "ГБОУ №79" in _section(html, "home-visits")
    assert "ГБОУ №79" in _section(html, "home-drafts")
    assert "Обновить каталог" in _section(html, "home-overdue")
    assert " style=" not in html


def test_librarian_home(app, client, f, login_as):
    now = today()
    year = f.year(current_start())
    school = f.school("111")
    me = f.librarian(school)
    mine = f.event(year, title="Мой семинар", when=PlanDate("day", now + timedelta(days=2)))
    f.registration(mine, me)
    f.event(year, title="Открытый семинар", when=PlanDate("day", now + timedelta(days=9)), capacity=5)
    f.event(year, title="Закрытая запись", when=PlanDate("day", now + timedelta(days=9)), is_open=False)
    f.event(year, title="Срок записи прошёл", when=PlanDate("day", now + timedelta(days=9)),
            signup_deadline=now - timedelta(days=1))
    db.session.add(Notice(user_id=me.id, kind="promoted", text="Вы переведены из листа ожидания"))
    db.session.add(Notice(user_id=f.librarian().id, kind="promoted", text="Чужое уведомление"))
    visit = f.visit(school, year, status="finalised")
    report = VisitReport(visit_id=visit.id, status="final")
    other_visit = f.visit(f.school(), year, status="finalised")
    other = VisitReport(visit_id=other_visit.id, status="final")
    db.session.add_all([report, other])
    db.session.flush()
    db.session.add(Recommendation(report_id=report.id, organization_id=school.id, text="Оформить выставку",
                                  deadline=now + timedelta(days=10)))
    db.session.add(Recommendation(report_id=other.id, organization_id=other_visit.organization_id,
                                  text="Чужая рекомендация"))
    db.session.add(ConsultationRequest(year_id=year.id, user_id=me.id, topic="Электронный каталог"))
    db.session.commit()
    login_as(me)
    html = client.get("/").get_data(as_text=True)
    assert "Мой семинар" in _section(html, "home-my-events")
    open_events = _section(html, "home-open-events")
    assert "Открытый семинар" in open_events and "0 из 5" in open_events
    for hidden in ("Мой семинар", "Закрытая запись", "Срок записи прошёл"):
        assert hidden not in open_events
    assert "Вы переведены из листа ожидания" in html and "Чужое уведомление" not in html
    assert "Оформить выставку" in html and "Чужая рекомендация" not in html
    assert "Электронный каталог" in _section(html, "home-requests")


def test_librarian_home_lists_my_events_still_on(app, client, f, login_as):
    """«Мои ближайшие мероприятия» lists what «Мои мероприятия» lists as ahead: a course for the whole year
    that began in September and a span begun last month are still on; an event of last month is over."""
    now = today()
    year = f.year(current_start())
    me = f.librarian(f.school("79"))
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=1)
    events = {
        "Курсы в АППО (для начинающих)": PlanDate.whole_year(year.start_year),
        "Цикл занятий с осени": PlanDate("span", last_month, now + timedelta(days=40)),
        "Семинар через неделю": PlanDate("day", now + timedelta(days=7)),
        "Прошедший семинар": PlanDate("day", last_month),
        "Дата уточняется": PlanDate("tbd"),
    }
    for title, when in events.items():
        f.registration(f.event(year, title=title, when=when), me)
    db.session.commit()
    login_as(me)
    mine = _section(client.get("/").get_data(as_text=True), "home-my-events")
    ahead = ["Курсы в АППО (для начинающих)", "Цикл занятий с осени", "Семинар через неделю", "Дата уточняется"]
    assert [title for title in ahead if title in mine] == ahead
    assert "Прошедший семинар" not in mine
    assert mine.index("Цикл занятий с осени") < mine.index("Семинар через неделю") < mine.index("Дата уточняется")
    page = client.get("/my/events").get_data(as_text=True)  # the same events as ahead there
    assert all(title in page for title in ahead)


def test_home_lists_leave_out_days_already_past_this_month(app, f):
    """On the 26th, a seminar held on the 3rd is not «ближайшее» nor open for sign-up; one dated just «ноябрь»
    still is, all month."""
    from mo_app.main.home import librarian_home, methodologist_home

    now = date(2026, 11, 26)
    year = f.year(2026)
    me = f.librarian(f.school("79"))
    f.event(year, title="Семинар 3 ноября", when=PlanDate("day", date(2026, 11, 3)))
    f.event(year, title="Семинар в ноябре", when=PlanDate.month(2026, 11))
    f.event(year, title="Семинар сегодня", when=PlanDate("day", now))
    db.session.commit()
    shown = [fill.event.title for fill in methodologist_home(f.methodologist(), now=now)["events"]]
    assert shown == ["Семинар в ноябре", "Семинар сегодня"]
    assert [fill.event.title for fill in librarian_home(me, now=now)["open_events"]] == shown


def test_home_links_only_to_existing_screens(app, client, f, login_as):
    login_as(f.methodologist())
    r = client.get("/")
    assert r.status_code == 200  # whether events/visits endpoints are merged or not


def _queries(client, url):
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_home_pages_use_a_fixed_number_of_queries(app, client, f, login_as):
    methodologist = f.methodologist()
    small = populate(f, 2)
    librarian = small["people"][0]
    login_as(methodologist)
    m_small = _queries(client, "/")
    login_as(librarian)
    l_small = _queries(client, "/")
    populate(f, 30, small["year"])
    login_as(methodologist)
    assert _queries(client, "/") == m_small
    login_as(librarian)
    assert _queries(client, "/") == l_small


def test_librarian_home_shows_a_finalised_report_until_she_acknowledges_it(client, f, login_as):
    """#17 §5: «Уведомления 0» after a справка for her school was finalised misled; it is a notice until read."""
    from .visits_helpers import visit_with_report

    school = f.school("79")
    me = f.librarian(school)
    visit = visit_with_report(f, school)
    draft = visit_with_report(f, f.school("80"))  # another school's: not hers
    login_as(me)
    home = client.get("/").get_data(as_text=True)
    assert re.search(r"Уведомления <span class=\"badge warn\">1</span>", home)
    assert f"/visits/{visit.id}" in home and "Ознакомлен(а)" in home and f"/visits/{draft.id}" not in home
    assert client.post(f"/visits/{visit.id}/acknowledge").status_code in (200, 303)
    home = client.get("/").get_data(as_text=True)
    assert f"/visits/{visit.id}" not in home and "Новых уведомлений нет." in home


def test_new_signups_count_from_seen_not_from_the_last_login(app, client, f, login_as):
    """#17 §5: a few logins erased «Новые записи»; now they stay until she presses «Просмотрено»."""
    year = f.year(current_start())
    methodologist = f.methodologist()
    methodologist.previous_login_at = utcnow() - timedelta(minutes=1)  # she has just logged in again
    seminar = f.event(year, title="Семинар о комиксах", when=PlanDate("day", today() + timedelta(days=3)))
    db.session.add(Registration(event_id=seminar.id, user_id=f.librarian(last_name="Голубева").id,
                                created_at=utcnow() - timedelta(hours=5)))
    db.session.commit()
    login_as(methodologist)
    signups = _section(client.get("/").get_data(as_text=True), "home-signups")
    assert "Голубева" in signups and "Просмотрено" in signups
    assert client.post("/home/signups-seen").status_code == 303
    assert db.session.get(type(methodologist), methodologist.id).signups_seen_at is not None
    signups = _section(client.get("/").get_data(as_text=True), "home-signups")
    assert "Голубева" not in signups and "Новых записей нет." in signups


def test_methodologist_home_names_what_waits_for_her_decision(app, client, f, login_as):
    from .visits_helpers import visit_with_report

    school = f.school("79")
    visit_with_report(f, school)
    db.session.execute(db.update(Recommendation).values(status="reported"))
    db.session.commit()
    login_as(f.methodologist())
    html = client.get("/").get_data(as_text=True)
    assert "Ждут вашего решения" in html and "рекомендации, отмеченные выполненными, — 1" in html
    assert "предложения передового опыта" not in html
