"""Login throttling, session cookies, ending sessions (remember-me too), password rules."""

from __future__ import annotations

import re

from mo_app.extensions import db
from mo_app.models import ThrottleCounter, User

from .factories import PASSWORD
from .security_helpers import other_app

THROTTLED = "Слишком много неудачных попыток входа"


def login(client, name, password, **extra):
    return client.post("/login", data={"login": name, "password": password, **extra})


def error_text(response) -> str:
    """The message shown next to the password field (what the user reads)."""
    m = re.search(r'<small class="field-error"[^>]*>(.*?)</small>', response.get_data(as_text=True), re.S)
    return m[1].strip() if m else ""


# --- throttling -----------------------------------------------------------------------------------------


def test_failed_logins_per_login_name_are_throttled_with_a_russian_429(client, f):
    f.librarian(login="petrova")
    for _ in range(5):
        r = login(client, "petrova", "wrong-password")
        assert r.status_code == 422
    r = login(client, "petrova", PASSWORD)  # even the right password is not checked now
    assert r.status_code == 429
    assert THROTTLED in error_text(r)
    assert "15 минут" in error_text(r)
    assert client.get("/").status_code == 302  # not logged in


def test_throttling_does_not_reveal_whether_the_login_exists(client, f):
    f.librarian(login="petrova")
    answers = {}
    for name in ("petrova", "nobody-here"):
        statuses = [login(client, name, "wrong-password").status_code for _ in range(5)]
        assert statuses == [422] * 5
        answers[name] = login(client, name, "wrong-password")
    assert answers["petrova"].status_code == answers["nobody-here"].status_code == 429
    assert error_text(answers["petrova"]) == error_text(answers["nobody-here"])


def test_login_name_is_normalised_for_throttling(client, f):
    f.librarian(login="petrova")
    for name in ("petrova", "PETROVA", " Petrova ", "petrova", "pEtrova"):
        assert login(client, name, "wrong-password").status_code == 422
    assert login(client, "petrova", PASSWORD).status_code == 429


def from_address(app, address: str):
    """A test client whose requests come from `address`."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def test_the_owner_logs_in_from_another_address_after_someone_guessed_her_password(app, f):
    f.librarian(login="udachina")
    guesser = from_address(app, "10.0.0.66")
    assert [login(guesser, "udachina", "wrong-password").status_code for _ in range(5)] == [422] * 5
    assert login(guesser, "udachina", PASSWORD).status_code == 429  # the guessing address is stopped
    owner = from_address(app, "10.0.0.7")
    assert login(owner, "udachina", PASSWORD).status_code == 303
    assert owner.get("/").status_code == 200


def test_a_school_behind_one_address_is_not_locked_out_by_its_typos(app, f):
    """Thirty people of one school (one NAT address) mistype their logins; then they log in from there."""
    f.librarian(login="patrakova")
    f.librarian(login="golubeva")
    school = from_address(app, "192.0.2.10")
    for i in range(30):
        assert login(school, f"made-up-{i}", "wrong-password").status_code == 422
    assert login(school, "golubeva", "wrong-password").status_code == 422  # her own typo, too
    assert login(school, "patrakova", PASSWORD).status_code == 303
    assert login(from_address(app, "192.0.2.10"), "golubeva", PASSWORD).status_code == 303


def test_failed_logins_per_address_are_throttled_at_the_address_limit(tmp_path, f):
    f.librarian(login="petrova")
    with other_app(tmp_path, LOGIN_LIMIT_PER_ADDRESS="8 per 15 minutes") as app:
        attacker = from_address(app, "10.0.0.66")
        for i in range(8):
            assert login(attacker, f"guess{i}", "wrong-password").status_code == 422
        r = login(attacker, "petrova", PASSWORD)
        assert r.status_code == 429 and THROTTLED in error_text(r)
        # another address is not affected
        assert login(from_address(app, "10.0.0.7"), "petrova", PASSWORD).status_code == 303


def test_default_limits_leave_room_for_a_school(app):
    from limits import parse

    from mo_app.security import LIMIT_PER_ADDRESS, LIMIT_PER_LOGIN

    per_address = parse(app.config["LOGIN_LIMIT_PER_ADDRESS"] or LIMIT_PER_ADDRESS)
    per_login = parse(app.config["LOGIN_LIMIT_PER_LOGIN"] or LIMIT_PER_LOGIN)
    assert per_address.amount >= 30 * 3 and per_address.get_expiry() <= 15 * 60
    assert per_login.amount == 5 and per_login.get_expiry() == 15 * 60


def test_successful_logins_and_form_errors_are_not_counted(client, f):
    f.librarian(login="petrova")
    for _ in range(8):
        assert login(client, "petrova", PASSWORD).status_code == 303
        client.post("/logout")
    for _ in range(8):
        assert login(client, "", "").status_code == 422  # incomplete form: not an attempt
    for _ in range(4):
        assert login(client, "petrova", "wrong-password").status_code == 422
    assert login(client, "petrova", PASSWORD).status_code == 303  # success clears the name's failures
    client.post("/logout")
    for _ in range(4):
        assert login(client, "petrova", "wrong-password").status_code == 422
    assert login(client, "petrova", PASSWORD).status_code == 303


def test_two_app_processes_on_one_database_share_the_counters(tmp_path, client, f):
    """Two create_app on one database are two worker processes: failures counted by one stop the other."""
    f.librarian(login="petrova")
    for _ in range(3):
        assert login(client, "petrova", "wrong-password").status_code == 422
    with other_app(tmp_path) as worker:
        c = worker.test_client()
        assert [login(c, "petrova", "wrong-password").status_code for _ in range(3)] == [422, 422, 429]
        assert login(c, "petrova", PASSWORD).status_code == 429
    assert login(client, "petrova", PASSWORD).status_code == 429


def test_a_limits_storage_can_hold_the_counters(tmp_path, f):
    """RATELIMIT_STORAGE_URI names a `limits` storage (redis://… in production; memory:// is per process)."""
    f.librarian(login="petrova")
    with other_app(tmp_path, RATELIMIT_STORAGE_URI="memory://") as app:
        c = app.test_client()
        assert [login(c, "petrova", "wrong-password").status_code for _ in range(6)] == [422] * 5 + [429]
        assert login(from_address(app, "10.0.0.7"), "petrova", PASSWORD).status_code == 303
        assert db.session.scalar(db.select(db.func.count()).select_from(ThrottleCounter)) == 0  # not in the DB
    with other_app(tmp_path, RATELIMIT_STORAGE_URI="memory://") as fresh:  # another process: its own memory
        assert login(fresh.test_client(), "petrova", PASSWORD).status_code == 303


def test_throttling_can_be_configured_and_disabled(tmp_path, f):
    f.librarian(login="petrova")
    with other_app(tmp_path, LOGIN_LIMIT_PER_LOGIN="2 per hour") as strict:
        c = strict.test_client()
        assert [login(c, "petrova", "x-wrong-x").status_code for _ in range(3)] == [422, 422, 429]
        assert "60 минут" in error_text(login(c, "petrova", PASSWORD))
    with other_app(tmp_path, RATELIMIT_ENABLED=False) as off:
        c = off.test_client()
        assert {login(c, "petrova", "x-wrong-x").status_code for _ in range(25)} == {422}
        assert login(c, "petrova", PASSWORD).status_code == 303


# --- cookies and sessions --------------------------------------------------------------------------------


def _cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, f):
    f.librarian(login="petrova")
    r = login(client, "petrova", PASSWORD, remember="y")
    cookies = _cookie_headers(r)
    for name in ("session", "remember_token"):
        header = cookies[name]
        assert "HttpOnly" in header, header
        assert "SameSite=Lax" in header, header
        assert "Secure" not in header, header  # plain HTTP intranet by default


def test_cookies_are_secure_when_configured(tmp_path, f):
    f.librarian(login="petrova")
    with other_app(tmp_path, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True) as app:
        r = login(app.test_client(), "petrova", PASSWORD, remember="y")
        cookies = _cookie_headers(r)
        assert "Secure" in cookies["session"]
        assert "Secure" in cookies["remember_token"]


def _only_remember_cookie(client):
    """Forget the session cookie, as a browser does when it is closed; keep the remember-me cookie."""
    client.delete_cookie("session")
    assert client.get_cookie("remember_token") is not None


def test_remember_cookie_restores_a_session(app, f):
    f.librarian(login="petrova")
    c = app.test_client()
    login(c, "petrova", PASSWORD, remember="y")
    _only_remember_cookie(c)
    assert c.get("/").status_code == 200


def test_password_change_ends_other_sessions_and_remember_cookies(app, f):
    f.librarian(login="petrova")
    laptop, phone, library_pc = app.test_client(), app.test_client(), app.test_client()
    login(laptop, "petrova", PASSWORD)
    login(phone, "petrova", PASSWORD)
    login(library_pc, "petrova", PASSWORD, remember="y")
    r = laptop.post("/password", data={"current": PASSWORD, "new": "Новый-пароль-7", "confirm": "Новый-пароль-7"})
    assert r.status_code == 303
    assert laptop.get("/").status_code == 200  # the session that changed it goes on
    assert phone.get("/").status_code == 302
    assert library_pc.get("/").status_code == 302
    _only_remember_cookie(library_pc)
    assert library_pc.get("/").status_code == 302  # the remember-me cookie is dead too


def test_deactivation_ends_sessions_and_remember_cookies_even_after_reactivation(app, f):
    user = f.librarian(login="petrova")
    c, remembered = app.test_client(), app.test_client()
    login(c, "petrova", PASSWORD)
    login(remembered, "petrova", PASSWORD, remember="y")
    user.active = False
    db.session.commit()
    assert c.get("/").status_code == 302
    _only_remember_cookie(remembered)
    assert remembered.get("/").status_code == 302
    # Reactivated: the old sessions stay ended, a new login works.
    user = db.session.get(User, user.id)
    user.active = True
    db.session.commit()
    assert c.get("/").status_code == 302
    _only_remember_cookie(remembered)
    assert remembered.get("/").status_code == 302
    assert login(app.test_client(), "petrova", PASSWORD).status_code == 303


def test_logout_clears_the_remember_cookie(app, f):
    f.librarian(login="petrova")
    c = app.test_client()
    login(c, "petrova", PASSWORD, remember="y")
    c.post("/logout")
    assert c.get_cookie("remember_token") is None or c.get_cookie("remember_token").value == ""
    assert c.get("/").status_code == 302


def test_forged_session_user_id_is_refused(app, f):
    user = f.librarian()
    c = app.test_client()
    for forged in (str(user.id), f"{user.id}:999", f"{user.id}:abc", "x:1", ""):
        with c.session_transaction() as sess:
            sess["_user_id"] = forged
        assert c.get("/").status_code == 302, forged


# --- passwords ---------------------------------------------------------------------------------------------


def test_passwords_are_hashed_with_scrypt(app, f):
    user = f.librarian()
    user.set_password("Длинный-пароль-2026")
    db.session.commit()
    assert user.password_hash.startswith("scrypt:")
    assert "Длинный-пароль-2026" not in user.password_hash
    assert user.check_password("Длинный-пароль-2026") and not user.check_password("длинный-пароль-2026")


def test_weak_and_short_passwords_are_refused_in_russian(client, f, login_as):
    user = f.librarian()
    login_as(user)
    cases = {
        "Кот-1": "не короче 8 символов",
        "password": "слишком простой",
        "qwerty123": "слишком простой",
        "aaaaaaaaaaaa": "слишком простой",
        "abababab": "слишком простой",
    }
    for new, message in cases.items():
        r = client.post("/password", data={"current": PASSWORD, "new": new, "confirm": new})
        assert r.status_code == 422, new
        assert message in r.get_data(as_text=True), new
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_cli_refuses_a_short_password(runner, f):
    school = f.school("79")
    r = runner.invoke(
        args=["create-user", "ivanova", "--last-name", "Иванова", "--school", school.short_name],
        input="short\nshort\n",
    )
    assert r.exit_code != 0
    assert "не короче 8 символов" in r.output
    assert db.session.scalar(db.select(User).where(User.login == "ivanova")) is None
