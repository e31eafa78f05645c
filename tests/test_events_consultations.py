"""Consultation requests' rules live in events/services.py: the acting user is an argument, a refusal is a
SignupError with a Russian message and a status, and nothing is half-saved."""

from datetime import date, time

import pytest

from mo_app.events import services
from mo_app.events.services import SignupError
from mo_app.extensions import db
from mo_app.models import ConsultationRequest, Notice


def test_a_librarian_asks_on_a_plan_topic_or_their_own(app, f):
    year = f.year(2026)
    topic = f.event(year, kind="individual_consultation", title="Списание")
    other_year = f.event(f.year(2027, current=False), kind="individual_consultation", title="Чужая тема")
    me = f.librarian()
    req = services.ask_for_consultation(year, me, topic.id, "", "вторники")
    assert (req.topic, req.topic_event_id, req.status, req.user_id) == ("Списание", topic.id, "new", me.id)
    own = services.ask_for_consultation(year, me, None, "  Своя тема ", " среды ")
    assert (own.topic, own.preferred_dates, own.topic_event_id) == ("Своя тема", "среды", None)
    for args, message, status in [
        ((other_year.id, "", "вторники"), "Выберите тему из списка.", 422),
        ((None, " ", "вторники"), "Выберите тему из плана или напишите свою.", 422),
        ((None, "Тема", " "), "Укажите удобные даты.", 422),
    ]:
        with pytest.raises(SignupError) as refused:
            services.ask_for_consultation(year, me, *args)
        assert (refused.value.message, refused.value.status) == (message, status)
    with pytest.raises(SignupError) as refused:
        services.ask_for_consultation(year, f.methodologist(), None, "Тема", "вторники")
    assert refused.value.status == 403
    assert db.session.scalar(db.select(db.func.count(ConsultationRequest.id))) == 2


def test_the_methodologist_schedules_answers_declines_marks_held(app, f):
    year = f.year(2026)
    me, boss = f.librarian(), f.methodologist()
    req = services.ask_for_consultation(year, me, None, "Каталог", "вторники")
    with pytest.raises(SignupError) as refused:
        services.handle_consultation(req, me, "answer", answer="Сам себе")
    assert refused.value.status == 403
    with pytest.raises(SignupError) as refused:
        services.handle_consultation(req, boss, "schedule", scheduled_date=date(2028, 3, 20), place="Кабинет 5")
    assert refused.value.status == 422 and "учебного года" in refused.value.message
    with pytest.raises(SignupError) as refused:
        services.handle_consultation(req, boss, "answer", answer="  ")
    assert refused.value.message == "Напишите ответ."
    db.session.refresh(req)
    assert (req.status, req.scheduled_date, req.answer) == ("new", None, None)
    assert db.session.scalar(db.select(db.func.count(Notice.id))) == 0

    services.handle_consultation(req, boss, "schedule", scheduled_date=date(2026, 12, 17),
                                 scheduled_time=time(15, 0), place=" ИМЦ ")
    assert (req.status, req.place) == ("scheduled", "ИМЦ")
    services.handle_consultation(req, boss, "held", held_note=" ")
    assert (req.status, req.held_note) == ("held", None)
    texts = db.session.scalars(db.select(Notice.text).where(Notice.user_id == me.id)).all()
    assert texts == ["Консультация «Каталог» назначена: 17.12.2026, 15:00, ИМЦ."]
    services.handle_consultation(req, boss, "decline", answer="Нет мест")
    assert (req.status, req.answer) == ("declined", "Нет мест")
