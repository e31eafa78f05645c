"""Accounts: list with active search and filters, create, edit, deactivate, reset a password."""

import re

from mo_app.extensions import db
from mo_app.models import User, UserSession

from .conftest import htmx
from .factories import PASSWORD
from .people_helpers import count_queries


def new_user_data(school, **kw):
    data = {"login": "Petrova", "last_name": "Петрова", "initials": "", "first_name": "Анна",
            "middle_name": "Сергеевна", "role": "librarian", "organization_id": str(school.id),
            "position": "заведующий библиотекой", "is_beginner": "y", "email": "petrova@school79.ru",
            "phone": "+7 (812) 123-45-67", "password": "Kn1ga-i-chitatel", "confirm": "Kn1ga-i-chitatel",
            "must_change_password": "y"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def by_login(login):
    return db.session.scalar(db.select(User).where(User.login == login))


def log_in(client, login, password):
    return client.post("/login", data={"login": login, "password": password})


# ---------------------------------------------------------------- list and search

def test_list_filters_and_active_search_fragment(client, f, login_as):
    s79, s192 = f.school("79"), f.school("192")
    f.librarian(s79, login="aleksandrova", last_name="Александрова", initials="Е.С.")
    f.librarian(s192, login="zhukova", last_name="Жукова", initials="С.А.", active=False)
    me = f.methodologist(login="metodist")
    login_as(me)
    page = client.get("/users").get_data(as_text=True)
    assert "<html" in page and 'hx-trigger="input changed delay:300ms' in page
    assert "Александрова Е.С." in page and "Жукова С.А." in page and "это вы" in page

    r = client.get("/users?q=алекс", headers=htmx())
    frag = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in frag
    assert "Александрова Е.С." in frag and "Жукова" not in frag

    frag = client.get("/users?q=192", headers=htmx()).get_data(as_text=True)  # by school number
    assert "Жукова" in frag and "Александрова" not in frag
    frag = client.get(f"/users?school={s79.id}", headers=htmx()).get_data(as_text=True)
    assert "Александрова" in frag and "Жукова" not in frag
    frag = client.get("/users?role=methodologist", headers=htmx()).get_data(as_text=True)
    assert "metodist" in frag and "Александрова" not in frag
    frag = client.get("/users?active=0", headers=htmx()).get_data(as_text=True)
    assert "Жукова" in frag and "деактивирован" in frag and "Александрова" not in frag
    assert client.get("/users?school=abc&role=king&page=-3").status_code == 200


def test_user_list_query_count_does_not_grow(client, f, login_as):
    login_as(f.methodologist())
    f.librarian()
    with count_queries() as small:
        client.get("/users")
    for _ in range(25):
        f.librarian()
    with count_queries() as large:
        client.get("/users")
    assert large[0] == small[0]


# ---------------------------------------------------------------- create

def test_create_librarian(client, f, login_as):
    school = f.school("79")
    login_as(f.methodologist())
    assert client.get("/users/new").status_code == 200
    r = client.post("/users/new", data=new_user_data(school))
    assert r.status_code == 303 and r.headers["Location"] == "/users"
    user = by_login("petrova")  # stored lowercase
    assert (user.last_name, user.first_name, user.middle_name, user.initials) == (
        "Петрова", "Анна", "Сергеевна", "А.С.")
    assert (user.role, user.organization_id, user.is_beginner, user.email, user.phone) == (
        "librarian", school.id, True, "petrova@school79.ru", "+7 (812) 123-45-67")
    assert user.position == "заведующий библиотекой" and user.must_change_password is True
    assert user.check_password("Kn1ga-i-chitatel")
    assert "Пользователь petrova (Петрова А.С.) создан." in client.get("/users").get_data(as_text=True)


def test_created_user_can_log_in_and_must_change_password(app, f, login_as, client):
    school = f.school("79")
    login_as(f.methodologist())
    client.post("/users/new", data=new_user_data(school))
    fresh = app.test_client()
    assert log_in(fresh, "petrova", "Kn1ga-i-chitatel").status_code == 303
    r = fresh.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/password"


def test_create_validation_messages_in_russian_and_nothing_saved(client, f, login_as):
    school = f.school("79")
    f.librarian(school, login="taken")
    login_as(f.methodologist())
    r = client.post("/users/new", data=new_user_data(
        school, login="Иванова", last_name="", initials="", first_name="", email="not-an-email",
        phone="call me", password="1234567", confirm="7654321", organization_id=""))
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    for message in ("Логин: от 2 до 60 латинских букв", "Введите фамилию.", "Укажите инициалы или имя.",
                    "Неверный адрес электронной почты.", "Телефон: цифры, пробелы",
                    "Пароль должен быть не короче 8 символов.", "Пароли не совпадают.",
                    "Для библиотекаря выберите школу."):
        assert message in text, message
    assert 'id="email-error"' in text and 'id="organization_id-error"' in text

    r = client.post("/users/new", data=new_user_data(school, login=" TAKEN "))
    assert r.status_code == 422 and "Этот логин уже занят." in r.get_data(as_text=True)
    r = client.post("/users/new", data=new_user_data(school, password="qwerty123", confirm="qwerty123"))
    assert r.status_code == 422 and "Пароль слишком простой" in r.get_data(as_text=True)
    r = client.post("/users/new", data=new_user_data(school, organization_id="999999"))
    assert r.status_code == 422 and "Выберите школу из списка." in r.get_data(as_text=True)
    r = client.post("/users/new", data=new_user_data(school, organization_id="abc", role="admin"))
    assert r.status_code == 422 and "Выберите роль." in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 2


def test_methodologist_needs_no_school_and_initials_are_normalised(client, f, login_as):
    login_as(f.methodologist())
    r = client.post("/users/new", data=new_user_data(
        f.school(), login="metodist2", role="methodologist", organization_id="", initials="и. и",
        first_name="", middle_name="", is_beginner=None, must_change_password=None, email=""))
    assert r.status_code == 303
    user = by_login("metodist2")
    assert (user.role, user.organization_id, user.initials, user.email) == ("methodologist", None, "И.И.", None)
    assert user.must_change_password is False and user.is_beginner is False


# ---------------------------------------------------------------- edit

def test_edit_user(client, f, login_as):
    s79, s192 = f.school("79"), f.school("192")
    user = f.librarian(s79, login="golubeva", last_name="Голубева", initials="Е.Ю.")
    f.librarian(s79, login="taken")
    login_as(f.methodologist())
    page = client.get(f"/users/{user.id}/edit").get_data(as_text=True)
    assert 'value="golubeva"' in page and "Начальный пароль" not in page
    data = {"login": "golubeva", "last_name": "Голубева", "initials": "Е.Ю.", "role": "librarian",
            "organization_id": str(s192.id), "email": "g@example.ru", "is_beginner": "y"}
    r = client.post(f"/users/{user.id}/edit", data=data)
    assert r.status_code == 303
    user = db.session.get(User, user.id)
    assert (user.organization_id, user.email, user.is_beginner) == (s192.id, "g@example.ru", True)
    r = client.post(f"/users/{user.id}/edit", data={**data, "login": "taken"})
    assert r.status_code == 422 and "Этот логин уже занят." in r.get_data(as_text=True)
    assert db.session.get(User, user.id).login == "golubeva"
    assert client.get("/users/99999/edit").status_code == 404


def test_methodologist_cannot_change_own_role(client, f, login_as):
    me = f.methodologist(login="metodist", initials="М.М.")
    login_as(me)
    r = client.post(f"/users/{me.id}/edit", data={"login": "metodist", "last_name": "Методистова",
                                                   "initials": "М.М.", "role": "librarian",
                                                   "organization_id": str(f.school().id)})
    assert r.status_code == 422 and "Нельзя изменить собственную роль." in r.get_data(as_text=True)
    assert db.session.get(User, me.id).role == "methodologist"


# ---------------------------------------------------------------- deactivate / activate

def test_deactivation_ends_sessions_and_blocks_login(app, client, f, login_as):
    user = f.librarian(login="udachina")
    other = app.test_client()
    assert log_in(other, "udachina", PASSWORD).status_code == 303
    assert other.get("/").status_code == 200
    login_as(f.methodologist())
    r = client.post(f"/users/{user.id}/deactivate")
    assert r.status_code == 303
    user = db.session.get(User, user.id)
    assert user.active is False
    assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)
                             .where(UserSession.user_id == user.id)) == 0
    assert other.get("/").status_code == 302  # the open session ended
    r = log_in(other, "udachina", PASSWORD)
    assert r.status_code == 422 and "Неверный логин или пароль." in r.get_data(as_text=True)

    client.post(f"/users/{user.id}/activate")
    assert db.session.get(User, user.id).active is True
    assert log_in(other, "udachina", PASSWORD).status_code == 303


def test_methodologist_cannot_deactivate_or_reset_themselves(client, f, login_as):
    me = f.methodologist()
    login_as(me)
    r = client.post(f"/users/{me.id}/deactivate")
    assert r.status_code == 400
    assert "Нельзя деактивировать собственную учётную запись." in r.get_data(as_text=True)
    r = client.post(f"/users/{me.id}/reset-password")
    assert r.status_code == 400
    me = db.session.get(User, me.id)
    assert me.active is True and me.must_change_password is False
    assert client.get("/users").status_code == 200  # still logged in
    assert client.post("/users/99999/deactivate").status_code == 404


# ---------------------------------------------------------------- reset password

def test_reset_password_shows_a_temporary_one_once_and_forces_a_change(app, client, f, login_as):
    user = f.librarian(login="efremova")
    other = app.test_client()
    log_in(other, "efremova", PASSWORD)
    login_as(f.methodologist())
    r = client.post(f"/users/{user.id}/reset-password")
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="temp-password">([^<]+)<', text)[1]
    assert "показан один раз" in text and len(password) >= 12
    user = db.session.get(User, user.id)
    assert user.must_change_password is True and user.check_password(password)
    assert not user.check_password(PASSWORD)
    assert other.get("/").status_code == 302 and "/login" in other.get("/").headers["Location"]

    # the librarian logs in with it and is sent to change it before anything else
    assert log_in(other, "efremova", password).status_code == 303
    r = other.get("/plan")
    assert r.status_code == 302 and r.headers["Location"] == "/password"
    r = other.post("/password", data={"current": password, "new": "Moi-novyi-parol-7", "confirm": "Moi-novyi-parol-7"})
    assert r.status_code == 303
    assert db.session.get(User, user.id).must_change_password is False
    assert other.get("/").status_code == 200


def test_user_pages_are_methodologist_only(client, f, login_as):
    school = f.school()
    victim = f.librarian(school)
    login_as(f.librarian(school))
    for method, url in (("GET", "/users"), ("GET", "/users/new"), ("POST", "/users/new"),
                        ("POST", f"/users/{victim.id}/deactivate"), ("POST", f"/users/{victim.id}/reset-password"),
                        ("GET", "/users/import")):
        assert client.open(url, method=method, data=new_user_data(school)).status_code == 403, url
    victim = db.session.get(User, victim.id)
    assert victim.active and not victim.must_change_password
