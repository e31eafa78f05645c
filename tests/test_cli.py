"""Flask commands: create-user (password asked twice) and load-demo (idempotent)."""

from mo_app.extensions import db
from mo_app.models import Organization, User

GOOD = "Kn1ga-i-chitatel"


def create_user(runner, *args, password=None, confirm=None):
    password = password or GOOD
    confirm = password if confirm is None else confirm
    return runner.invoke(args=["create-user", *args], input=f"{password}\n{confirm}\n")


def by_login(login):
    return db.session.scalar(db.select(User).where(User.login == login))


def test_create_librarian_asks_the_password_twice(runner, f):
    school = f.school("79")
    result = create_user(runner, "Ivanova", "--last-name", "Иванова", "--initials", "А.П.", "--school", "ГБОУ №79",
                         "--email", "ivanova@example.ru")
    assert result.exit_code == 0, result.output
    assert "Пароль: " in result.output and "Пароль ещё раз: " in result.output
    assert "Kn1ga-i-chitatel" not in result.output  # hidden input, not echoed
    assert "Создан пользователь ivanova (библиотекарь)." in result.output
    user = by_login("ivanova")
    assert (user.last_name, user.initials, user.role, user.organization_id, user.email) == (
        "Иванова", "А.П.", "librarian", school.id, "ivanova@example.ru")
    assert user.check_password("Kn1ga-i-chitatel")


def test_create_methodologist_without_school(runner):
    result = create_user(runner, "metodist2", "--last-name", "Петрова", "--initials", "И.И.", "--role", "methodologist")
    assert result.exit_code == 0, result.output
    assert by_login("metodist2").role == "methodologist"


def test_password_is_never_taken_from_the_command_line(runner):
    result = runner.invoke(args=["create-user", "x", "--last-name", "X", "--role", "methodologist",
                                 "--password", "Kn1ga-i-chitatel"], input="")
    assert result.exit_code == 2 and "--password" in result.output
    assert by_login("x") is None


def test_mismatched_passwords_create_nothing(runner):
    result = create_user(runner, "ivanova", "--last-name", "Иванова", "--role", "methodologist",
                         password="Kn1ga-i-chitatel", confirm="something-else-1")
    assert result.exit_code != 0
    assert "do not match" in result.output or "не совпадают" in result.output
    assert by_login("ivanova") is None


def test_short_password_is_refused(runner):
    result = create_user(runner, "ivanova", "--last-name", "Иванова", "--role", "methodologist", password="short")
    assert result.exit_code != 0
    assert "Пароль должен быть не короче 8 символов." in result.output
    assert by_login("ivanova") is None


def test_weak_password_is_refused(runner):
    result = create_user(runner, "ivanova", "--last-name", "Иванова", "--role", "methodologist", password="qwerty123")
    assert result.exit_code != 0 and "Пароль слишком простой" in result.output
    assert by_login("ivanova") is None


def test_duplicate_login_is_refused(runner, f):
    f.librarian(login="ivanova")
    result = create_user(runner, "IVANOVA", "--last-name", "Другая", "--role", "methodologist")
    assert result.exit_code != 0
    assert "Пользователь с логином «ivanova» уже существует." in result.output
    assert "Пароль" not in result.output  # refused before the password is asked
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_unknown_school_is_refused(runner, f):
    f.school("79")
    result = create_user(runner, "ivanova", "--last-name", "Иванова", "--school", "ГБОУ №9999")
    assert result.exit_code != 0
    assert "Организация «ГБОУ №9999» не найдена." in result.output
    assert by_login("ivanova") is None


def test_librarian_without_school_is_refused(runner):
    result = create_user(runner, "ivanova", "--last-name", "Иванова")
    assert result.exit_code != 0
    assert "Для библиотекаря укажите школу" in result.output
    assert by_login("ivanova") is None


def test_bad_role_and_missing_last_name_are_clear_errors(runner):
    result = create_user(runner, "ivanova", "--last-name", "Иванова", "--role", "admin")
    assert result.exit_code == 2 and "--role" in result.output
    result = create_user(runner, "ivanova")
    assert result.exit_code == 2 and "--last-name" in result.output
    assert by_login("ivanova") is None


def test_load_demo_twice_changes_nothing(blank, runner):
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    assert "Демо-данные загружены." in first.output
    counts = (db.session.scalar(db.select(db.func.count()).select_from(User)),
              db.session.scalar(db.select(db.func.count()).select_from(Organization)))
    assert counts == (9, 18)
    second = runner.invoke(args=["load-demo"])
    assert second.exit_code == 0
    assert "Демо-данные уже загружены, ничего не изменено." in second.output
    assert (db.session.scalar(db.select(db.func.count()).select_from(User)),
            db.session.scalar(db.select(db.func.count()).select_from(Organization))) == counts
