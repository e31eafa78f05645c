"""CSV import of librarians: per-row report, each row atomic, encodings and separators of Excel."""

import re

import pytest

from mo_app.extensions import db
from mo_app.models import User
from mo_app.people.services import parse_fio

from .people_helpers import csv_bytes, upload

HEADER = ["ФИО", "Школа", "Логин", "E-mail"]


def users_by_login():
    return {u.login: u for u in db.session.scalars(db.select(User))}


def report_rows(text):
    """{line number: (status, row html)} from the report table."""
    rows = re.findall(r'<tr class="(created|refused)">\s*<td>(\d+)</td>(.*?)</tr>', text, re.S)
    return {int(line): (status, body) for status, line, body in rows}


@pytest.fixture
def schools(f):
    return {"79": f.school("79"), "192": f.school("192", short_name="ГБОУ Гимназия №192"),
            "old": f.school("500", short_name="ГБОУ №500", is_active=False)}


def test_good_and_bad_rows_report_and_database(client, f, login_as, schools):
    f.librarian(schools["79"], login="taken")
    login_as(f.methodologist())
    data = csv_bytes([
        HEADER,
        ["Александрова Е.С.", "ГБОУ №79", "Aleksandrova", "aleksandrova@school79.ru"],
        ["Жукова Светлана Андреевна", "192", "zhukova", ""],
        ["Голубева Е.Ю.", "ГБОУ №9999", "golubeva", "g@example.ru"],
        ["Патракова Н.В.", "ГБОУ №79", "taken", ""],
        ["Удачина О.А.", "ГБОУ №79", "udachina", "not-an-email"],
        ["", "ГБОУ №79", "nobody", ""],
        ["Ефремова И.И.", "ГБОУ №79", "", ""],
        ["Мещерякова", "ГБОУ №79", "meshcheryakova", ""],
        ["Кулькова А.А.", "ГБОУ №500", "kulkova", ""],
        ["Двойникова А.А.", "79", "aleksandrova", ""],  # same login as row 2 of this file
    ])
    r = upload(client, data)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert "Создано: 2" in text and "отклонено: 8" in text
    rows = report_rows(text)
    assert rows[2][0] == "created" and rows[3][0] == "created"
    reasons = {
        4: "Школа «ГБОУ №9999» не найдена.",
        5: "Логин «taken» уже занят.",
        6: "Неверный e-mail «not-an-email».",
        7: "Не заполнено: ФИО.",
        8: "Не заполнено: логин.",
        9: "ФИО не распознано",
        10: "Организация «ГБОУ №500» неактивна.",
        11: "Логин «aleksandrova» уже занят.",  # the login created by line 2 of this very file
    }
    for line, reason in reasons.items():
        assert rows[line][0] == "refused" and reason in rows[line][1], line

    users = users_by_login()
    assert set(users) == {"taken", "aleksandrova", "zhukova", methodologist_login(users)}
    a, z = users["aleksandrova"], users["zhukova"]
    assert (a.last_name, a.initials, a.first_name, a.organization_id, a.email, a.role) == (
        "Александрова", "Е.С.", None, schools["79"].id, "aleksandrova@school79.ru", "librarian")
    assert (z.last_name, z.first_name, z.middle_name, z.initials, z.organization_id, z.email) == (
        "Жукова", "Светлана", "Андреевна", "С.А.", schools["192"].id, None)
    # the temporary passwords shown in the report work, once, and must be changed
    for line, user in ((2, a), (3, z)):
        password = re.search(r'<code class="temp-password-cell">([^<]+)</code>', rows[line][1])[1]
        assert user.check_password(password) and user.must_change_password is True
    assert "temp-password-cell" not in rows[4][1]


def methodologist_login(users):
    return next(login for login, u in users.items() if u.role == "methodologist")


def test_cp1251_comma_separated_without_header(client, f, login_as, schools):
    login_as(f.methodologist())
    data = csv_bytes([["Александрова Е. С.", "ГБОУ №79", "aleksandrova", "a@example.ru"],
                      ["Жукова Светлана", "гбоу гимназия №192", "ZHUKOVA", ""]],
                     delimiter=",", encoding="cp1251")
    r = upload(client, data)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "Создано: 2" in text and "отклонено: 0" in text
    users = users_by_login()
    assert users["aleksandrova"].last_name == "Александрова" and users["aleksandrova"].initials == "Е.С."
    assert users["zhukova"].initials == "С." and users["zhukova"].organization_id == schools["192"].id


def test_utf8_without_bom_and_columns_in_any_order(client, f, login_as, schools):
    login_as(f.methodologist())
    data = csv_bytes([["Логин", "E-mail", "ФИО", "Школа"], ["golubeva", "", "Голубева Е.Ю.", "79"]],
                     encoding="utf-8")
    assert "Создано: 1" in upload(client, data).get_data(as_text=True)
    assert users_by_login()["golubeva"].organization_id == schools["79"].id


def test_unreadable_files_are_refused_with_a_message_and_create_nothing(client, f, login_as, schools):
    login_as(f.methodologist())
    before = len(users_by_login())
    cases = [
        (b"", "Файл пуст."),
        (b"\r\n\r\n", "Файл пуст."),
        (csv_bytes([["ФИО", "Школа"], ["Александрова Е.С.", "79"]]), "В заголовке файла нет столбцов: логин."),
        (csv_bytes([HEADER]), "В файле нет ни одной строки с данными."),
        (csv_bytes([[f"Иванова{i} И.И.", "79", f"ivanova{i}", ""] for i in range(201)]),
         "Слишком много строк: не больше 200 за один раз."),
        (b"PK\x03\x04\x14\x00\x06\x00", "Это не CSV-файл."),  # an .xlsx uploaded as is
        ("ФИО;Школа;Логин\r\nИванова И.И.;79;ivanova".encode("utf-16"), "Это не CSV-файл."),
    ]
    for data, message in cases:
        r = upload(client, data)
        assert r.status_code == 422 and message in r.get_data(as_text=True), message
    r = client.post("/users/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Выберите файл." in r.get_data(as_text=True)
    assert len(users_by_login()) == before


def test_import_page_explains_the_format(client, f, login_as):
    login_as(f.methodologist())
    text = client.get("/users/import").get_data(as_text=True)
    assert "ФИО; школа; логин; e-mail" in text and "верные строки создаются" in text


@pytest.mark.parametrize(("text", "expected"), [
    ("Александрова Е.С.", ("Александрова", None, None, "Е.С.")),
    ("Александрова Е. С.", ("Александрова", None, None, "Е.С.")),
    ("Александрова ЕС", ("Александрова", None, None, "Е.С.")),
    ("Александрова Елена Сергеевна", ("Александрова", "Елена", "Сергеевна", "Е.С.")),
    ("  Римская-Корсакова   Анна  ", ("Римская-Корсакова", "Анна", None, "А.")),
    ("Мещерякова", None),
    ("Иванова 12", None),
])
def test_parse_fio(text, expected):
    name = parse_fio(text)
    got = None if name is None else (name["last_name"], name["first_name"], name["middle_name"], name["initials"])
    assert got == expected
