"""Feedback after an event (#18 §4): only those present at an event that took place answer, once, and may change
the answer for 14 days; the methodologist sees the answers out of those present, the average, the distribution
and the comments without names, and the year's events by average rating with the topics wanted, which the
new-year page suggests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from mo_app.dates import today
from mo_app.extensions import db
from mo_app.models import AuditEntry, EventFeedback
from mo_app.models.base import utcnow

HOSTILE = '<script>alert("x")</script>'


def _post(client, url, **kw):
    db.session.commit()
    return client.post(url, **kw)


def _answer(score=5, **kw):
    return {"usefulness": str(score), "most_useful": "", "to_improve": "", "topics_wanted": "", **kw}


@pytest.fixture
def world(f):
    """A seminar held last week: Анна and Белла present, Вера absent, Галина excused, Дарья waiting, Елена
    cancelled; a seminar next week with Анна present-marked in advance."""
    year = f.year()
    school = f.school("79")
    names = ("Анна", "Белла", "Вера", "Галина", "Дарья", "Елена", "Жанна")
    people = {n: f.librarian(school, last_name=n + "ова", first_name=n) for n in names}
    past = f.event(year, title="Прошедший семинар", when=today() - timedelta(days=7))
    soon = f.event(year, title="Будущий семинар", when=today() + timedelta(days=7))
    for n, kw in {"Анна": {"attendance": "present"}, "Белла": {"attendance": "present"},
                  "Вера": {"attendance": "absent"}, "Галина": {"attendance": "excused"},
                  "Дарья": {"status": "waiting"}, "Елена": {"status": "cancelled", "attendance": "present"},
                  "Жанна": {"attendance": "present", "talk_title": "Доклад"}}.items():
        f.registration(past, people[n], **kw)
    f.registration(soon, people["Анна"], attendance="present")
    return {"boss": f.methodologist(), "past": past, "soon": soon, "year": year, **people}


def _answers():
    return list(db.session.scalars(db.select(EventFeedback).order_by(EventFeedback.id)))


def test_present_participant_is_asked_on_the_event_page_and_home_and_answers(world, client, login_as):
    login_as(world["Анна"])
    url = f"/events/{world['past'].id}/feedback"
    assert "Оцените мероприятие" in client.get(f"/events/{world['past'].id}").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Оцените мероприятие" in home and url in home
    assert client.get(url).status_code == 200
    r = _post(client, url, data=_answer(4, most_useful="Практика", to_improve="Больше времени",
                                        topics_wanted="Буктрейлеры"))
    assert r.status_code == 303
    (a,) = _answers()
    assert (a.usefulness, a.most_useful, a.to_improve, a.topics_wanted) == (4, "Практика", "Больше времени",
                                                                           "Буктрейлеры")
    assert url not in client.get("/").get_data(as_text=True)  # answered: the home page asks no more
    assert "Ваша оценка: 4 из 5" in client.get(f"/events/{world['past'].id}").get_data(as_text=True)
    # not audited: the log would name who wrote what
    assert not db.session.scalars(db.select(AuditEntry).where(AuditEntry.entity == "EventFeedback")).all()


@pytest.mark.parametrize("who", ["Вера", "Галина", "Дарья", "Елена"])
def test_only_those_present_answer(world, client, login_as, who):
    login_as(world[who])
    assert "Оцените мероприятие" not in client.get(f"/events/{world['past'].id}").get_data(as_text=True)
    assert "Оцените мероприятие" not in client.get("/").get_data(as_text=True)
    url = f"/events/{world['past'].id}/feedback"
    assert client.get(url).status_code == 403
    r = _post(client, url, data=_answer())
    assert r.status_code == 403 and "отмеченные присутствующими" in r.get_data(as_text=True)
    assert _answers() == []


def test_not_before_the_event_nor_a_cancelled_one_nor_by_the_methodologist(world, client, login_as):
    login_as(world["Анна"])
    assert _post(client, f"/events/{world['soon'].id}/feedback", data=_answer()).status_code == 403
    world["past"].status = "cancelled"
    db.session.commit()
    assert _post(client, f"/events/{world['past'].id}/feedback", data=_answer()).status_code == 403
    login_as(world["boss"])
    assert _post(client, f"/events/{world['past'].id}/feedback", data=_answer()).status_code == 403
    assert _answers() == []


def test_one_answer_per_person_changed_not_duplicated(world, client, login_as):
    login_as(world["Анна"])
    url = f"/events/{world['past'].id}/feedback"
    _post(client, url, data=_answer(2))
    page = client.get(url).get_data(as_text=True)
    assert "Изменить ответ" in page and re.search(r'<input[^>]* checked [^>]*value="2"', page)
    _post(client, url, data=_answer(5, to_improve="Ничего"))
    (a,) = _answers()
    assert (a.usefulness, a.to_improve) == (5, "Ничего")
    with pytest.raises(IntegrityError):  # the database holds the rule too
        db.session.add(EventFeedback(event_id=world["past"].id, user_id=world["Анна"].id, usefulness=1))
        db.session.flush()
    db.session.rollback()


def test_editable_for_14_days_then_closed(world, client, login_as):
    login_as(world["Анна"])
    url = f"/events/{world['past'].id}/feedback"
    _post(client, url, data=_answer(3))
    (a,) = _answers()
    a.created_at = utcnow() - timedelta(days=13, hours=23)
    db.session.commit()
    assert _post(client, url, data=_answer(4)).status_code == 303
    a.created_at = utcnow() - timedelta(days=14, minutes=1)
    db.session.commit()
    r = _post(client, url, data=_answer(1))
    assert r.status_code == 409 and "14 дней" in r.get_data(as_text=True)
    db.session.expire_all()
    assert _answers()[0].usefulness == 4
    page = client.get(url)
    assert page.status_code == 200 and "Срок изменения ответа истёк" in page.get_data(as_text=True)
    assert 'id="feedback-form"' not in page.get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"usefulness": ""}, "Оцените полезность от 1 до 5."),
    ({"usefulness": "0"}, "Оцените полезность от 1 до 5."),
    ({"usefulness": "6"}, "Оцените полезность от 1 до 5."),
    ({"usefulness": "пять"}, "Оцените полезность от 1 до 5."),
    ({}, "Оцените полезность от 1 до 5."),
    ({"usefulness": "5", "most_useful": "я" * 2001}, "Не длиннее 2000 символов."),
])
def test_bad_answer_is_refused_next_to_its_field_and_nothing_saved(world, client, login_as, data, message):
    login_as(world["Анна"])
    r = _post(client, f"/events/{world['past'].id}/feedback", data=data)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert _answers() == []


def test_bad_score_messages_are_russian(world, client, login_as):
    login_as(world["Анна"])
    for value in ("", "0", "6", "пять"):
        text = _post(client, f"/events/{world['past'].id}/feedback", data={"usefulness": value}).get_data(
            as_text=True)
        assert 'id="usefulness-error"' in text
        assert "Оцените полезность от 1 до 5." in text.split('id="usefulness-error"')[1][:200], value
    text = _post(client, f"/events/{world['past'].id}/feedback",
                 data=_answer(5, topics_wanted="я" * 2001)).get_data(as_text=True)
    assert "Не длиннее 2000 символов." in text.split('id="topics_wanted-error"')[1][:200]


def test_methodologist_sees_counts_average_distribution_and_comments_without_names(world, client, login_as):
    for who, score, useful in (("Анна", 5, "Практикум Анны-текст"), ("Белла", 2, HOSTILE)):
        login_as(world[who])
        _post(client, f"/events/{world['past'].id}/feedback",
              data=_answer(score, most_useful=useful, topics_wanted=f"Тема от {score}"))
    login_as(world["boss"])
    r = client.get(f"/events/{world['past'].id}/feedback/summary")
    text = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<strong>2</strong> ответа из 3 присутствовавших" in text  # Анна, Белла, Жанна (a speaker) were present
    assert "средняя оценка <strong>3,5</strong> из 5" in text
    table = text.split('class="feedback-distribution"')[1].split("</table>")[0]
    assert [row.count("<td>") for row in table.split("<tr>")[2:]] == [2] * 5
    assert "<td>5</td><td>1</td>" in table and "<td>2</td><td>1</td>" in table and "<td>3</td><td>0</td>" in table
    assert "Практикум Анны-текст" in text and "Тема от 5" in text
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    for who in ("Анна", "Белла"):  # comments without names
        assert world[who].last_name not in text and world[who].short_name not in text
    assert client.get(f"/events/{world['past'].id}").get_data(as_text=True).count("/feedback/summary") == 1


def test_year_ratings_and_the_new_year_suggestions(world, client, login_as, f):
    other = f.event(world["year"], title="Второй семинар", when=today() - timedelta(days=3))
    f.registration(other, world["Анна"], attendance="present")
    login_as(world["Анна"])
    _post(client, f"/events/{world['past'].id}/feedback", data=_answer(3, topics_wanted="Медиаграмотность"))
    _post(client, f"/events/{other.id}/feedback", data=_answer(5, topics_wanted=HOSTILE))
    login_as(world["Белла"])
    _post(client, f"/events/{world['past'].id}/feedback", data=_answer(4, topics_wanted="медиаграмотность"))
    login_as(world["boss"])
    results = client.get(f"/results?year={world['year'].start_year}").get_data(as_text=True)
    assert f"/feedback?year={world['year'].start_year}" in results
    text = client.get(f"/feedback?year={world['year'].start_year}").get_data(as_text=True)
    rows = text.split('class="ratings-table"')[1].split("</table>")[0]
    assert rows.index("Второй семинар") < rows.index("Прошедший семинар")  # 5,0 before 3,5
    assert "<td>5,0</td><td>1</td>" in rows and "<td>3,5</td><td>2</td>" in rows
    assert text.count("едиаграмотность</li>") == 1  # each topic once, whatever its case
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    page = client.get(f"/plan/new-year?year={world['year'].start_year}").get_data(as_text=True)
    assert "Темы, которые просили участники" in page and "едиаграмотность" in page
    assert "<script>alert" not in page
    # librarians see neither page
    login_as(world["Анна"])
    assert client.get("/feedback").status_code == 403
    assert client.get(f"/events/{world['past'].id}/feedback/summary").status_code == 403


def test_home_asks_only_for_lately_ended_events(world, client, login_as, f):
    old = f.event(world["year"], title="Давний семинар", when=today() - timedelta(days=30))
    f.registration(old, world["Анна"], attendance="present")
    login_as(world["Анна"])
    home = client.get("/").get_data(as_text=True)
    assert "Прошедший семинар" in home.split('id="home-feedback"')[1].split("</article>")[0]
    assert "Давний семинар" not in home
    assert client.get(f"/events/{old.id}/feedback").status_code == 200  # still answerable from its page


def test_the_demo_has_materials_and_answers_on_past_events_only(demo, client, login_as):
    from mo_app.models import EventMaterial, Registration, SchoolYear, User

    current = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == 2026))
    answers, materials = _answers(), db.session.scalars(db.select(EventMaterial)).all()
    assert answers and materials and all(a.is_sample for a in answers) and all(m.is_sample for m in materials)
    assert all(m.url.startswith("https://") for m in materials)
    from datetime import date
    for a in answers:  # each from someone present at an event of the current year that is over
        reg = db.session.scalar(db.select(Registration).where(Registration.event_id == a.event_id,
                                                              Registration.user_id == a.user_id))
        assert reg.attendance == "present" and reg.status == "registered"
        assert a.event.year_id == current.id and a.event.plan_date.last_day < date(2026, 11, 26)
    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    text = client.get("/feedback?year=2026").get_data(as_text=True)
    assert 'class="ratings-table"' in text and "Работа с электронными учебниками" in text
    summary = client.get(f"/events/{answers[0].event_id}/feedback/summary").get_data(as_text=True)
    assert "средняя оценка" in summary
