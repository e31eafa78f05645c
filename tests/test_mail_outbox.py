"""The outbox against a real SMTP server (aiosmtpd): letters go with the change that causes them, a rolled-back
change sends nothing, temporary failures retry, permanent ones fail with the server's answer, nothing is lost
while mail is not configured, and no letter goes to a deactivated account or one without an address."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from mo_app.events import services as events
from mo_app.extensions import db
from mo_app.mail import outbox, sender
from mo_app.models import OutboxLetter
from mo_app.models.base import utcnow

from .conftest import TEST_ASSOCIATION
from .events_helpers import coming_event
from .mail_helpers import SmtpServer, body, decoded_from
from .server_helpers import free_port


def _letters(**where) -> list[OutboxLetter]:
    db.session.expire_all()
    stmt = db.select(OutboxLetter).order_by(OutboxLetter.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxLetter, name) == value)
    return db.session.scalars(stmt).all()


def test_a_sign_up_sends_a_confirmation_with_the_link_and_a_valid_ics(client, f, login_as, smtp):
    ev = coming_event(f, capacity=10)
    me = f.librarian(email="alexandrova@example.org", first_name="Елена")
    login_as(me)
    assert client.post(f"/events/{ev.id}/register").status_code == 303
    assert [lt.status for lt in _letters()] == ["queued"]
    assert sender.send_due() == 1
    (msg,) = smtp.to("alexandrova@example.org")
    assert msg["Subject"] == f"Вы записаны: {ev.display_title}"
    assert decoded_from(msg) == f"{TEST_ASSOCIATION} <mo@example.org>"
    assert f"http://mo.school.test:5000/events/{ev.id}" in body(msg)
    assert f'href="http://mo.school.test:5000/events/{ev.id}"' in body(msg, "html")
    assert msg["Message-ID"] == _letters()[0].message_id
    (ics,) = [part for part in msg.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert ics.get_filename() == f"event-{ev.id}.ics" and ics.get_content_charset() == "utf-8"
    cal = Calendar.from_ical(ics.get_content())
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["summary"]).endswith(ev.display_title)
    assert vevent.decoded("dtstart") == ev.plan_date.start
    unsubscribe = msg["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://mo.school.test:5000/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    sent = _letters()[0]
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1


def test_a_rolled_back_change_sends_nothing(app, f, smtp):
    ev = coming_event(f, capacity=10)
    me = f.librarian(email="a@example.org")
    reg = f.registration(ev, me)
    from mo_app.mail import letters

    letters.signed_up(reg, me, ev)
    assert db.session.new  # only added to the session
    db.session.rollback()
    assert _letters() == []
    assert sender.send_due() == 0 and smtp.messages() == []


def test_a_refused_sign_up_writes_no_letter(client, f, login_as, smtp):
    ev = coming_event(f, capacity=10, status="cancelled")
    login_as(f.librarian(email="a@example.org"))
    assert client.post(f"/events/{ev.id}/register").status_code in (303, 409)
    assert _letters() == []


def test_a_refused_connection_is_retried_later_and_then_delivered(app, f):
    port = free_port()  # nobody listens here yet
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none", MAIL_FROM="mo@example.org")
    ev = coming_event(f, capacity=10)
    events.register(ev.id, f.librarian(email="a@example.org").id)
    now = utcnow()
    assert sender.send_due(now=now) == 0
    (letter,) = _letters()
    assert letter.status == "queued" and letter.attempts == 1
    assert "нет соединения" in letter.last_error
    assert letter.next_attempt_at == now + timedelta(minutes=1)
    assert sender.send_due(now=now + timedelta(seconds=30)) == 0  # not due yet: nothing tried
    assert _letters()[0].attempts == 1
    assert sender.send_due(now=now + timedelta(minutes=1)) == 0  # still refused: the delay grows
    assert _letters()[0].next_attempt_at == now + timedelta(minutes=3)
    server = SmtpServer(port).start()
    try:
        assert sender.send_due(now=now + timedelta(minutes=3)) == 1
        assert len(server.sink.to("a@example.org")) == 1
    finally:
        server.stop()
    assert _letters()[0].status == "sent" and _letters()[0].attempts == 3


def test_a_5xx_answer_fails_the_letter_with_the_servers_answer_and_4xx_retries(app, f, smtp):
    ev = coming_event(f, capacity=10)
    events.register(ev.id, f.librarian(email="bounce@example.org").id)
    events.register(ev.id, f.librarian(email="later@example.org").id)
    events.register(ev.id, f.librarian(email="fine@example.org").id)
    assert sender.send_due() == 1
    by = {lt.recipient: lt for lt in _letters()}
    assert by["bounce@example.org"].status == "failed" and "550" in by["bounce@example.org"].last_error
    assert "Нет такого ящика" in by["bounce@example.org"].last_error
    assert by["later@example.org"].status == "queued" and "451" in by["later@example.org"].last_error
    assert by["fine@example.org"].status == "sent"
    assert [m["To"] for m in smtp.messages()] == ["fine@example.org"]


def test_a_letter_unsent_for_24_hours_fails(app, f):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TLS="none")
    ev = coming_event(f, capacity=10)
    events.register(ev.id, f.librarian(email="a@example.org").id)
    later = utcnow() + timedelta(hours=24, minutes=1)
    sender.send_due(now=later)
    (letter,) = _letters()
    assert letter.status == "failed" and "24 часа" in letter.last_error


def test_without_smtp_host_letters_wait_and_go_once_configured(client, f, login_as, smtp):
    port = smtp_port = client.application.config["SMTP_PORT"]
    client.application.config["SMTP_HOST"] = None
    ev = coming_event(f, capacity=10)
    events.register(ev.id, f.librarian(email="a@example.org").id)
    assert sender.send_due() == 0
    assert [lt.status for lt in _letters()] == ["unconfigured"]
    login_as(f.methodologist())
    page = client.get("/mail").get_data(as_text=True)
    assert "Почта не настроена" in page and "почта не настроена" in page
    client.application.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port or smtp_port)
    assert sender.send_due() == 1
    assert len(smtp.to("a@example.org")) == 1
    assert "Почта не настроена" not in client.get("/mail").get_data(as_text=True)


def test_no_letter_to_a_deactivated_account_or_one_without_an_address(app, f, smtp):
    ev = coming_event(f, capacity=10)
    events.register(ev.id, f.librarian(email=None).id)
    events.register(ev.id, f.librarian(email="  ").id)
    assert _letters() == []
    me = f.librarian(email="a@example.org")
    events.register(ev.id, me.id)
    me.active = False  # deactivated after the letter was written, before it went
    db.session.commit()
    assert sender.send_due() == 0
    (letter,) = _letters()
    assert letter.status == "failed" and "отключена" in letter.last_error
    assert smtp.messages() == []
    assert outbox.wants(me, "signup") is False


def test_the_same_message_id_on_every_attempt(app, f):
    port = free_port()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none")
    ev = coming_event(f, capacity=10)
    events.register(ev.id, f.librarian(email="a@example.org").id)
    now = utcnow()
    sender.send_due(now=now)
    message_id = _letters()[0].message_id
    server = SmtpServer(port).start()
    try:
        sender.send_due(now=now + timedelta(minutes=5))
        (msg,) = server.sink.messages()
    finally:
        server.stop()
    assert msg["Message-ID"] == message_id


def test_a_title_with_line_breaks_makes_a_one_line_subject_and_a_broken_letter_fails_alone(app, f, smtp):
    ev = coming_event(f, capacity=10, title="Семинар\r\nBcc: evil@example.org")
    events.register(ev.id, f.librarian(email="a@example.org").id)
    (letter,) = _letters()
    assert "\n" not in letter.subject and "\r" not in letter.subject
    broken = OutboxLetter(recipient="b@example.org", kind="signup", sender_name="МО", subject="Тема\nBcc: x@y.z",
                          text="…", message_id="<broken@example.org>")
    db.session.add(broken)
    db.session.commit()
    assert sender.send_due() == 1
    by = {lt.recipient: lt for lt in _letters()}
    assert by["a@example.org"].status == "sent"
    assert by["b@example.org"].status == "failed" and "не удалось составить" in by["b@example.org"].last_error
    (msg,) = smtp.messages()
    assert msg["Bcc"] is None and [e for e in smtp.received][0].rcpt_tos == ["a@example.org"]


def test_a_resent_letter_goes_to_the_corrected_address_with_a_fresh_day_of_attempts(app, f, smtp):
    from mo_app.mail import services

    ev = coming_event(f, capacity=10)
    me = f.librarian(email="bounce@example.org")
    events.register(ev.id, me.id)
    sender.send_due()
    (letter,) = _letters()
    assert letter.status == "failed"
    letter.created_at = letter.queued_at = utcnow() - timedelta(days=3)  # failed long ago
    me.email = "fixed@example.org"
    db.session.commit()
    services.resend(letter.id, f.methodologist())
    app.config["SMTP_PORT"] = free_port()  # the server is down now: a temporary failure, not «24 hours passed»
    sender.send_due()
    (letter,) = _letters()
    assert letter.status == "queued" and letter.recipient == "fixed@example.org"
    assert "24 часа" not in letter.last_error
