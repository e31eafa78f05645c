"""Participation certificates (#18 §1–2): hours and speakers, a certificate only for those present at an event
that took place, kept as issued, confirmed at /verify (and revoked there), the methodologist's bundle."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from mo_app.dates import today
from mo_app.extensions import db
from mo_app.models import AppSettings, AuditEntry, Certificate, IssuedDocument, Registration

from .security_helpers import pdf_pages, pdf_text


def _get(client, url, **kw):
    db.session.commit()  # end this test's read transaction: the request writes (a certificate is issued)
    return client.get(url, **kw)


def _post(client, url, **kw):
    db.session.commit()
    return client.post(url, **kw)


@pytest.fixture
def seminar(f):
    """A seminar held last week (4 hours) at a library; Александрова present, Борисова absent, Волкова excused,
    Григорьева waiting; a seminar next month with Александрова registered."""
    year = f.year()
    boss = f.methodologist(first_name="Ирина", middle_name="Петровна", last_name="Методистова", position="Методист ИМЦ")
    settings = db.session.get(AppSettings, 1) or AppSettings(id=1, association_name="МО школьных библиотекарей",
                                                              centre_name="ИМЦ района")
    settings.signatory_id = boss.id
    db.session.add(settings)
    db.session.commit()
    school = f.school("79", name="ГБОУ СОШ №79", short_name="ГБОУ №79")
    people = {
        name: f.librarian(school, last_name=name, first_name="Мария", middle_name="Ивановна", initials="М.И.")
        for name in ("Александрова", "Борисова", "Волкова", "Григорьева")
    }
    past = f.event(year, title="Электронные ресурсы", when=today() - timedelta(days=7),
                   venue=f.venue("Библиотека им. Пушкина"), hours=4)
    marks = {"Александрова": "present", "Борисова": "absent", "Волкова": "excused"}
    regs = {name: f.registration(past, people[name], attendance=marks.get(name),
                                 status="waiting" if name == "Григорьева" else "registered") for name in people}
    future = f.event(year, title="Будущий семинар", when=today() + timedelta(days=30))
    f.registration(future, people["Александрова"], attendance="present")
    return {"boss": boss, "past": past, "future": future, "people": people, "regs": regs}


def test_present_participant_downloads_her_certificate_with_name_hours_and_code(seminar, client, login_as):
    login_as(seminar["people"]["Александрова"])
    r = _get(client, f"/events/{seminar['past'].id}/certificate.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    cert = db.session.scalar(db.select(Certificate))
    for shown in ("СЕРТИФИКАТ УЧАСТНИКА", "Александрова Мария Ивановна", "ГБОУ № 79",
                  "приняла участие в семинаре «Электронные ресурсы»", "4 академических часа",
                  "Библиотека им. Пушкина", "Методистова Ирина Петровна", "Методист ИМЦ", cert.number,
                  cert.issued.code, f"/verify/{cert.issued.code}"):
        assert shown in text, shown
    # kept as issued: the same bytes after her name changes
    seminar["people"]["Александрова"].last_name = "Иванова"
    db.session.commit()
    assert _get(client, f"/events/{seminar['past'].id}/certificate.pdf").data == r.data
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1


@pytest.mark.parametrize("who", ["Борисова", "Волкова", "Григорьева"])
def test_no_certificate_for_absent_excused_or_waiting(seminar, client, login_as, who):
    login_as(seminar["people"][who])
    assert _get(client, f"/events/{seminar['past'].id}/certificate.pdf").status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(IssuedDocument)) == 0


def test_no_certificate_before_the_event_nor_for_someone_elses_or_a_cancelled_one(seminar, client, login_as, f):
    login_as(seminar["people"]["Александрова"])
    assert _get(client, f"/events/{seminar['future'].id}/certificate.pdf").status_code == 404
    stranger = f.librarian()
    login_as(stranger)
    assert _get(client, f"/events/{seminar['past'].id}/certificate.pdf").status_code == 404
    reg = seminar["regs"]["Александрова"]
    assert _get(client, f"/events/{seminar['past'].id}/certificates/{reg.id}.pdf").status_code == 403
    seminar["past"].status = "cancelled"
    db.session.commit()
    login_as(seminar["people"]["Александрова"])
    assert _get(client, f"/events/{seminar['past'].id}/certificate.pdf").status_code == 404


def test_the_link_shows_on_the_event_page_and_my_events_only_when_due(seminar, client, login_as):
    login_as(seminar["people"]["Александрова"])
    link = f"/events/{seminar['past'].id}/certificate.pdf"
    assert link in _get(client, f"/events/{seminar['past'].id}").get_data(as_text=True)
    assert link in _get(client, "/my/events").get_data(as_text=True)
    assert f"/events/{seminar['future'].id}/certificate.pdf" not in _get(
        client, f"/events/{seminar['future'].id}").get_data(as_text=True)
    login_as(seminar["people"]["Борисова"])
    assert "certificate.pdf" not in _get(client, f"/events/{seminar['past'].id}").get_data(as_text=True)
    assert "certificate.pdf" not in _get(client, "/my/events").get_data(as_text=True)


def test_verify_shows_only_the_allowed_facts_and_then_the_revocation(seminar, client, login_as, app):
    login_as(seminar["people"]["Александрова"])
    first = _get(client, f"/events/{seminar['past'].id}/certificate.pdf").data
    cert = db.session.scalar(db.select(Certificate))
    code, number = cert.issued.code, cert.number
    anonymous = app.test_client()
    html = _get(anonymous, f"/verify/{code}").get_data(as_text=True)
    for shown in (number, "Александрова Мария Ивановна", "Семинар «Электронные ресурсы»", "4 академических часа",
                  "Сертификат участника"):
        assert shown in html, shown
    for hidden in ("ГБОУ №79", "Библиотека им. Пушкина", "аннулирован"):
        assert hidden not in html, hidden

    login_as(seminar["boss"])
    reg = seminar["regs"]["Александрова"]
    r = _post(client, f"/events/{seminar['past'].id}/certificates/{reg.id}/revoke")
    assert r.status_code == 303
    assert "аннулирован" in _get(anonymous, f"/verify/{code}").get_data(as_text=True)
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.entity == "Certificate")) is not None
    # the next download issues a new certificate, under a new number and code
    login_as(seminar["people"]["Александрова"])
    again = _get(client, f"/events/{seminar['past'].id}/certificate.pdf")
    assert again.status_code == 200 and again.data != first
    current = db.session.scalar(db.select(Certificate).where(Certificate.is_current.is_(True)))
    assert current.number == f"{number}/2" and current.issued.code != code
    assert "аннулирован" not in _get(anonymous, f"/verify/{current.issued.code}").get_data(as_text=True)


def test_speaker_gets_a_certificate_for_the_talk_and_hostile_titles_stay_text(seminar, client, login_as):
    login_as(seminar["boss"])
    reg = seminar["regs"]["Борисова"]  # marked absent: a speaker is present
    talk = 'Квесты в библиотеке #panic("x") <script>alert(1)</script>'
    r = _post(client, f"/events/{seminar['past'].id}/certificates/{reg.id}/talk", data={"talk_title": talk})
    assert r.status_code == 303
    db.session.refresh(reg)
    assert reg.talk_title == talk and reg.attendance == "present"
    page = _get(client, f"/events/{seminar['past'].id}/certificates").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    login_as(seminar["people"]["Борисова"])
    text = pdf_text(_get(client, f"/events/{seminar['past'].id}/certificate.pdf").data)
    assert "СЕРТИФИКАТ ЗА ВЫСТУПЛЕНИЕ" in text
    assert 'выступила с темой «Квесты в библиотеке #panic("x") <script>alert(1)</script>»' in text


def test_a_too_long_talk_title_is_refused_next_to_the_field_and_nothing_saved(seminar, client, login_as):
    login_as(seminar["boss"])
    reg = seminar["regs"]["Волкова"]
    r = _post(client, f"/events/{seminar['past'].id}/certificates/{reg.id}/talk", data={"talk_title": "т" * 301})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(rf'id="talk-{reg.id}-error"[^>]*>Тема выступления — не длиннее 300 символов', html)
    db.session.refresh(reg)
    assert reg.talk_title is None and reg.attendance == "excused"


def test_methodologist_downloads_every_certificate_in_one_pdf(seminar, client, login_as):
    login_as(seminar["boss"])
    reg = seminar["regs"]["Волкова"]
    _post(client, f"/events/{seminar['past'].id}/certificates/{reg.id}/talk", data={"talk_title": "Мой опыт"})
    r = _get(client, f"/events/{seminar['past'].id}/certificates.pdf")
    assert r.status_code == 200
    pages = pdf_pages(r.data)
    assert len(pages) == 2  # Александрова and Волкова (a speaker); not the absent nor the waiting
    assert "Александрова Мария Ивановна" in pages[0] + pages[1] and "Волкова Мария Ивановна" in pages[0] + pages[1]
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 2
    page = _get(client, f"/events/{seminar['past'].id}/certificates").get_data(as_text=True)
    numbers = db.session.scalars(db.select(Certificate.number)).all()
    assert all(f"№ {n}" in page for n in numbers)


def test_librarian_cannot_use_the_methodologists_pages(seminar, client, login_as):
    login_as(seminar["people"]["Александрова"])
    reg = seminar["regs"]["Александрова"]
    ev = seminar["past"].id
    assert _get(client, f"/events/{ev}/certificates").status_code == 403
    assert _get(client, f"/events/{ev}/certificates.pdf").status_code == 403
    assert _post(client, f"/events/{ev}/certificates/{reg.id}/talk", data={"talk_title": "x"}).status_code == 403
    assert _post(client, f"/events/{ev}/certificates/{reg.id}/revoke").status_code == 403
    assert db.session.get(Registration, reg.id).talk_title is None


def test_hours_are_set_on_the_event_form_and_checked(seminar, client, login_as):
    login_as(seminar["boss"])
    ev = seminar["future"]
    form = _get(client, f"/events/{ev.id}/edit").get_data(as_text=True)
    assert 'name="hours"' in form and "Объём, ч." in form
    data = {"kind": "seminar", "goal_id": "0", "title": ev.title, "venue_id": "0", "date_kind": "day",
            "day": ev.date_start.strftime("%d.%m.%Y"), "hours": "0", "is_open": "y"}
    r = _post(client, f"/events/{ev.id}/edit", data=data)
    assert r.status_code == 422 and "Объём — от 1 до 1000 академических часов." in r.get_data(as_text=True)
    r = _post(client, f"/events/{ev.id}/edit", data={**data, "hours": "6"})
    assert r.status_code in (200, 303)
    db.session.refresh(ev)
    assert ev.hours == 6
    assert "6 академических часов" in _get(client, f"/events/{ev.id}").get_data(as_text=True)


def test_the_demo_has_hours_speakers_and_certificates_to_look_at(demo, client, login_as):
    from mo_app.models import BestPractice, Event, SchoolYear, User

    archive = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == 2015))
    course = db.session.scalar(db.select(Event).where(Event.year_id == archive.id, Event.kind == "course"))
    assert course.hours == 72
    speakers = db.session.scalars(db.select(Registration).where(Registration.talk_title.is_not(None))).all()
    linked = db.session.scalars(db.select(BestPractice).where(BestPractice.year_id == archive.id,
                                                              BestPractice.event_id.is_not(None))).all()
    assert linked and {(b.event_id, b.author_id, b.topic) for b in linked} <= {
        (r.event_id, r.user_id, r.talk_title) for r in speakers}
    beginner = db.session.scalar(db.select(User).join(Registration, Registration.user_id == User.id)
                                 .where(Registration.event_id == course.id).limit(1))
    login_as(beginner)
    r = _get(client, f"/events/{course.id}/certificate.pdf")
    assert r.status_code == 200 and "72 академических часа" in pdf_text(r.data)
    portfolio = _get(client, "/my/portfolio").get_data(as_text=True)
    total = int(re.search(r"data-total-hours>Всего: (\d+) академическ", portfolio)[1])
    assert total > 72 and "2015–2016 учебный год" in portfolio
