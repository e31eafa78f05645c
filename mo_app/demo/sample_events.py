"""Sample events activity on the demo's current year (marked is_sample), so every screen has something to show."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..extensions import db
from ..models import ConsultationRequest, Event, Registration

LIBRARIANS = ["aleksandrova", "golubeva", "patrakova", "udachina", "efremova", "meshcheryakova", "zhukova", "kulkova"]
#: attendance marks for past events, by librarian (cycled)
MARKS = ["present", "present", "absent", "present", "excused", "present", "present", "present"]


def _events(year) -> list[Event]:
    return db.session.scalars(
        db.select(Event).where(Event.year_id == year.id).order_by(Event.date_start, Event.goal_id, Event.position)
    ).all()


def _find(events, text: str) -> Event | None:
    return next((e for e in events if text in (e.title or "")), None)


def _add(event: Event, user, when: datetime, status: str = "registered", attendance: str | None = None) -> None:
    exists = db.session.scalar(
        db.select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id)
    )
    if exists is not None:
        return
    db.session.add(
        Registration(
            event_id=event.id, user_id=user.id, status=status, queued_at=when, created_at=when,
            attendance=attendance, attendance_marked_at=when if attendance else None, is_sample=True,
        )
    )


def load(year, people: dict, today: date) -> None:
    """Add sample events activity to `year`; `people` maps demo logins to users."""
    events = _events(year)
    librarians = [people[login] for login in LIBRARIANS if login in people]
    clock = datetime.combine(date(year.start_year, 9, 1), datetime.min.time()) + timedelta(hours=7)

    def tick() -> datetime:
        nonlocal clock
        clock += timedelta(minutes=7)
        return clock

    seminars = [e for e in events if e.kind in ("seminar", "practical_seminar", "meeting") and e.date_start]
    past = [e for e in seminars if e.plan_date.last_day and e.plan_date.last_day < today]
    coming = [e for e in seminars if e.plan_date.last_day and e.plan_date.last_day >= today]

    # Past events: who came, who did not.
    for i, event in enumerate(past):
        event.capacity = 25
        for j, user in enumerate(librarians[: 6 + i % 2]):
            _add(event, user, tick(), attendance=MARKS[(i + j) % len(MARKS)])

    # Coming events: a few sign-ups; one small practical seminar full, with a waiting list.
    full = next((e for e in coming if e.kind == "practical_seminar"), coming[0] if coming else None)
    if full is not None:
        full.capacity = 3
        full.description = "Практическое занятие в читальном зале; число мест ограничено размером зала."
        for user in librarians[:3]:
            _add(full, user, tick())
        for user in librarians[3:5]:
            _add(full, user, tick(), status="waiting")
    for event in coming:
        if event is full:
            continue
        event.capacity = event.capacity or 20
        if event.date_start and event.date_start > today:
            event.signup_deadline = event.date_start - timedelta(days=5)
        for user in librarians[1:3]:
            _add(event, user, tick())

    best = _find(events, "Технология организации школьной конференции")
    if best is not None and not best.description:
        best.description = (
            "Опыт Гимназии №192 «Брюсовская»: как библиотека готовит школьную научную конференцию "
            "вместе с педагогами."
        )

    topic = _find(events, "списание") or next((e for e in events if e.kind == "individual_consultation"), None)
    requester = people.get("aleksandrova")
    if requester is not None and not db.session.scalar(
        db.select(ConsultationRequest).where(ConsultationRequest.year_id == year.id, ConsultationRequest.is_sample)
    ):
        db.session.add(
            ConsultationRequest(
                year_id=year.id, user_id=requester.id, topic_event_id=topic.id if topic else None,
                topic=topic.title if topic and topic.title else "Списание и замена утерянных книг",
                preferred_dates="вторник или четверг после 14:00, до середины декабря", is_sample=True,
            )
        )
    db.session.flush()
