"""The plan document: the 2015–2016 plan rebuilt from the demo data holds every row of the seed (READING.md)
in the HTML page, the PDF's text and the DOCX's tables; the year selector; who may see it."""

import io
import re

import pytest

from mo_app.extensions import db
from mo_app.models import User

from .conftest import htmx
from .plan_helpers import GOALS, PARTICIPANTS, PRACTICE, PURPOSES, TOPICS, seed_phrases, squash
from .security_helpers import pdf_text


def _user(login):
    return db.session.scalar(db.select(User).where(User.login == login))


def _text(html: str) -> str:
    """Visible text of a page: tags out, entities kept as written by Jinja (&#34; etc. decoded)."""
    import html as html_lib

    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("login", ["metodist", "zhukova"])
def test_html_plan_holds_every_seed_item(demo, client, login_as, login):
    login_as(_user(login))
    r = client.get("/plan?year=2015")
    assert r.status_code == 200
    text = squash(_text(r.get_data(as_text=True)))
    missing = [p for p in seed_phrases() if squash(p) not in text]
    assert missing == []


def test_html_plan_table_order_and_structure(demo, client, login_as):
    login_as(_user("metodist"))
    page = _text(client.get("/plan?year=2015").get_data(as_text=True))
    # goals in plan order, headers as in the document
    positions = [page.index(g) for g in GOALS]
    assert positions == sorted(positions)
    for header in ("Цели и задачи", "Формы деятельности и тема", "Сроки", "Цели посещения", "ОУ", "Тема опыта",
                   "Цель изучения опыта", "Автор", "Этапы работы", "Форма обобщения"):
        assert header in page
    # seminars listed in the order of the plan, each before its date
    seminar_titles = [t for t, v, _ in TOPICS[3:8]]
    idx = [page.index(t) for t in seminar_titles]
    assert idx == sorted(idx)
    # the course comes with its five participants in order
    people = [page.index(p) for p in PARTICIPANTS]
    assert people == sorted(people) and page.index("Курсы в АППО (для начинающих)") < people[0]
    # a date is written once for a group that shares it («В течение года» for the three consultations)
    cons = page[page.index("Групповые консультации"):page.index("Индивидуальные консультации")]
    assert cons.count("В течение года") == 1


def test_current_year_plan_has_shifted_dates_and_archive_badge(demo, client, login_as):
    login_as(_user("metodist"))
    current = _text(client.get("/plan").get_data(as_text=True))
    assert "План работы на 2026–2027 учебный год" in current
    assert "Сентябрь 2026" in current and "Октябрь 2026 – март 2027" in current
    assert "на 2027–2028 учебный год" in current
    archive = client.get("/plan?year=2015").get_data(as_text=True)
    assert "Архив" in archive


def test_year_selector_lists_past_years(demo, client, login_as):
    login_as(_user("zhukova"))
    html = client.get("/plan").get_data(as_text=True)
    assert re.search(r'<option value="2015"[^>]*>2015–2016 \(архив\)</option>', html)
    assert re.search(r'<option value="2026" selected>2026–2027 \(текущий\)</option>', html)


def test_unknown_year_is_404_and_a_bad_one_400(demo, client, login_as):
    login_as(_user("metodist"))
    missing = client.get("/plan?year=1999")
    assert missing.status_code == 404
    assert "Плана на 1999–2000 учебный год нет" in missing.get_data(as_text=True)
    for bad in ("abc", "-1", "20266", "２０２６", "2026.0"):
        r = client.get("/plan", query_string={"year": bad})
        assert r.status_code == 400, bad
        assert "Учебный год в адресе указан неверно" in r.get_data(as_text=True)
    assert client.get("/plan.pdf?year=1999").status_code == 404


def test_plan_needs_login(demo, client):
    r = client.get("/plan")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_pdf_text_holds_every_seed_item(demo, client, login_as):
    from pypdf import PdfReader

    login_as(_user("kulkova"))
    r = client.get("/plan.pdf?year=2015")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    text = squash(pdf_text(r.data))
    missing = [p for p in seed_phrases() if squash(p) not in text]
    assert missing == []


def test_docx_tables_hold_every_seed_row(demo, client, login_as):
    from docx import Document

    login_as(_user("metodist"))
    r = client.get("/plan.docx?year=2015")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"] and ".docx" in r.headers["Content-Disposition"]
    document = Document(io.BytesIO(r.data))
    assert len(document.tables) == 3
    t1, t2, t3 = document.tables
    assert [c.text for c in t1.rows[0].cells] == ["Цели и задачи", "Формы деятельности и тема", "Сроки"]
    assert [c.text for c in t2.rows[0].cells] == ["Цели посещения", "ОУ"]
    assert [c.text for c in t3.rows[0].cells] == ["№", "Тема опыта", "Цель изучения опыта", "Автор", "Этапы работы",
                                                  "Форма обобщения"]
    # table 1: every goal in column 1, every topic (with its venue) in column 2 with its date in column 3
    rows = [[c.text for c in row.cells] for row in t1.rows[1:]]
    assert [g for g in dict.fromkeys(r[0] for r in rows)] == GOALS
    all_forms = squash(" ".join(r[1] for r in rows))
    for person in PARTICIPANTS:
        assert squash(person) in all_forms
    for topic, venue, when in TOPICS:
        phrase = f"{topic} на базе {venue}" if venue else topic
        i = next(i for i, r in enumerate(rows) if squash(phrase) in squash(r[1]))
        # the date is on the topic's row, or once on its heading row above when the group shares it
        while not rows[i][2]:
            i -= 1
        assert rows[i][2] == when, (phrase, when)
    assert sum(1 for r in rows if r[1] == "Семинары") == 1
    # table 2
    assert [(r.cells[0].text, r.cells[1].text) for r in t2.rows[1:]] == [
        ("Оказание помощи в работе малоопытным библиотекарям", "ГБОУ №№ 79, 111, 470, 535, 653"),
        ("Знакомство с фондами, документацией", "ГБОУ №№ 137, 138, 186, 192, ГБОУ шк.-инт. №28"),
        ("Использование в работе знаний, полученных на курсах и семинарах", "ГБОУ №№ 79, 111, 470, 535, 653"),
    ]
    assert [p for p, _ in PURPOSES] == [r.cells[0].text for r in t2.rows[1:]]
    # table 3
    got = [[c.text for c in r.cells] for r in t3.rows[1:]]
    assert len(got) == 3
    for (n, (topic, goals, author, school, stage, form)), row in zip(enumerate(PRACTICE, 1), got, strict=True):
        assert row[0] == f"{n}."
        assert row[1] == f"«{topic}»"
        for goal in goals:
            assert goal in row[2]
        assert row[3] == f"{author} – {school}"
        assert row[4] == stage
        assert row[5] == form


def test_plan_page_has_no_inline_script_or_style(demo, client, login_as):
    login_as(_user("metodist"))
    page = client.get("/plan?year=2015").get_data(as_text=True)
    assert " style=" not in page and "<script>" not in page


def test_plan_events_moved_or_cancelled_are_marked(app, client, f, login_as):
    from mo_app.dates import PlanDate

    year = f.year(2026)
    goal = f.goal(year)
    moved = f.event(year, title="Семинар о чтении", when=PlanDate.month(2026, 10), goal_id=goal.id)
    moved.plan_date = PlanDate.month(2026, 12)
    f.event(year, title="Отменённый семинар", goal_id=goal.id, status="cancelled")
    db.session.commit()
    login_as(f.librarian())
    text = _text(client.get("/plan?year=2026").get_data(as_text=True))
    assert "Декабрь 2026" in text and "перенесено, в плане: октябрь 2026" in text
    assert "(отменено)" in text


def test_plan_for_htmx_is_still_a_whole_page(demo, client, login_as):
    login_as(_user("metodist"))
    r = client.get("/plan", headers=htmx(**{"HX-Boosted": "true"}))
    assert "<html" in r.get_data(as_text=True)


def test_every_demo_title_is_the_seeds_and_seminar_4_keeps_its_venue(demo, client, login_as):
    """TOPICS copy the seed plan (shared/seed/plan-2015-2016.txt): each demo event's title is one of them, and
    seminar 4 keeps «…книжной графики, комиксов» (in the seed it sits after «на базе», so it is the venue's)."""
    from mo_app.models import Event, SchoolYear

    archive = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == 2015))
    titles = {e.title for e in db.session.scalars(db.select(Event).where(Event.year_id == archive.id)) if e.title}
    seed = {topic.strip("«»") for topic, _, _ in TOPICS} | {"Курсы в АППО (для начинающих)"}
    assert titles == seed
    login_as(_user("metodist"))
    text = _text(client.get("/plan?year=2015").get_data(as_text=True))
    assert ("«Расширение информационной среды библиотекарей» на базе библиотеки книжной графики, комиксов "
            "(библиотека им. М.Ю. Лермонтова)") in text


def test_a_time_given_to_the_planned_day_is_not_a_move(app, client, f, login_as):
    from datetime import date, time

    from mo_app.dates import PlanDate

    year = f.year(2026)
    goal = f.goal(year)
    f.event(year, title="Семинар с часом", when=PlanDate("datetime", date(2026, 12, 17), at=time(15, 0)),
            goal_id=goal.id)
    db.session.commit()
    login_as(f.librarian())
    text = _text(client.get("/plan?year=2026").get_data(as_text=True))
    assert "Семинар с часом" in text and "перенесено" not in text
