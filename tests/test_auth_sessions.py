"""Server-side sessions: logout ends them (both cookies), the profile lists them and ends them everywhere,
a password change, a reset or a deactivation end the others; last_seen is renewed at most once an hour."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from mo_app.auth.sessions import TOUCH_EVERY
from mo_app.extensions import db
from mo_app.models import User, UserSession
from mo_app.models.base import utcnow

from .factories import PASSWORD

NEW_PASSWORD = "Новый-пароль-7"


def login(client, name, password=PASSWORD, **extra):
    return client.post("/login", data={"login": name, "password": password, **extra})


def cookie(client, name: str) -> str:
    c = client.get_cookie(name)
    assert c is not None and c.value, name
    return c.value


def with_cookie(app, name: str, value: str):
    """A new browser holding only a copy of one cookie."""
    c = app.test_client()
    c.set_cookie(name, value)
    return c


def opens_my_events(client) -> bool:
    """True when the page opens; False when the login page is what comes back."""
    r = client.get("/my/events")
    if r.status_code == 302:
        assert r.headers["Location"].startswith("/login"), r.headers["Location"]
        return False
    assert r.status_code == 200
    return True


def sessions_of(user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)))


# --- logout -------------------------------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server_for_both_cookies(app, f):
    f.librarian(login="udachina")
    browser = app.test_client()
    assert login(browser, "udachina", remember="y").status_code == 303
    session, remember = cookie(browser, "session"), cookie(browser, "remember_token")
    # each copied cookie alone opens her pages while she is logged in
    assert opens_my_events(with_cookie(app, "session", session))
    assert opens_my_events(with_cookie(app, "remember_token", remember))

    assert browser.post("/logout").status_code == 303
    assert not opens_my_events(browser)
    assert not opens_my_events(with_cookie(app, "session", session))
    assert not opens_my_events(with_cookie(app, "remember_token", remember))
    r = with_cookie(app, "remember_token", remember).get("/my/events", follow_redirects=True)
    assert "<h1>Вход</h1>" in r.get_data(as_text=True)


def test_logout_ends_only_that_session(app, f):
    user = f.librarian(login="udachina")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "udachina")
    login(phone, "udachina", remember="y")
    assert len(sessions_of(user)) == 2
    laptop.post("/logout")
    assert not opens_my_events(laptop)
    assert opens_my_events(phone)
    assert len(sessions_of(user)) == 1


def test_a_session_is_refused_once_its_lifetime_has_passed_and_cleaned_at_the_next_login(app, f):
    user = f.librarian(login="udachina")
    browser = app.test_client()
    login(browser, "udachina")
    (record,) = sessions_of(user)
    record.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert not opens_my_events(browser)
    login(app.test_client(), "udachina")
    assert len(sessions_of(user)) == 1  # the dead row went


def test_cookies_carry_a_random_key_stored_only_as_its_hash(app, f):
    user = f.librarian(login="udachina")
    browser = app.test_client()
    login(browser, "udachina", remember="y")
    (record,) = sessions_of(user)
    key = browser.get_cookie("remember_token").value.split("|")[0]  # Flask-Login: "<id>|<signature>"
    assert len(key) == 43
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest() != key
    assert record.remember is True and record.user_agent  # what the profile shows


# --- last seen ----------------------------------------------------------------------------------------------


def test_last_seen_is_renewed_at_most_once_an_hour(app, f):
    user = f.librarian(login="udachina")
    browser = app.test_client()
    login(browser, "udachina")
    (record,) = sessions_of(user)
    recent = utcnow() - TOUCH_EVERY + timedelta(minutes=5)
    record.last_seen_at = recent
    db.session.commit()
    assert opens_my_events(browser)
    (record,) = sessions_of(user)
    assert record.last_seen_at == recent  # not written on every request

    stale = utcnow() - TOUCH_EVERY - timedelta(minutes=5)
    record.last_seen_at = stale
    record.expires_at = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert opens_my_events(browser)
    (record,) = sessions_of(user)
    assert record.last_seen_at > stale + TOUCH_EVERY
    assert record.expires_at > utcnow() + timedelta(days=29)  # used: its lifetime starts again


# --- the profile --------------------------------------------------------------------------------------------


def test_profile_shows_the_account_and_its_sessions(app, f):
    f.librarian(login="udachina", last_name="Удачина", email="udachina@school.example")
    other = app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/128.0"
    login(other, "udachina")
    browser = app.test_client()
    login(browser, "udachina", remember="y")
    page = browser.get("/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Удачина" in html and "udachina" in html and "udachina@school.example" in html
    assert 'href="/password"' in html and "Выйти на всех устройствах" in html
    assert "этот браузер" in html and "Firefox, Windows" in html and "запомнен" in html
    assert html.count("Завершить</button>") == 1  # the other browser's session; this one logs out instead
    home = browser.get("/").get_data(as_text=True)
    assert 'href="/profile"' in home  # the header links to it, next to «Выйти»


def test_logging_out_everywhere_ends_every_session_including_this_one(app, f):
    user = f.librarian(login="udachina")
    library_pc, phone, here = app.test_client(), app.test_client(), app.test_client()
    login(library_pc, "udachina", remember="y")
    login(phone, "udachina")
    login(here, "udachina")
    remembered = cookie(library_pc, "remember_token")
    r = here.post("/profile/sessions/end-all")
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    for browser in (here, phone, library_pc, with_cookie(app, "remember_token", remembered)):
        assert not opens_my_events(browser)
    assert sessions_of(user) == []
    assert login(app.test_client(), "udachina").status_code == 303  # a new login works


def test_ending_another_devices_session_from_the_profile(app, f):
    user = f.librarian(login="udachina")
    phone, here = app.test_client(), app.test_client()
    login(phone, "udachina")
    login(here, "udachina")
    phone_session = min(s.id for s in sessions_of(user))
    r = here.post(f"/profile/sessions/{phone_session}/end")
    assert r.status_code == 303
    assert not opens_my_events(phone)
    assert opens_my_events(here)
    # someone else's session is not hers to end
    f.librarian(login="golubeva")
    stranger = app.test_client()
    login(stranger, "golubeva")
    (hers,) = sessions_of(user)
    assert stranger.post(f"/profile/sessions/{hers.id}/end").status_code == 404
    assert opens_my_events(here)


# --- password change, reset, deactivation -------------------------------------------------------------------


def test_password_change_ends_the_other_sessions_and_keeps_this_one_remembered(app, f):
    user = f.librarian(login="udachina")
    here, phone = app.test_client(), app.test_client()
    login(here, "udachina", remember="y")
    login(phone, "udachina", remember="y")
    phone_remember = cookie(phone, "remember_token")
    r = here.post("/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 303
    assert opens_my_events(here)
    assert not opens_my_events(phone)
    assert not opens_my_events(with_cookie(app, "remember_token", phone_remember))
    (record,) = sessions_of(user)
    assert record.remember is True
    # this browser's new remember-me cookie works on its own (the browser was closed and opened again)
    assert opens_my_events(with_cookie(app, "remember_token", cookie(here, "remember_token")))


def test_a_password_reset_by_the_methodologist_ends_the_users_sessions(app, f, client, login_as):
    user = f.librarian(login="udachina")
    browser = app.test_client()
    login(browser, "udachina", remember="y")
    remembered = cookie(browser, "remember_token")
    login_as(f.methodologist())
    assert client.post(f"/users/{user.id}/reset-password").status_code == 200
    assert not opens_my_events(browser)
    assert not opens_my_events(with_cookie(app, "remember_token", remembered))
    assert sessions_of(user) == []
    assert client.get("/users").status_code == 200  # the methodologist's own session goes on


def test_deactivation_by_the_methodologist_ends_the_users_sessions(app, f, client, login_as):
    user = f.librarian(login="udachina")
    browser = app.test_client()
    login(browser, "udachina", remember="y")
    login_as(f.methodologist())
    assert client.post(f"/users/{user.id}/deactivate").status_code == 303
    assert not opens_my_events(browser)
    assert sessions_of(user) == []
    assert db.session.get(User, user.id).active is False


def test_a_session_of_a_deactivated_user_is_refused_even_if_its_row_survived(app, f):
    """The loader checks the account too: a row written after deactivation opens nothing."""
    from mo_app.auth.sessions import open_session

    user = f.librarian(login="udachina")
    user.active = False
    db.session.commit()
    key = open_session(user)
    browser = app.test_client()
    with browser.session_transaction() as sess:
        sess["_user_id"] = key
    assert not opens_my_events(browser)
