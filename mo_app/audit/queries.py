"""Reading the audit log: filters from the query string, the filtered query, labels for display."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload

from ..dates import TZ, parse_date
from ..extensions import db
from ..models import AuditEntry, User

ENTITY_LABELS = {
    "User": "Пользователь",
    "Organization": "Организация",
    "Event": "Мероприятие",
    "Registration": "Запись на мероприятие",
    "Visit": "Посещение",
    "VisitReport": "Справка",
    "ReportCheckItem": "Пункт справки",
    "Recommendation": "Рекомендация",
    "BestPractice": "Передовой опыт",
    "ConsultationRequest": "Заявка на консультацию",
    "AppSettings": "Настройки",
}
ACTION_LABELS = {"create": "создание", "update": "изменение", "delete": "удаление"}
FIELD_LABELS = {
    "login": "логин",
    "last_name": "фамилия",
    "first_name": "имя",
    "middle_name": "отчество",
    "initials": "инициалы",
    "role": "роль",
    "organization_id": "организация",
    "position": "должность",
    "email": "эл. почта",
    "phone": "телефон",
    "active": "активен",
    "password_hash": "пароль",
    "calendar_token": "ссылка на календарь",
    "must_change_password": "сменить пароль при входе",
    "is_beginner": "малоопытный",
    "name": "название",
    "short_name": "краткое название",
    "kind": "вид",
    "number": "номер",
    "address": "адрес",
    "is_active": "действует",
    "title": "название",
    "description": "описание",
    "status": "статус",
    "capacity": "мест",
    "date_kind": "вид даты",
    "date_start": "дата",
    "date_end": "дата окончания",
    "date_time": "время",
    "venue_id": "место проведения",
    "event_id": "мероприятие",
    "user_id": "пользователь",
    "attendance": "посещаемость",
    "cancel_reason": "причина отмены",
    "status_reason": "причина",
    "present": "присутствовали",
    "methods": "методы",
    "strengths": "положительное",
    "shortcomings": "недостатки",
    "conclusion": "выводы",
    "result": "результат",
    "remark": "замечание",
    "text": "текст",
    "deadline": "срок",
    "responsible": "ответственный",
    "librarian_comment": "комментарий библиотекаря",
    "review_note": "отзыв методиста",
    "topic": "тема",
    "answer": "ответ",
    "purposes": "цели посещения",
    "association_name": "название объединения",
    "centre_name": "название центра",
    "signatory_id": "подписывает документы",
    "setup_done_at": "настроено",
    "is_demo": "демонстрационная база",
}
PER_PAGE = 50
DATE_ERROR = "Неверная дата: укажите её в виде ДД.ММ.ГГГГ."


@dataclass
class AuditFilters:
    """Filters of the audit log page, parsed from the query string; errors are Russian messages."""

    entity: str = ""
    entity_id: int | None = None
    user: str = ""  #: a user id, "system" for changes without a user, or "" for everyone
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    def args(self) -> dict[str, str]:
        """The query-string arguments that reproduce these filters (for pagination links)."""
        return {k: v for k, v in self.raw.items() if v}


def parse_filters(args) -> AuditFilters:
    """Read the filters from the query string; a wrong value is named in Russian and not applied."""
    raw = {k: (args.get(k) or "").strip()[:40] for k in ("entity", "id", "user", "action", "from", "to")}
    flt = AuditFilters(raw=raw)
    if raw["entity"]:
        if raw["entity"] in ENTITY_LABELS:
            flt.entity = raw["entity"]
        else:
            flt.errors["entity"] = "Неизвестный вид записи."
    if raw["id"]:
        if raw["id"].isdecimal() and len(raw["id"]) < 10:
            flt.entity_id = int(raw["id"])
        else:
            flt.errors["id"] = "Номер записи — целое число."
    if raw["user"]:
        if raw["user"] == "system" or (raw["user"].isdecimal() and len(raw["user"]) < 10):
            flt.user = raw["user"]
        else:
            flt.errors["user"] = "Неизвестный пользователь."
    if raw["action"]:
        if raw["action"] in ACTION_LABELS:
            flt.action = raw["action"]
        else:
            flt.errors["action"] = "Неизвестное действие."
    for key, attr in (("from", "date_from"), ("to", "date_to")):
        if raw[key]:
            try:
                setattr(flt, attr, parse_date(raw[key]))
            except ValueError:
                flt.errors[key] = DATE_ERROR
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        flt.errors["to"] = "Дата «по» раньше даты «с»."
    return flt


def _utc_start_of(day: date) -> datetime:
    """Midnight of a Moscow calendar day as naive UTC (how timestamps are stored)."""
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(TZ))
    try:
        return local.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 1 January of the year 1: before anything stored
        return datetime.min


def entries_query(flt: AuditFilters):
    """The filtered, newest-first query of audit entries, loading their users in one more query."""
    stmt = db.select(AuditEntry).options(selectinload(AuditEntry.user))
    if flt.entity:
        stmt = stmt.where(AuditEntry.entity == flt.entity)
    if flt.entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == flt.entity_id)
    if flt.user == "system":
        stmt = stmt.where(AuditEntry.user_id.is_(None))
    elif flt.user:
        stmt = stmt.where(AuditEntry.user_id == int(flt.user))
    if flt.action:
        stmt = stmt.where(AuditEntry.action == flt.action)
    if flt.date_from:
        stmt = stmt.where(AuditEntry.at >= _utc_start_of(flt.date_from))
    if flt.date_to and flt.date_to < date.max:
        stmt = stmt.where(AuditEntry.at < _utc_start_of(flt.date_to + timedelta(days=1)))
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def user_choices() -> list[tuple[str, str]]:
    """Users who appear in the log, for the filter (one query)."""
    ids = db.select(AuditEntry.user_id).where(AuditEntry.user_id.is_not(None)).distinct()
    users = db.session.scalars(db.select(User).where(User.id.in_(ids)).order_by(User.last_name, User.initials))
    return [(str(u.id), u.short_name) for u in users]


def show_value(value) -> str:
    """A logged value as text for the page."""
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return "да"
    if value is False:
        return "нет"
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show_value(v)}" for k, v in value.items())
    return str(value)


NAME_FIELDS = ("short_name", "title", "topic", "login", "last_name", "text", "name")


def entry_name(entry: AuditEntry) -> str:
    """A recognisable name for the changed object, taken from the logged values when there is one."""
    changes = entry.changes or {}
    for key in NAME_FIELDS:
        if key in changes:
            before, after = changes[key]
            value = after if after not in (None, "") else before
            if value:
                text = show_value(value)
                return text if len(text) <= 80 else text[:79] + "…"
    return ""
