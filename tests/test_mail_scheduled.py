"""Scheduled letters: the reminder the day before an event, recommendation deadlines (in 7 days, overdue), the
methodologist's digest (nothing on an empty day); each written once however often its job runs; the jobs are
declared in the worker at REMINDER_HOUR and DIGEST_HOUR."""

from __future__ import annotations

from datetime import timedelta

from mo_app import worker
from mo_app.dates import PlanDate, today
from mo_app.events import services as events
from mo_app.extensions import db
from mo_app.mail import scheduled, sender
from mo_app.models import BestPractice, EventFeedback, Recommendation
from mo_app.models.base import utcnow

from .mail_helpers import body
from .visits_helpers import visit_with_report

APP = "http://mo.school.test:5000"


def _subjects(smtp, address: str) -> list[str]:
    sender.send_due()
    return [m["Subject"] for m in smtp.to(address)]


def test_the_reminder_goes_the_day_before_to_those_signed_up_only(app, f, smtp):
    tomorrow = today() + timedelta(days=1)
    ev = f.event(title="Семинар завтра", when=PlanDate("day", tomorrow), capacity=1)
    later = f.event(title="Семинар позже", when=PlanDate("day", tomorrow + timedelta(days=1)))
    monthly = f.event(title="Семинар в месяце", when=PlanDate.month(tomorrow.year, tomorrow.month))
    on, waiting = f.librarian(email="on@example.org"), f.librarian(email="wait@example.org")
    events.register(ev.id, on.id)
    events.register(ev.id, waiting.id)
    events.register(later.id, on.id)
    events.register(monthly.id, on.id)
    sender.send_due()
    smtp.received.clear()
    assert scheduled.reminders() == 1
    assert scheduled.reminders() == 0  # the job made twice: written once
    sender.send_due()
    msgs = smtp.to("on@example.org")
    assert [m["Subject"] for m in msgs] == ["Завтра: Семинар завтра"]
    assert f"{APP}/events/{ev.id}" in body(msgs[0])
    assert smtp.to("wait@example.org") == []


def test_those_present_are_asked_to_rate_an_event_once_after_it(app, f, smtp):
    yesterday = today() - timedelta(days=1)
    ev = f.event(title="Семинар вчера", when=PlanDate("day", yesterday))
    old = f.event(title="Семинар месяц назад", when=PlanDate("day", today() - timedelta(days=30)))
    ahead = f.event(title="Семинар завтра", when=PlanDate("day", today() + timedelta(days=1)))
    came, rated, absent, unmarked = (f.librarian(email=f"{n}@example.org")
                                     for n in ("came", "rated", "absent", "unmarked"))
    for user, mark in ((came, "present"), (rated, "present"), (absent, "absent"), (unmarked, None)):
        f.registration(ev, user, attendance=mark)
    f.registration(old, came, attendance="present")
    f.registration(ahead, came, attendance="present")
    db.session.add(EventFeedback(event_id=ev.id, user_id=rated.id, usefulness=4))
    db.session.commit()
    assert scheduled.feedback_requests() == 1
    assert scheduled.feedback_requests() == 0  # the job made twice: written once
    sender.send_due()
    (msg,) = smtp.to("came@example.org")
    assert msg["Subject"] == "Оцените мероприятие: Семинар вчера"
    assert f"{APP}/events/{ev.id}/feedback" in body(msg)
    for address in ("rated", "absent", "unmarked"):
        assert smtp.to(f"{address}@example.org") == []
    # attendance marked later: asked on the next run
    reg = f.registration(ev, f.librarian(email="late@example.org"))
    reg.attendance = "present"
    db.session.commit()
    assert scheduled.feedback_requests() == 1
    assert _subjects(smtp, "late@example.org") == ["Оцените мероприятие: Семинар вчера"]


def test_recommendation_due_in_seven_days_and_overdue(app, f, smtp):
    school = f.school("55")
    f.librarian(school, email="lib55@example.org")
    soon = today() + timedelta(days=7)
    visit = visit_with_report(f, school, deadline=soon, rec_text="Провести инвентаризацию №{n}")
    assert scheduled.recommendation_deadlines() == 1
    assert scheduled.recommendation_deadlines() == 0
    sender.send_due()
    (msg,) = smtp.to("lib55@example.org")
    assert msg["Subject"] == "Через 7 дней срок рекомендаций"
    assert "Провести инвентаризацию №1" in body(msg) and f"{APP}/recommendations" in body(msg)
    rec = db.session.scalar(db.select(Recommendation).where(Recommendation.report_id == visit.report.id))
    rec.deadline = today() - timedelta(days=1)
    db.session.commit()
    assert scheduled.recommendation_deadlines() == 1
    assert "Срок рекомендаций истёк" in _subjects(smtp, "lib55@example.org")
    # done and accepted, or of a draft справка: no letter
    other = f.school("56")
    f.librarian(other, email="lib56@example.org")
    done = visit_with_report(f, other, deadline=soon)
    draft = visit_with_report(f, other, final=False, deadline=soon)
    for v in (done,):
        for r in v.report.recommendations:
            r.status = "accepted"
    db.session.commit()
    assert draft.report.status == "draft"
    assert scheduled.recommendation_deadlines() == 0
    assert _subjects(smtp, "lib56@example.org") == []


def test_the_digest_tells_the_methodologist_what_happened_and_skips_an_empty_day(app, f, smtp):
    boss = f.methodologist(email="boss@example.org")
    assert scheduled.digests() == 0  # nothing happened: no letter
    ev = f.event(title="Семинар для сводки", when=PlanDate("day", today() + timedelta(days=20)), capacity=10)
    a, b = f.librarian(), f.librarian()
    events.register(ev.id, a.id)
    events.register(ev.id, b.id)
    events.cancel(ev.id, b.id)
    year = f.year()
    db.session.add(BestPractice(year_id=year.id, position=1, topic="Буккроссинг в школе", goals=["изучить"],
                                author_id=a.id, stage="study", status="proposed"))
    db.session.commit()
    events.ask_for_consultation(year, a, None, "Списание учебников", "вторники")
    assert scheduled.digests() == 1
    sender.send_due()
    (msg,) = smtp.to("boss@example.org")
    text = body(msg)
    assert "Семинар для сводки: +1 / −1" in text
    assert "Буккроссинг в школе" in text and "Списание учебников" in text
    assert f"{APP}/events" in text
    assert scheduled.digests(now=utcnow() + timedelta(seconds=1)) == 0  # nothing new since: no second letter
    assert boss.id


def test_the_jobs_are_declared_at_their_hours(app):
    app.config.update(REMINDER_HOUR=9, DIGEST_HOUR=8)
    declared = {job.name: job.schedule for job in worker.jobs(app)}
    assert declared["reminders"] == worker.Daily(9) and declared["digest"] == worker.Daily(8)
    assert isinstance(declared["mail"], worker.Every)
