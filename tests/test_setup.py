"""The first run: an empty database sends every URL to /setup; the page creates the methodologist, the current
school year and the settings, logs her in, and answers 404 afterwards; two browsers at once make one account."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server

from bench.queries import count_statements
from mo_app import dates
from mo_app.extensions import db
from mo_app.models import AppSettings, AuditEntry, ChecklistItem, Event, Goal, SchoolYear, User

GOOD_PASSWORD = "Книга-и-читатель-7"


def setup_form(**overrides) -> dict:
    """A valid setup submission."""
    data = {
        "association_name": "Методическое объединение школьных библиотекарей Центрального района",
        "centre_name": "ИМЦ Центрального района",
        "last_name": "Смирнова", "first_name": "Ольга", "middle_name": "Петровна",
        "position": "методист ИМЦ Центрального района",
        "login": "smirnova", "email": "smirnova@example.ru",
        "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(m)) for m in (User, SchoolYear, AppSettings))


@pytest.mark.parametrize("method, path", [
    ("GET", "/"), ("GET", "/login"), ("GET", "/plan"), ("GET", "/events"), ("GET", "/users"),
    ("GET", "/settings"), ("GET", "/audit/"), ("GET", "/no-such-page"), ("POST", "/login"), ("POST", "/logout"),
    ("GET", "/calendar/abc.ics"),
])
def test_an_empty_database_sends_every_url_to_setup(blank, client, method, path):
    r = client.open(path, method=method)
    assert r.status_code == 303, r.status_code
    assert r.headers["Location"].endswith("/setup")


def test_static_files_health_check_and_the_setup_page_answer_before_setup(blank, client):
    with client.get("/static/css/app.css") as css:
        assert css.status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}
    page = client.get("/setup")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for label in ("Полное название методического объединения", "Название центра", "Фамилия", "Имя", "Отчество",
                  "Должность", "Логин", "E-mail", "Пароль ещё раз"):
        assert label in text, label
    assert "Демонстрационные данные" not in text


def test_setup_creates_the_methodologist_the_year_and_the_settings_and_logs_her_in(blank, client):
    r = client.post("/setup", data=setup_form())
    assert r.status_code == 303 and r.headers["Location"].endswith("/")
    home = client.get("/")
    assert home.status_code == 200
    assert "Здравствуйте, Ольга!" in home.get_data(as_text=True)

    user = db.session.scalar(db.select(User))
    assert (user.login, user.role, user.last_name, user.first_name, user.middle_name, user.initials, user.position,
            user.email, user.is_sample) == ("smirnova", "methodologist", "Смирнова", "Ольга", "Петровна", "О.П.",
                                            "методист ИМЦ Центрального района", "smirnova@example.ru", False)
    assert user.check_password(GOOD_PASSWORD)
    year = db.session.scalar(db.select(SchoolYear))
    assert year.start_year == dates.school_year_start(dates.today()) and year.is_current and not year.is_archive
    assert db.session.scalar(db.select(db.func.count()).select_from(Goal)) == 0  # an empty plan
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistItem)) > 0  # the default checklist
    settings = db.session.get(AppSettings, 1)
    assert settings.association_name == "Методическое объединение школьных библиотекарей Центрального района"
    assert settings.centre_name == "ИМЦ Центрального района"
    assert settings.signatory_id == user.id and settings.is_demo is False and settings.setup_done_at is not None
    assert _counts() == (1, 1, 1)

    assert client.get("/setup").status_code == 404
    late = client.post("/setup", data=setup_form(login="other"))
    assert late.status_code == 409 and "Приложение уже настроено" in late.get_data(as_text=True)
    assert _counts() == (1, 1, 1)
    client.post("/logout")
    assert client.get("/").headers["Location"].startswith("/login")  # the login page now, not /setup
    assert client.post("/login", data={"login": "smirnova", "password": GOOD_PASSWORD}).status_code == 303


@pytest.mark.parametrize("field, value, message", [
    ("association_name", "", "Введите название методического объединения."),
    ("centre_name", "   ", "Введите название центра, при котором работает объединение."),
    ("last_name", "", "Введите фамилию."),
    ("first_name", "", "Введите имя."),
    ("position", "", "Введите должность: она стоит в подписи документов."),
    ("login", "Смирнова", "Логин: от 2 до 60 латинских букв, цифр, точек, дефисов или подчёркиваний."),
    ("email", "smirnova@", "Неверный адрес электронной почты."),
    ("password", "short", "Пароль должен быть не короче 8 символов."),
    ("password", "12345678", "Пароль слишком простой: используйте буквы, цифры и другие символы."),
    ("confirm", "Другой-пароль-8", "Пароли не совпадают."),
    ("last_name", "Я" * 81, "Не длиннее 80 символов."),
])
def test_a_bad_field_is_named_beside_it_with_422_and_nothing_is_saved(blank, client, field, value, message):
    data = setup_form(**{field: value})
    if field == "password":
        data["confirm"] = value
    r = client.post("/setup", data=data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', html), message
    assert GOOD_PASSWORD not in html  # a password is never sent back
    assert _counts() == (0, 0, 0)
    assert client.get("/").headers["Location"].endswith("/setup")


def test_once_set_up_a_process_asks_the_database_no_more(blank, client):
    with count_statements(db.engine) as before:
        client.get("/login")
    assert len(before) == 1  # not set up: the check reads the database (and sends the visitor to /setup)
    client.post("/setup", data=setup_form())
    client.post("/logout")
    with count_statements(db.engine) as after:
        assert client.get("/login").status_code == 200
    assert after == []


def test_a_database_in_use_before_settings_existed_is_not_offered_setup(blank, client, f):
    """Accounts but no settings row (a database from before this version, the benchmark's): no setup page
    that would let anyone make themselves methodologist."""
    f.methodologist(login="boss")
    assert client.get("/setup").status_code == 404
    assert client.get("/").headers["Location"].startswith("/login")
    assert client.post("/setup", data=setup_form()).status_code == 409
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


# ---- two browsers at once -----------------------------------------------------------------------------------------

class Browser:
    """A browser's cookies against the real server, redirects not followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def test_two_browsers_submitting_at_once_make_exactly_one_account(blank):
    """Six browsers open /setup on a real server (a thread per request) and submit at the same moment, each
    with its own login: one account, one year, one settings row; every other browser is told why."""
    server = make_server("127.0.0.1", 0, blank, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        browsers = [Browser(base) for _ in range(6)]
        tokens = []
        for b in browsers:
            status, html = b.request("/setup")
            assert status == 200
            tokens.append(_csrf(html))
        barrier = threading.Barrier(len(browsers))
        results: list[tuple[int, str]] = [None] * len(browsers)  # type: ignore[list-item]

        def submit(i: int) -> None:
            barrier.wait(timeout=30)
            results[i] = browsers[i].request(
                "/setup", {**setup_form(login=f"metodist{i}", email=f"m{i}@example.ru"), "csrf_token": tokens[i]})

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(browsers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        server.shutdown()
        thread.join(30)
    statuses = sorted(status for status, _ in results)
    assert statuses == [303] + [409] * 5, statuses
    for status, html in results:
        if status == 409:
            assert "Приложение уже настроено" in html and "Войдите со своим логином и паролем" in html
    db.session.expire_all()
    assert _counts() == (1, 1, 1)
    winner = db.session.scalar(db.select(User))
    assert db.session.get(AppSettings, 1).signatory_id == winner.id



def test_a_setup_committed_meanwhile_by_another_connection_wins_and_this_one_writes_nothing(blank):
    """The database decides: another connection inserts the settings row and holds it uncommitted while this
    setup runs (on PostgreSQL this one's own insert waits on the row's key, then fails; on SQLite it waits for
    the write lock, then sees the row). This one gets the Russian message and leaves no account behind."""
    from mo_app.models.base import utcnow
    from mo_app.setup.services import ALREADY_SET_UP, SetupData, SetupError, complete_setup

    other = db.engine.connect()
    transaction = other.begin()
    other.execute(db.insert(AppSettings.__table__).values(
        id=1, association_name="Объединение другого браузера", centre_name="", setup_done_at=utcnow(), is_demo=False))
    outcome: dict = {}

    def run():
        with blank.app_context():
            try:
                complete_setup(SetupData(**{k: v for k, v in setup_form().items() if k != "confirm"}),
                               dates.today())
                outcome["created"] = True
            except SetupError as e:
                outcome["refused"] = e.message
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(1.5)  # it hashes the password, then waits on the other connection
    assert thread.is_alive()
    transaction.commit()
    other.close()
    thread.join(30)
    assert outcome == {"refused": ALREADY_SET_UP}
    db.session.expire_all()
    assert _counts() == (0, 0, 1)
    assert db.session.get(AppSettings, 1).association_name == "Объединение другого браузера"

# ---- /settings -----------------------------------------------------------------------------------------------------

def test_settings_are_the_methodologists_only(client, f, login_as):
    login_as(f.librarian())
    assert client.get("/settings").status_code == 403
    assert client.post("/settings", data={"association_name": "Чужое", "centre_name": "ИМЦ"}).status_code == 403
    assert db.session.get(AppSettings, 1).association_name != "Чужое"
    assert "Настройки" not in client.get("/").get_data(as_text=True)
    anon = client.application.test_client()
    assert anon.get("/settings").headers["Location"].startswith("/login")


def test_settings_change_is_saved_audited_and_in_the_menu(client, f, login_as):
    boss = f.methodologist(login="boss", last_name="Смирнова", first_name="Ольга", middle_name="Петровна")
    other = f.methodologist(login="second", last_name="Петрова", first_name="Ирина")
    f.methodologist(login="gone", last_name="Ушедшая", active=False)
    login_as(boss)
    page = client.get("/settings").get_data(as_text=True)
    assert 'href="/settings"' in client.get("/").get_data(as_text=True)  # in the menu
    assert "Методическое объединение школьных библиотекарей Тестового района" in page
    assert "Смирнова Ольга Петровна" in page and "Петрова Ирина" in page and "Ушедшая" not in page
    r = client.post("/settings", data={"association_name": "  МО   библиотекарей Северного района ",
                                       "centre_name": "ИМЦ Северного района", "signatory_id": str(other.id)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/settings")
    settings = db.session.get(AppSettings, 1)
    assert (settings.association_name, settings.centre_name, settings.signatory_id) == (
        "МО библиотекарей Северного района", "ИМЦ Северного района", other.id)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.entity == "AppSettings"))
    assert entry.user_id == boss.id and entry.action == "update"
    assert entry.changes["association_name"] == [
        "Методическое объединение школьных библиотекарей Тестового района", "МО библиотекарей Северного района"]
    assert entry.changes["signatory_id"] == [None, other.id]
    log = client.get("/audit/?entity=AppSettings").get_data(as_text=True)
    assert "Настройки" in log and "название объединения" in log and "МО библиотекарей Северного района" in log


@pytest.mark.parametrize("data, field, message", [
    ({"association_name": "", "centre_name": "ИМЦ"}, "association_name", "Введите название методического объединения."),
    ({"association_name": "МО", "centre_name": "ИМЦ", "signatory_id": "LIB"}, "signatory_id",
     "Выберите методиста из списка."),
    ({"association_name": "МО", "centre_name": "ИМЦ", "signatory_id": "GONE"}, "signatory_id",
     "Выберите методиста из списка."),
    ({"association_name": "МО", "centre_name": "ИМЦ", "signatory_id": "x"}, "signatory_id",
     "Выберите методиста из списка."),
])
def test_bad_settings_are_refused_beside_the_field(client, f, login_as, data, field, message):
    boss = f.methodologist(login="boss")
    lib = f.librarian()
    gone = f.methodologist(login="gone", active=False)
    data = {k: {"LIB": str(lib.id), "GONE": str(gone.id)}.get(v, v) for k, v in data.items()}
    login_as(boss)
    r = client.post("/settings", data=data)
    assert r.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', r.get_data(as_text=True))
    settings = db.session.get(AppSettings, 1)
    assert settings.association_name == "Методическое объединение школьных библиотекарей Тестового района"
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.entity == "AppSettings")) is None


def test_settings_page_saves_a_database_in_use_without_a_settings_row(blank, client, f, login_as):
    login_as(f.methodologist(login="boss"))
    r = client.post("/settings", data={"association_name": "МО района", "centre_name": "ИМЦ района",
                                       "signatory_id": ""})
    assert r.status_code == 303
    settings = db.session.get(AppSettings, 1)
    assert (settings.association_name, settings.signatory_id, settings.is_demo) == ("МО района", None, False)


def test_the_settings_page_shows_the_last_backup(client, login_as, f):
    """The methodologist sees on /settings when the last backup was made (and is warned while there is none)."""
    from mo_app import backup

    login_as(f.methodologist())
    page = client.get("/settings").get_data(as_text=True)
    assert "Резервных копий ещё нет" in page and "backup-stale" in page
    made = backup.backup()
    page = client.get("/settings").get_data(as_text=True)
    assert "Последняя резервная копия:" in page and "backup-stale" not in page
    assert made.name.startswith("mo-backup-")


def test_hostile_input_to_the_setup_page_never_breaks_it(blank):
    """The fuzzing of tests/test_security_fuzz.py, on an empty database where /setup takes input: never a 5xx,
    a refusal names the field in Russian (422) and writes nothing."""
    import os

    from hypothesis import HealthCheck, given, settings

    from .security_helpers import db_fingerprint
    from .test_security_fuzz import CYRILLIC, SETUP_FIELDS, FormTarget, payloads, send

    target = FormTarget("setup.setup", "anonymous", SETUP_FIELDS)
    statuses: set[int] = set()

    @settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(payloads(target))
    def check(payload):
        form, body, as_htmx = payload
        before = db_fingerprint()
        r = send(blank.test_client(), target, "/setup", form, body, as_htmx)
        text = r.get_data(as_text=True)
        statuses.add(r.status_code)
        assert r.status_code < 500, (body, form.keys(), r.status_code)
        if r.status_code >= 400:
            assert CYRILLIC.search(text)
            if r.status_code == 422:
                assert "field-error" in text
            assert db_fingerprint() == before
        for value in form.values():
            for v in value if isinstance(value, list) else [value]:
                if "<script>" in v or "onerror=" in v:
                    assert v not in text

    check()
    assert 422 in statuses
