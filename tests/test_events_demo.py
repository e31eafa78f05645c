"""The demo's sample events activity on the current year; the archive stays as the seed."""

from mo_app.extensions import db
from mo_app.models import ConsultationRequest, Event, Registration, SchoolYear, User


def _year(start):
    return db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == start))


def test_sample_activity_on_current_year_only(demo):
    current, archive = _year(2026), _year(2015)
    regs = db.session.scalars(db.select(Registration).join(Event).where(Event.year_id == current.id)).all()
    samples = [r for r in regs if r.is_sample]
    assert samples
    assert any(r.attendance for r in samples)  # marks for past events
    full = [e for e in db.session.scalars(db.select(Event).where(Event.year_id == current.id, Event.capacity <= 5))]
    assert len(full) == 1
    statuses = [r.status for r in regs if r.event_id == full[0].id]
    assert statuses.count("registered") == full[0].capacity and statuses.count("waiting") >= 1
    archive_regs = db.session.scalars(db.select(Registration).join(Event).where(Event.year_id == archive.id)).all()
    # the seed year is over: its beginners took the course and attended its seminars, its best-practice
    # authors spoke; nothing of it is sample activity and nobody is left unmarked
    assert archive_regs and not any(r.is_sample for r in archive_regs)
    assert all(r.attendance == "present" and r.status == "registered" for r in archive_regs)
    course = [r for r in archive_regs if r.event.kind == "course"]
    assert len(course) == 5
    beginners = {r.user_id for r in course}
    seminars = [e for e in db.session.scalars(db.select(Event).where(
        Event.year_id == archive.id, Event.kind.in_(("seminar", "practical_seminar"))))]
    for event in seminars:
        assert beginners <= {r.user_id for r in archive_regs if r.event_id == event.id}, event.title
    assert any(r.talk_title for r in archive_regs)
    req = db.session.scalar(db.select(ConsultationRequest))
    assert req.is_sample and req.year_id == current.id


def test_demo_screens_show_activity(demo, client, login_as):
    zhukova = db.session.scalar(db.select(User).where(User.login == "zhukova"))
    login_as(zhukova)
    page = client.get("/events").get_data(as_text=True)
    assert "Мест нет (" in page and "осталось" in page
    mine = client.get("/my/events").get_data(as_text=True)
    assert "присутствовал(а)" in mine or "отсутствовал(а)" in mine
    seminar = db.session.scalar(db.select(Event).where(Event.year_id == _year(2026).id,
                                                       Event.title.like("Технология организации%")))
    page = client.get(f"/events/{seminar.id}").get_data(as_text=True)
    assert "Передовой опыт" in page and "Технология проведения школьных конференций" in page
    assert "Жукова С.А." in page
