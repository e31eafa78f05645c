"""Sample materials (links) and feedback answers on the demo's past events of the current year (is_sample), so
the event pages, «Оценки участников» and the year's ratings have something to show."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..extensions import db
from ..models import Event, EventFeedback, EventMaterial, Registration
from ..models.events import REG_REGISTERED

LINKS = [
    ("Национальная электронная библиотека", "https://rusneb.ru/"),
    ("Президентская библиотека: электронные коллекции", "https://www.prlib.ru/"),
    ("Российская государственная детская библиотека: методические материалы", "https://rgdb.ru/"),
]
#: (usefulness, most useful, to improve, topics wanted), cycled over those present
ANSWERS = [
    (5, "Практическая часть и примеры из опыта коллег", "", "Работа с электронными учебниками"),
    (4, "Обмен опытом в группах", "Больше времени на вопросы", "Медиаграмотность школьников"),
    (5, "Готовые материалы, которые можно взять в работу", "", ""),
    (3, "Обзор новых изданий", "Раздавать материалы заранее", "Буктрейлеры и видео в библиотеке"),
    (4, "", "Начинать вовремя", "Работа с электронными учебниками"),
]


def load(year, people: dict, today: date) -> None:
    """Two links on each past seminar or meeting of `year`, and an answer from most of those present."""
    methodologist = people.get("metodist")
    events = db.session.scalars(
        db.select(Event).where(Event.year_id == year.id, Event.status != "cancelled", Event.date_start.is_not(None))
        .order_by(Event.date_start, Event.id)
    ).all()
    past = [e for e in events if e.kind != "course" and e.plan_date.last_day and e.plan_date.last_day < today]
    n = 0
    for i, event in enumerate(past):
        if methodologist is not None:
            for title, url in (LINKS[i % len(LINKS)], LINKS[(i + 1) % len(LINKS)]):
                db.session.add(EventMaterial(event_id=event.id, title=title, url=url, added_by_id=methodologist.id,
                                             is_sample=True))
        present = db.session.scalars(
            db.select(Registration).where(Registration.event_id == event.id, Registration.status == REG_REGISTERED,
                                          Registration.attendance == "present").order_by(Registration.id)
        ).all()
        answered = datetime.combine(event.plan_date.last_day + timedelta(days=1), time(12))
        for reg in present[: max(1, len(present) - 1)]:  # one of them has not answered
            score, useful, improve, topics = ANSWERS[n % len(ANSWERS)]
            n += 1
            db.session.add(EventFeedback(
                event_id=event.id, user_id=reg.user_id, usefulness=score, most_useful=useful or None,
                to_improve=improve or None, topics_wanted=topics or None, created_at=answered, updated_at=answered,
                is_sample=True,
            ))
    db.session.flush()
