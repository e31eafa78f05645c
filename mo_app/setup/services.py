"""The first-run setup and the settings: the write side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError

from ..dates import school_year_start
from ..extensions import db, write_lock
from ..models import AppSettings, SchoolYear, User
from ..models.base import utcnow
from ..models.people import METHODOLOGIST
from ..models.settings import SETTINGS_ID
from ..people.services import initials_of, normalize_space
from ..plan.yearcopy import add_default_checklist
from .queries import database_state, is_set_up

ALREADY_SET_UP = (
    "Приложение уже настроено: учётная запись методиста создана (возможно, только что — с другого компьютера). "
    "Войдите со своим логином и паролем."
)


class SetupError(Exception):
    """A refused setup or settings change; the message is shown as is (Russian), next to `field` if named."""

    def __init__(self, message: str, status: int = 409, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@dataclass
class SetupData:
    """What the setup page asks (validated by its form)."""

    association_name: str
    centre_name: str
    last_name: str
    first_name: str
    middle_name: str
    position: str
    login: str
    email: str
    password: str


def complete_setup(data: SetupData, today: date) -> User:
    """Create the methodologist, the current school year (an empty plan) and the settings row, in one
    transaction. Of two setups at once exactly one commits: the database refuses the other's settings row
    (its single primary key) or year (unique start year), and the other gets SetupError."""
    first, middle = normalize_space(data.first_name) or None, normalize_space(data.middle_name) or None
    user = User(
        login=data.login, role=METHODOLOGIST, last_name=normalize_space(data.last_name), first_name=first,
        middle_name=middle, initials=initials_of(first, middle), position=normalize_space(data.position),
        email=data.email.strip(),
    )
    user.set_password(data.password)  # the slow hash before the write lock
    with write_lock():
        try:
            if is_set_up(*database_state()):
                raise SetupError(ALREADY_SET_UP)
            db.session.add(user)
            start = school_year_start(today)
            year = SchoolYear(start_year=start, is_current=True)
            db.session.add(year)
            db.session.flush()
            add_default_checklist(year)
            db.session.add(AppSettings(
                id=SETTINGS_ID, association_name=normalize_space(data.association_name),
                centre_name=normalize_space(data.centre_name), signatory_id=user.id, setup_done_at=utcnow(),
                is_demo=False,
            ))
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            raise SetupError(ALREADY_SET_UP) from exc
        except SetupError:
            db.session.rollback()
            raise
    return user


def signatory_choices() -> list[tuple[int, str]]:
    """Active methodologists, who may sign documents: (id, «Фамилия Имя Отчество»)."""
    users = db.session.scalars(
        db.select(User).where(User.role == METHODOLOGIST, User.active.is_(True))
        .order_by(User.last_name, User.first_name, User.id)
    )
    return [(u.id, u.full_name) for u in users]


def save_settings(actor: User, association_name: str, centre_name: str, signatory_id: int | None) -> AppSettings:
    """The methodologist renames the association or its centre, or chooses who signs documents (audited:
    app_settings is in audit_log.AUDITED)."""
    if not actor.is_methodologist:
        raise SetupError("Настройки меняет только методист.", 403)
    with write_lock():
        if signatory_id is not None:
            signatory = db.session.get(User, signatory_id)
            if signatory is None or not signatory.active or not signatory.is_methodologist:
                db.session.rollback()
                raise SetupError("Выберите методиста из списка.", 422, field="signatory_id")
        settings = db.session.get(AppSettings, SETTINGS_ID)
        if settings is None:  # a database in use since before settings existed
            settings = AppSettings(id=SETTINGS_ID, setup_done_at=utcnow(), is_demo=False)
            db.session.add(settings)
        settings.association_name = normalize_space(association_name)
        settings.centre_name = normalize_space(centre_name)
        settings.signatory_id = signatory_id
        db.session.commit()
    return settings
