"""Password reset by e-mail, end to end through the test client and a real SMTP server: «Забыли пароль?» on /login,
the same answer whether or not the account exists, a letter with a link valid one hour and once, the strength
rule, the user's other sessions ended, throttling."""

from __future__ import annotations

import re
import time

from mo_app.auth import reset
from mo_app.extensions import db
from mo_app.mail import sender
from mo_app.models import OutboxLetter, UserSession

from .conftest import without_csrf
from .mail_helpers import body

NEW = "Новый-пароль-2027"
LINK = re.compile(r"http://mo\.school\.test:5000(/password/reset/[A-Za-z0-9_.\-]+)")


def _letter_link(smtp, address: str) -> str:
    sender.send_due()
    msgs = smtp.to(address)
    assert msgs, f"no letter to {address}"
    msg = msgs[-1]
    assert msg["Subject"] == "Смена пароля"
    assert "List-Unsubscribe" not in msg  # a reset letter cannot be turned off
    return LINK.search(body(msg))[1]


def test_forgot_password_sends_a_link_that_sets_a_new_password_and_ends_other_sessions(client, f, smtp):
    from mo_app.auth.sessions import open_session

    me = f.librarian(login="alexandrova", email="Alexandrova@Example.org")
    open_session(me)  # logged in on another device
    assert db.session.scalar(db.select(db.func.count(UserSession.id)).where(UserSession.user_id == me.id)) == 1
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in login_page and "Забыли пароль?" in login_page
    r = client.post("/password/forgot", data={"login": "alexandrova@example.org"})
    assert r.status_code == 200 and "отправлено письмо" in r.get_data(as_text=True)
    path = _letter_link(smtp, "Alexandrova@Example.org")
    page = client.get(path)
    assert page.status_code == 200 and "alexandrova" in page.get_data(as_text=True)
    weak = client.post(path, data={"new": "12345678", "confirm": "12345678"})
    assert weak.status_code == 422 and "слишком простой" in weak.get_data(as_text=True)
    mismatch = client.post(path, data={"new": NEW, "confirm": NEW + "x"})
    assert mismatch.status_code == 422 and "Пароли не совпадают" in mismatch.get_data(as_text=True)
    done = client.post(path, data={"new": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    assert db.session.scalar(db.select(db.func.count(UserSession.id)).where(UserSession.user_id == me.id)) == 0
    r = client.post("/login", data={"login": "alexandrova", "password": NEW})
    assert r.status_code == 303  # logged in with the new password
    client.post("/logout")
    again = client.get(path)  # used: the password hash it was signed with is gone
    assert again.status_code == 404 and "уже использована" in again.get_data(as_text=True)
    assert client.post(path, data={"new": "Ещё-пароль-2028", "confirm": "Ещё-пароль-2028"}).status_code == 404


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, f, smtp):
    f.librarian(login="real", email="real@example.org")
    f.librarian(login="offline", email="off@example.org", active=False)
    f.librarian(login="nomail", email=None)
    answers = {name: client.post("/password/forgot", data={"login": name}) for name in
               ("real", "nobody", "offline", "nomail")}
    texts = {name: (r.status_code, without_csrf(r.get_data(as_text=True))) for name, r in answers.items()}
    assert len({t for t in texts.values()}) == 1, texts
    letters = db.session.scalars(db.select(OutboxLetter.recipient)).all()
    assert letters == ["real@example.org"]


def test_a_link_expires_after_an_hour(client, f, smtp, app):
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class AnHourAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - reset.MAX_AGE - 1

    me = f.librarian(login="late", email="late@example.org")
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=f"password-reset:{me.password_hash}",
                                 signer=AnHourAgo).dumps(me.id)
    r = client.get(f"/password/reset/{old}")
    assert r.status_code == 410 and "устарела" in r.get_data(as_text=True)
    assert client.post(f"/password/reset/{old}", data={"new": NEW, "confirm": NEW}).status_code == 410
    with app.test_request_context():
        fresh = reset.make_token(me)
    assert client.get(f"/password/reset/{fresh}").status_code == 200


def test_a_forged_link_is_refused_with_a_russian_message(client):
    for token in ("x", "eyJ1Ijo1fQ.forged.sig", "1." + "a" * 500):
        r = client.get(f"/password/reset/{token}")
        assert r.status_code == 404 and "недействительна" in r.get_data(as_text=True)


def test_requests_are_throttled_per_account(client, f, smtp):
    f.librarian(login="busy", email="busy@example.org")
    codes = [client.post("/password/forgot", data={"login": "busy"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.post("/password/forgot", data={"login": "busy"})
    assert "Слишком много запросов" in r.get_data(as_text=True)
    assert len(db.session.scalars(db.select(OutboxLetter.id)).all()) == 3


def test_an_empty_request_gets_a_message_next_to_the_field(client):
    r = client.post("/password/forgot", data={"login": ""})
    assert r.status_code == 422 and "field-error" in r.get_data(as_text=True)
    assert "Введите логин или адрес" in r.get_data(as_text=True)


def test_the_account_limit_holds_across_its_login_and_its_address(client, f, smtp):
    f.librarian(login="twice", email="twice@example.org")
    for name in ("twice", "twice@example.org", "twice", "twice@example.org"):
        assert client.post("/password/forgot", data={"login": name}).status_code == 200  # the same answer
    assert len(db.session.scalars(db.select(OutboxLetter.id)).all()) == 3  # but no fourth letter
