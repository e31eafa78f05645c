"""Organizations and accounts: search, create, edit, (de)activate, temporary passwords, CSV import."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import joinedload

from ..dates import plural
from ..extensions import db, write_lock
from ..models import Organization, User
from ..models.base import column_length
from ..models.people import LIBRARIAN
from ..paging import paginate

PER_PAGE = 50
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
LOGIN_RULE = "Логин: от 2 до 60 латинских букв, цифр, точек, дефисов или подчёркиваний."
MAX_IMPORT_ROWS = 200  # each account hashes a password (~0.15 s): keep an import under ~30 s
# No 0/o/1/l/i: a temporary password is read aloud or copied from paper.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# ---------------------------------------------------------------- search helpers

def _case_variants(word: str) -> set[str]:
    """Spellings of a word to match: SQLite folds case for ASCII only, so Cyrillic needs variants."""
    return {word, word.lower(), word.upper(), word.capitalize(), word.title()}


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search(columns, q: str):
    """A condition: every word of `q` occurs (case-insensitively) in one of `columns`."""
    conditions = []
    for word in q.split()[:8]:
        patterns = [f"%{_escape_like(v)}%" for v in _case_variants(word)]
        conditions.append(or_(*(c.ilike(p, escape="\\") for c in columns for p in patterns)))
    return conditions


def normalize_space(value: str | None) -> str:
    """Trim and collapse inner whitespace."""
    return " ".join((value or "").split())


# ---------------------------------------------------------------- organizations

def search_organizations(q: str = "", kind: str = "", active: str = "", page: int = 1):
    """One page of organizations matching the search text and filters."""
    stmt = db.select(Organization)
    q = normalize_space(q)
    if q:
        cols = (Organization.name, Organization.short_name, Organization.number, Organization.address)
        stmt = stmt.where(*_search(cols, q))
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    if active in ("1", "0"):
        stmt = stmt.where(Organization.is_active.is_(active == "1"))
    stmt = stmt.order_by(Organization.kind, Organization.short_name, Organization.id)
    return paginate(stmt, page, PER_PAGE)


def short_name_taken(short_name: str, exclude_id: int | None = None) -> bool:
    """True when another organization already has this short name (ignoring case and spaces)."""
    wanted = normalize_space(short_name).casefold()
    stmt = db.select(Organization.id, Organization.short_name)
    return any(
        normalize_space(name).casefold() == wanted and oid != exclude_id for oid, name in db.session.execute(stmt)
    )


def save_organization(form, org: Organization | None = None) -> Organization | None:
    """Create or update an organization from a validated form; None (with the error on the form) if taken."""
    with write_lock():
        if short_name_taken(form.short_name.data, org.id if org else None):
            form.short_name.errors.append("Организация с таким кратким названием уже есть.")
            return None
        if org is None:
            org = Organization()
            db.session.add(org)
        org.name = normalize_space(form.name.data)
        org.short_name = normalize_space(form.short_name.data)
        org.name_genitive = normalize_space(form.name_genitive.data) or None
        org.kind = form.kind.data
        org.number = normalize_space(form.number.data) or None
        org.address = normalize_space(form.address.data) or None
        db.session.commit()
    return org


def set_organization_active(org: Organization, active: bool) -> None:
    """Deactivate (hide from choices) or re-activate an organization."""
    org.is_active = active
    db.session.commit()


def organization_choices(include_id: int | None = None) -> list[tuple[str, str]]:
    """Active organizations for a select (plus the currently chosen one even if inactive)."""
    stmt = db.select(Organization).where(
        or_(Organization.is_active.is_(True), Organization.id == include_id)
    ).order_by(Organization.kind != "school", Organization.short_name)
    return [(str(o.id), o.short_name + ("" if o.is_active else " (неактивна)")) for o in db.session.scalars(stmt)]


# ---------------------------------------------------------------- accounts

def search_users(q: str = "", role: str = "", school: int | None = None, active: str = "", page: int = 1):
    """One page of accounts matching the search text and filters, with their organizations."""
    stmt = db.select(User).outerjoin(User.organization).options(joinedload(User.organization))
    q = normalize_space(q)
    if q:
        cols = (User.login, User.last_name, User.first_name, User.middle_name, User.email,
                Organization.short_name, Organization.number)
        stmt = stmt.where(*_search(cols, q))
    if role:
        stmt = stmt.where(User.role == role)
    if school:
        stmt = stmt.where(User.organization_id == school)
    if active in ("1", "0"):
        stmt = stmt.where(User.active.is_(active == "1"))
    stmt = stmt.order_by(User.last_name, User.initials, User.login)
    return paginate(stmt, page, PER_PAGE)


def login_taken(login: str, exclude_id: int | None = None) -> bool:
    """True when another account has this login."""
    stmt = db.select(User.id).where(User.login == login)
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def initials_of(*names: str | None) -> str:
    """«Елена», «Сергеевна» → «Е.С.»"""
    return "".join(n.strip()[0].upper() + "." for n in names if n and n.strip())


def normalize_initials(value: str | None) -> str:
    """«е. с.», «Е.С», «ЕС» → «Е.С.»"""
    letters = re.findall(r"[^\W\d_]", value or "")
    return "".join(ch.upper() + "." for ch in letters)


def save_user(form, user: User | None = None) -> User | None:
    """Create or update an account from a validated form; None (with the error on the form) if the login is taken."""
    login = form.login.data
    with write_lock():
        if login_taken(login, user.id if user else None):
            form.login.errors.append("Этот логин уже занят.")
            return None
        creating = user is None
        if creating:
            user = User()
            db.session.add(user)
        user.login = login
        user.last_name = normalize_space(form.last_name.data)
        user.first_name = normalize_space(form.first_name.data) or None
        user.middle_name = normalize_space(form.middle_name.data) or None
        user.initials = normalize_initials(form.initials.data) or initials_of(user.first_name, user.middle_name)
        user.role = form.role.data
        user.organization_id = form.organization_id.data
        user.position = normalize_space(form.position.data) or None
        user.is_beginner = form.is_beginner.data
        user.email = (form.email.data or "").strip() or None
        user.phone = normalize_space(form.phone.data) or None
        if creating:
            user.set_password(form.password.data)
            user.must_change_password = form.must_change_password.data
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.login.errors.append("Этот логин уже занят.")
            return None
    return user


def set_user_active(user: User, active: bool) -> None:
    """Deactivate (ending every session of the user: see auth/sessions.py) or re-activate an account."""
    user.active = active
    db.session.commit()


def temporary_password() -> str:
    """A random readable password like «k7m2-pq4x-9rtz» (passes the strength rule)."""
    while True:
        chars = [secrets.choice(_TEMP_ALPHABET) for _ in range(12)]
        if len(set(chars)) >= 6:
            return "-".join("".join(chars[i:i + 4]) for i in range(0, 12, 4))


def reset_password(user: User) -> str:
    """Give the user a temporary password they must change at next login; their sessions end. Returns it."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    db.session.commit()
    return password


# ---------------------------------------------------------------- CSV import of librarians

HEADERS = {
    "fio": {"фио", "ф.и.о.", "ф.и.о", "фамилия имя отчество", "фамилия, имя, отчество", "сотрудник", "name"},
    "school": {"школа", "оу", "оо", "организация", "учреждение", "образовательное учреждение", "school"},
    "login": {"логин", "login", "имя пользователя", "учётная запись", "учетная запись"},
    "email": {"e-mail", "email", "эл. почта", "эл.почта", "электронная почта", "почта", "mail"},
}
ORDER = ("fio", "school", "login", "email")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not a CSV, empty, too long)."""


@dataclass
class ImportRow:
    line: int
    fio: str = ""
    school: str = ""
    login: str = ""
    email: str = ""
    created: bool = False
    reasons: list[str] = field(default_factory=list)
    password: str | None = None
    user_id: int | None = None

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def created(self) -> list[ImportRow]:
        return [r for r in self.rows if r.created]

    @property
    def refused(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.created]


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1251 as Excel saves it in Russian Windows."""
    if b"\x00" in raw:
        raise ImportFileError("Это не CSV-файл. В Excel выберите «Сохранить как → CSV (разделители — запятые)».")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1251")
    except UnicodeDecodeError as e:
        raise ImportFileError("Не удалось прочитать файл: сохраните его как CSV в кодировке UTF-8.") from e


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of the file as (line number, {fio, school, login, email}); a header row is optional."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ImportFileError("Файл пуст.")
    first = lines[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    if "\t" in first and first.count("\t") > first.count(delimiter):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise ImportFileError(f"Файл не читается как CSV (строка {reader.line_num}).") from e
    columns = list(ORDER)
    if records:
        header = [normalize_space(c).casefold() for c in records[0][1]]
        mapped = [next((key for key, names in HEADERS.items() if h in names), None) for h in header]
        if any(mapped):
            if not {"fio", "school", "login"} <= set(mapped):
                missing = [label for key, label in (("fio", "ФИО"), ("school", "школа"), ("login", "логин"))
                           if key not in mapped]
                raise ImportFileError("В заголовке файла нет столбцов: " + ", ".join(missing) + ".")
            columns = mapped
            records = records[1:]
    rows = []
    for line, values in records:
        if not any(v.strip() for v in values):
            continue
        data = {key: "" for key in ORDER}
        for key, value in zip(columns, values, strict=False):
            if key:
                data[key] = normalize_space(value)
        rows.append((line, data))
    if not rows:
        raise ImportFileError("В файле нет ни одной строки с данными.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportFileError(f"Слишком много строк: не больше {MAX_IMPORT_ROWS} за один раз.")
    return rows


def parse_fio(text: str) -> dict | None:
    """«Александрова Е.С.» or «Александрова Елена Сергеевна» → name parts; None if no initials or name."""
    text = normalize_space(text)
    m = re.fullmatch(r"([^\W\d_][\w-]*)\s+([^\W\d_])\.?\s*(?:([^\W\d_])\.?)?", text)
    if m:
        return {"last_name": m[1], "first_name": None, "middle_name": None,
                "initials": normalize_initials((m[2] or "") + (m[3] or ""))}
    parts = text.split(" ")
    if 2 <= len(parts) <= 3 and all(re.fullmatch(r"[^\W\d_][\w-]+", p) for p in parts):
        first, middle = parts[1], parts[2] if len(parts) == 3 else None
        return {"last_name": parts[0], "first_name": first, "middle_name": middle,
                "initials": initials_of(first, middle)}
    return None


class SchoolIndex:
    """Finds an organization by its short name, full name or school number (one query for the file)."""

    def __init__(self):
        self.orgs = list(db.session.scalars(db.select(Organization)))

    def find(self, text: str) -> tuple[Organization | None, str | None]:
        """(organization, None) or (None, the reason in Russian)."""
        key = normalize_space(text).casefold()
        by_name = [o for o in self.orgs if key in (normalize_space(o.short_name).casefold(),
                                                   normalize_space(o.name).casefold())]
        if not by_name:
            numbers = re.findall(r"\d+", key)
            if len(numbers) == 1:
                by_name = [o for o in self.orgs if o.number == numbers[0] and o.kind == "school"]
        if not by_name:
            return None, f"Школа «{text}» не найдена."
        if len(by_name) > 1:
            return None, f"Школа «{text}» неоднозначна: укажите краткое название."
        org = by_name[0]
        if not org.is_active:
            return None, f"Организация «{org.short_name}» неактивна."
        return org, None


#: the account fields an import row fills, with their names in the report (limits: the model's columns)
IMPORT_FIELDS = {"last_name": "Фамилия", "first_name": "Имя", "middle_name": "Отчество", "initials": "Инициалы",
                 "login": "Логин", "email": "E-mail"}
NOT_SAVED = "Не сохранено: база данных не приняла файл, ни одна строка не создана. Попробуйте ещё раз."


def _too_long(values: dict[str, str | None]) -> list[str]:
    """A reason for every value longer than its User column allows (PostgreSQL would refuse the row)."""
    reasons = []
    for name, label in IMPORT_FIELDS.items():
        limit = column_length(getattr(User, name))
        if values.get(name) and len(values[name]) > limit:
            reasons.append(f"{label} длиннее {limit} {plural(limit, 'символа', 'символов', 'символов')}.")
    return reasons


def _check_row(row: ImportRow, data: dict[str, str], schools: SchoolIndex) -> dict | None:
    """Every check of one row, before anything is written: the account's fields, or None with the reasons
    in `row.reasons`."""
    missing = [label for key, label in (("fio", "ФИО"), ("school", "школа"), ("login", "логин")) if not data[key]]
    if missing:
        row.reasons.append("Не заполнено: " + ", ".join(missing) + ".")
    name = parse_fio(row.fio) if row.fio else None
    if row.fio and name is None:
        row.reasons.append("ФИО не распознано: нужно «Фамилия И.О.» или «Фамилия Имя Отчество».")
    org = None
    if row.school:
        org, why = schools.find(row.school)
        if why:
            row.reasons.append(why)
    row.login = row.login.lower()
    if row.login and not LOGIN_RE.fullmatch(row.login):
        row.reasons.append("Неверный логин. " + LOGIN_RULE)
    email = None
    if row.email:
        try:
            email = validate_email(row.email, check_deliverability=False).normalized
        except EmailNotValidError:
            row.reasons.append(f"Неверный e-mail «{row.email}».")
    fields = {**(name or {}), "login": row.login, "email": email or row.email}
    row.reasons += _too_long(fields)
    if row.reasons:
        return None
    return {**name, "login": row.login, "email": email, "organization_id": org.id}


def import_librarians(raw: bytes) -> ImportReport:
    """Create a librarian for every valid row; refuse the others with a reason.

    Every row is checked first — format, the school, the length of every field against its column, a login
    free in the database and not repeated in the file — and a refused row writes nothing. The valid rows are
    then created in one transaction (their temporary passwords hashed before it, so the write lock is held
    for a moment): either all of them are created and listed with their passwords, or, if the database
    refuses the transaction, none is and the report says so — never an account whose password nobody saw."""
    rows = read_rows(decode_csv(raw))
    report = ImportReport()
    schools = SchoolIndex()
    checked: list[tuple[ImportRow, dict]] = []
    for line, data in rows:
        row = ImportRow(line=line, **data)
        report.rows.append(row)
        fields = _check_row(row, data, schools)
        if fields is not None:
            checked.append((row, fields))
    accepted = []
    for row, fields in checked:
        password = temporary_password()
        user = User(role=LIBRARIAN, must_change_password=True, **fields)
        user.set_password(password)  # ~0.1 s each: outside the write lock
        accepted.append((row, user, password))
    with write_lock():
        wanted = {row.login for row, _, _ in accepted}
        taken = set(db.session.scalars(db.select(User.login).where(User.login.in_(wanted)))) if wanted else set()
        created = []
        for row, user, password in accepted:
            if row.login in taken:  # in the database, or on an earlier line of this file
                row.reasons.append(f"Логин «{row.login}» уже занят.")
                continue
            taken.add(row.login)
            db.session.add(user)
            created.append((row, user, password))
        try:
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("CSV import not saved")
            for row, _, _ in created:
                row.reasons.append(NOT_SAVED)
            return report
    for row, user, password in created:
        row.created, row.password, row.user_id = True, password, user.id
    return report
