"""Login, logout, password change, role enforcement, CSRF."""

from mo_app.extensions import db
from mo_app.models import User

from .factories import PASSWORD


def login(client, login, password, **extra):
    return client.post("/login", data={"login": login, "password": password, **extra})


def test_login_success_redirects_home_and_shows_name(client, f):
    user = f.librarian(login="petrova", last_name="Петрова", initials="А.А.")
    r = login(client, "petrova", PASSWORD)
    assert r.status_code == 303
    assert r.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Петрова А.А." in page
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_is_case_insensitive_on_login_name(client, f):
    f.librarian(login="petrova")
    assert login(client, "  PETROVA ", PASSWORD).status_code == 303


def test_wrong_password_and_unknown_login_give_the_same_message(client, f):
    f.librarian(login="petrova")
    wrong_pw = login(client, "petrova", "nope-nope")
    unknown = login(client, "nobody", "nope-nope")
    for r in (wrong_pw, unknown):
        assert r.status_code == 422
        assert "Неверный логин или пароль." in r.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_empty_fields_are_named_in_russian(client):
    r = login(client, "", "")
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Введите логин." in text and "Введите пароль." in text


def test_inactive_account_cannot_log_in(client, f):
    f.librarian(login="gone", active=False)
    r = login(client, "gone", PASSWORD)
    assert r.status_code == 422
    assert "Неверный логин или пароль." in r.get_data(as_text=True)


def test_deactivation_ends_an_open_session(client, f, login_as):
    user = f.librarian()
    login_as(user)
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_next_goes_to_local_paths_only(client, f):
    f.librarian(login="petrova")
    r = client.post("/login?next=/password", data={"login": "petrova", "password": PASSWORD})
    assert r.headers["Location"] == "/password"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = client.post(f"/login?next={evil}", data={"login": "petrova", "password": PASSWORD})
        assert r.headers["Location"] == "/", evil
        client.post("/logout")


def test_anonymous_is_sent_to_login_with_next(client):
    r = client.get("/password")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=/password")


def test_logout_is_post_only_and_ends_the_session(client, f, login_as):
    login_as(f.librarian())
    assert client.get("/logout").status_code == 405
    r = client.post("/logout")
    assert r.status_code == 303
    assert client.get("/").status_code == 302


def test_password_change(client, f, login_as):
    user = f.librarian(login="petrova")
    login_as(user)
    r = client.post("/password", data={"current": PASSWORD, "new": "Новый-пароль-7", "confirm": "Новый-пароль-7"})
    assert r.status_code == 303
    assert client.get("/").status_code == 200  # this session goes on
    client.post("/logout")
    assert login(client, "petrova", PASSWORD).status_code == 422
    assert login(client, "petrova", "Новый-пароль-7").status_code == 303


def test_password_change_refusals(client, f, login_as):
    login_as(f.librarian())
    cases = [
        (
            {"current": "wrong-one", "new": "Новый-пароль-7", "confirm": "Новый-пароль-7"},
            "Текущий пароль введён неверно.",
        ),
        ({"current": PASSWORD, "new": "short", "confirm": "short"}, "не короче 8 символов"),
        ({"current": PASSWORD, "new": "12345678", "confirm": "12345678"}, "слишком простой"),
        ({"current": PASSWORD, "new": "Новый-пароль-7", "confirm": "другой-пароль"}, "Пароли не совпадают."),
    ]
    for data, message in cases:
        r = client.post("/password", data=data)
        assert r.status_code == 422
        assert message in r.get_data(as_text=True)
    client.post("/logout")
    assert login(client, db.session.scalars(db.select(User)).one().login, PASSWORD).status_code == 303


def test_password_change_ends_other_sessions(app, f):
    user = f.librarian(login="petrova")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert login(c, "petrova", PASSWORD).status_code == 303
    first.post("/password", data={"current": PASSWORD, "new": "Новый-пароль-7", "confirm": "Новый-пароль-7"})
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302
    assert user.id


def test_post_without_csrf_token_is_refused(client, f):
    f.librarian(login="petrova")
    r = client.post("/login", data={"login": "petrova", "password": PASSWORD}, csrf=False)
    assert r.status_code == 400
    assert "Обновите страницу" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, f):
    f.librarian(login="petrova")
    r = login(client, "petrova", PASSWORD, remember="y")
    assert any(h.startswith("remember_token=") for h in r.headers.getlist("Set-Cookie"))
