"""Each letter kind arrives at a real SMTP server with the right recipient, subject and link, written by the
service that causes it; /mail (resend a failed letter); preferences and the one-click unsubscribe."""

from __future__ import annotations

from datetime import date

from mo_app.events import services as events
from mo_app.extensions import db
from mo_app.mail import sender
from mo_app.mail.outbox import unsubscribe_token
from mo_app.models import MailPreference, OutboxLetter, VisitReport

from .events_helpers import coming_event
from .mail_helpers import body
from .visits_helpers import report_form, visit_with_report

APP = "http://mo.school.test:5000"


def _one(smtp, address: str):
    sender.send_due()
    msgs = smtp.to(address)
    assert len(msgs) == 1, [m["Subject"] for m in smtp.messages()]
    return msgs[0]


def test_waiting_list_letter_names_the_position_and_promotion_follows(app, f, smtp):
    ev = coming_event(f, capacity=1)
    first = f.librarian(email="first@example.org")
    second = f.librarian(email="second@example.org")
    third = f.librarian(email="third@example.org")
    events.register(ev.id, first.id)
    events.register(ev.id, second.id)
    events.register(ev.id, third.id)
    msg = _one(smtp, "third@example.org")
    assert msg["Subject"] == f"Лист ожидания: {ev.display_title}"
    assert "ваше место в очереди — 2" in body(msg) and f"{APP}/events/{ev.id}" in body(msg)
    assert "место в очереди — 1" in body(_one(smtp, "second@example.org"))
    events.cancel(ev.id, first.id)
    sender.send_due()
    (promoted,) = [m for m in smtp.to("second@example.org") if m["Subject"].startswith("Освободилось место")]
    assert f"{APP}/events/{ev.id}" in body(promoted)
    assert any(p.get_content_type() == "text/calendar" for p in promoted.iter_attachments())
    assert len(smtp.to("third@example.org")) == 1  # still waiting: no new letter


def test_signed_up_by_the_methodologist(app, f, smtp):
    ev = coming_event(f, capacity=5)
    boss = f.methodologist(last_name="Петрова", initials="О.И.")
    lib = f.librarian(email="lib@example.org")
    events.register(ev.id, lib.id, by=boss)
    msg = _one(smtp, "lib@example.org")
    assert msg["Subject"] == f"Методист записал вас: {ev.display_title}"
    assert "Петрова О.И." in body(msg) and f"{APP}/events/{ev.id}" in body(msg)


def test_a_changed_date_and_a_cancellation_reach_those_signed_up(client, f, login_as, smtp):
    ev = coming_event(f, capacity=5)
    on = f.librarian(email="on@example.org")
    gone = f.librarian(email="gone@example.org")
    events.register(ev.id, on.id)
    events.register(ev.id, gone.id)
    events.cancel(ev.id, gone.id)
    sender.send_due()
    smtp.received.clear()
    login_as(f.methodologist())
    data = {"kind": "seminar", "title": ev.title, "goal_id": "0", "venue_id": "0", "date_kind": "day",
            "day": "2027-04-15", "capacity": "5", "signup_deadline": "", "is_open": "y", "description": ""}
    assert client.post(f"/events/{ev.id}/edit", data=data).status_code == 303
    msg = _one(smtp, "on@example.org")
    assert msg["Subject"] == f"Изменения в мероприятии: {ev.display_title}"
    assert "15 апреля 2027" in body(msg) and f"{APP}/events/{ev.id}" in body(msg)
    assert smtp.to("gone@example.org") == []  # cancelled her sign-up: not told
    smtp.received.clear()
    assert client.post(f"/events/{ev.id}/cancel-event", data={"reason": "Болезнь лектора"}).status_code == 303
    msg = _one(smtp, "on@example.org")
    assert msg["Subject"] == f"Мероприятие отменено: {ev.display_title}"
    assert "Болезнь лектора" in body(msg)


def test_a_finalised_report_asks_the_schools_librarians_to_confirm(client, f, login_as, smtp):
    school, other = f.school("79"), f.school("80")
    a = f.librarian(school, email="a79@example.org")
    f.librarian(school, email="off79@example.org", active=False)
    f.librarian(other, email="b80@example.org")
    visit = visit_with_report(f, school, final=False)
    report = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit.id))
    login_as(f.methodologist())
    r = client.post(f"/visits/{visit.id}/report/finalise", data=report_form(report))
    assert r.status_code == 303
    msg = _one(smtp, "a79@example.org")
    assert msg["Subject"] == f"Справка по посещению: {school.short_name}"
    assert "Ознакомлен(а)" in body(msg) and f"{APP}/visits/{visit.id}" in body(msg)
    assert [m["To"] for m in smtp.messages()] == ["a79@example.org"]
    assert a.id


def test_an_answered_consultation_request(app, f, smtp):
    year = f.year(2026)
    me, boss = f.librarian(email="me@example.org"), f.methodologist()
    req = events.ask_for_consultation(year, me, None, "Каталог", "вторники")
    assert db.session.scalars(db.select(OutboxLetter)).all() == []  # asking writes no letter to her
    events.handle_consultation(req, boss, "schedule", scheduled_date=date(2026, 12, 17), place="Кабинет 5")
    msg = _one(smtp, "me@example.org")
    assert msg["Subject"] == "Заявка на консультацию: Каталог"
    assert "17.12.2026" in body(msg) and "Кабинет 5" in body(msg) and f"{APP}/consultations" in body(msg)


def test_preferences_turn_a_kind_off_and_on(client, f, login_as, smtp):
    ev = coming_event(f, capacity=5)
    me = f.librarian(email="me@example.org")
    login_as(me)
    page = client.get("/profile/notifications").get_data(as_text=True)
    assert 'name="kind" value="signup" checked' in page
    r = client.post("/profile/notifications", data={"kind": ["event_changed", "report"]})
    assert r.status_code == 303
    assert 'name="kind" value="signup" checked' not in client.get("/profile/notifications").get_data(as_text=True)
    events.register(ev.id, me.id)
    assert db.session.scalars(db.select(OutboxLetter)).all() == []  # sign-up letters are off
    bad = client.post("/profile/notifications", data={"kind": ["signup", "no-such-kind"]})
    assert bad.status_code == 422 and "Неизвестный вид писем" in bad.get_data(as_text=True)
    assert client.post("/profile/notifications", data={"kind": ["signup"]}).status_code == 303
    events.cancel(ev.id, me.id)
    events.register(ev.id, me.id)
    assert len(_one(smtp, "me@example.org")["Subject"]) > 0


def test_the_unsubscribe_link_turns_that_kind_off_without_login(client, f, smtp):
    ev = coming_event(f, capacity=5)
    me = f.librarian(email="me@example.org")
    events.register(ev.id, me.id)
    msg = _one(smtp, "me@example.org")
    link = msg["List-Unsubscribe"].strip("<>")
    assert link in body(msg) and link.startswith(f"{APP}/unsubscribe/")
    path = link.removeprefix(APP)
    page = client.get(path)
    assert page.status_code == 200 and "Отписаться" in page.get_data(as_text=True)
    assert db.session.scalars(db.select(MailPreference)).all() == []  # a GET (a link scanner) changes nothing
    # a mail client's one-click POST (RFC 8058): no session, no CSRF token
    r = client.post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert r.status_code == 200 and "больше не будут приходить" in r.get_data(as_text=True)
    db.session.expire_all()
    assert [(p.user_id, p.kind) for p in db.session.scalars(db.select(MailPreference))] == [(me.id, "signup")]
    events.cancel(ev.id, me.id)
    events.register(ev.id, me.id)
    assert db.session.scalar(db.select(db.func.count(OutboxLetter.id))) == 1  # no new letter
    assert client.post(path, csrf=False).status_code == 200  # twice: still fine
    forged = unsubscribe_token(me.id, "signup")[:-2] + "xx"
    assert client.post(f"/unsubscribe/{forged}", csrf=False).status_code == 404


def test_mail_page_shows_the_servers_answer_and_resends_a_failed_letter(client, f, login_as, smtp):
    ev = coming_event(f, capacity=5)
    events.register(ev.id, f.librarian(email="bounce@example.org").id)
    sender.send_due()
    (letter,) = db.session.scalars(db.select(OutboxLetter)).all()
    assert letter.status == "failed"
    login_as(f.librarian())
    assert client.get("/mail").status_code == 403
    assert client.post(f"/mail/{letter.id}/resend").status_code == 403
    login_as(f.methodologist())
    page = client.get("/mail?status=failed").get_data(as_text=True)
    assert "bounce@example.org" in page and "550" in page and "Нет такого ящика" in page
    assert "Отправить снова" in page and "Почта не настроена" not in page
    assert 'href="/mail"' in client.get("/").get_data(as_text=True)  # the menu item
    r = client.post(f"/mail/{letter.id}/resend")
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(OutboxLetter, letter.id).status == "queued"
    again = client.post(f"/mail/{letter.id}/resend")  # not failed any more: refused with a message
    assert again.status_code == 303
    assert "только недоставленное" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert client.post("/mail/999999/resend").status_code == 404


def test_the_demo_gives_every_account_an_address_and_mail_shows_its_letters(demo, client, login_as):
    from mo_app.mail.sender import send_due
    from mo_app.models import User

    users = db.session.scalars(db.select(User)).all()
    assert users and all(u.email and u.email.endswith("@example.org") for u in users)
    letters = db.session.scalars(db.select(OutboxLetter)).all()
    kinds = {lt.kind for lt in letters}
    assert {"signup", "report"} <= kinds, kinds
    assert send_due() == 0  # the demo has no SMTP_HOST: they wait
    db.session.expire_all()
    assert {lt.status for lt in db.session.scalars(db.select(OutboxLetter))} == {"unconfigured"}
    boss = db.session.scalar(db.select(User).where(User.role == "methodologist"))
    login_as(boss)
    page = client.get("/mail").get_data(as_text=True)
    assert "Почта не настроена" in page and "@example.org" in page and "Справка по посещению" in page


def test_an_address_that_bounced_for_good_is_marked_on_users(client, f, login_as, smtp):
    ev = coming_event(f, capacity=5)
    gone = f.librarian(login="gone", email="bounce@example.org")
    busy = f.librarian(login="busy", email="later@example.org")
    fine = f.librarian(login="fine", email="fine@example.org")
    for user in (gone, busy, fine):
        events.register(ev.id, user.id)
    sender.send_due()
    login_as(f.methodologist())
    page = client.get("/users").get_data(as_text=True)
    rows = {login: next(chunk for chunk in page.split('<tr id="user-') if f"<code>{login}</code>" in chunk)
            for login in ("gone", "busy", "fine")}
    assert "адрес не принимает письма" in rows["gone"]
    assert "адрес не принимает письма" not in rows["busy"]  # 451: only later
    assert page.count("адрес не принимает письма") == 1
    gone.email = "new@example.org"  # a corrected address is not marked
    db.session.commit()
    assert "адрес не принимает письма" not in client.get("/users").get_data(as_text=True)


def test_moved_up_by_the_methodologist_is_told_too(app, f, smtp):
    ev = coming_event(f, capacity=1)
    events.register(ev.id, f.librarian(email="seat@example.org").id)
    waiting = f.librarian(email="wait@example.org")
    reg = events.register(ev.id, waiting.id)
    sender.send_due()
    events.move_up(ev.id, reg.id, f.methodologist())
    sender.send_due()
    subjects = [m["Subject"] for m in smtp.to("wait@example.org")]
    assert subjects == [f"Лист ожидания: {ev.display_title}", f"Освободилось место: {ev.display_title}"]
