"""Russian wording a new user read wrong (#17 §4): full events, the sign-up box, the visit planner, what the
librarian sees about herself."""

import re

from mo_app.extensions import db
from mo_app.models import Registration

from .conftest import htmx
from .events_helpers import coming_event
from .visits_helpers import visit_with_report


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_full_event_says_no_seats_with_the_count(client, f, login_as):
    ev = coming_event(f, capacity=3)
    for _ in range(3):
        f.registration(ev, f.librarian())
    login_as(f.librarian())
    text = _text(client.get(f"/events/{ev.id}").get_data(as_text=True))
    assert "Мест нет (3 из 3)" in text and "3 из 3 мест нет" not in text
    login_as(f.methodologist())
    home = _text(client.get("/").get_data(as_text=True))
    assert "Мест нет (3 из 3)" in home and "3 из 3 Мест нет" not in home


def test_sign_up_box_says_registered_once_and_has_no_dangling_dot(client, f, login_as):
    ev = coming_event(f, capacity=20)
    login_as(f.librarian())
    body = client.post(f"/events/{ev.id}/register", headers=htmx()).get_data(as_text=True)
    assert _text(body).count("Вы записаны") == 1
    assert "·" not in body
    assert db.session.scalar(db.select(Registration.status)) == "registered"


def test_planning_another_visit_is_labelled_in_full(demo, client, login_as):
    from mo_app.models import User

    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    page = client.get("/visits").get_data(as_text=True)
    assert "Запланировать ещё" in page and ">ещё<" not in page


def test_the_librarian_is_not_told_she_is_a_beginner_or_late(client, f, login_as):
    school = f.school("79")
    me = f.librarian(school, is_beginner=True)
    visit = visit_with_report(f, school)
    login_as(me)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "малоопытн" not in page and "не ознакомился" not in page
    # the button comes after the report's text
    assert page.index("Каталог не ведётся.") < page.index('id="acknowledge-button"')
    login_as(f.methodologist())
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "малоопытный" in page and "библиотекарь ещё не ознакомился" in page


def test_my_past_events_name_the_school_year_of_year_long_ones(demo, client, login_as):
    from mo_app.models import User

    login_as(db.session.scalar(db.select(User).where(User.login == "patrakova")))  # took the 2015–2016 course
    page = client.get("/my/events").get_data(as_text=True)
    past = _text(page[page.index("Прошедшие"):])
    assert "В течение года (2015–2016)" in past
