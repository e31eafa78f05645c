"""Organizations (schools, libraries, the academy) and user accounts."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..passwords import hash_password, password_matches
from .base import utcnow

ORG_KINDS = {
    "school": "Школа",
    "library": "Библиотека",
    "academy": "Академия / институт",
    "other": "Другое",
}

METHODOLOGIST = "methodologist"
LIBRARIAN = "librarian"
ROLES = {METHODOLOGIST: "Методист", LIBRARIAN: "Библиотекарь"}

MIN_PASSWORD_LENGTH = 8


class Organization(db.Model):
    """A school, library or other venue of the district."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))  #: full official name
    short_name: Mapped[str] = mapped_column(String(120), index=True)  #: «ГБОУ №192»
    #: the name after «на базе …» (genitive): «филиала №9 ЦБС им. Белинского»; None: the short name is used
    name_genitive: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="school")
    number: Mapped[str | None] = mapped_column(String(20), index=True)  #: school number as text
    address: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(default=True)

    users: Mapped[list[User]] = relationship(back_populates="organization", order_by="User.last_name")

    @property
    def kind_label(self) -> str:
        return ORG_KINDS.get(self.kind, self.kind)

    @property
    def base_name(self) -> str:
        """The name as «на базе …» needs it: the genitive if set, else the short name."""
        return self.name_genitive or self.short_name

    def __str__(self) -> str:
        return self.short_name


class User(UserMixin, db.Model):
    """An account: the methodologist or a school librarian."""

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    last_name: Mapped[str] = mapped_column(String(80), index=True)
    initials: Mapped[str] = mapped_column(String(10), default="")  #: «Е.С.» as the plan writes it
    first_name: Mapped[str | None] = mapped_column(String(80))
    middle_name: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20), default=LIBRARIAN)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(120))
    is_beginner: Mapped[bool] = mapped_column(default=False)  #: малоопытный библиотекарь
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: secret for the personal calendar feed; None when revoked
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    previous_login_at: Mapped[datetime | None]  #: the login before the current one
    #: when the methodologist last pressed «Просмотрено» on her home's «Новые записи» (UTC)
    signups_seen_at: Mapped[datetime | None]
    is_sample: Mapped[bool] = mapped_column(default=False)  #: created by load-demo

    organization: Mapped[Organization | None] = relationship(back_populates="users")

    #: the key of the login this object was loaded for (not a column; set by mo_app/auth/sessions.py)
    session_key = None
    #: that login's UserSession row
    login_session = None

    # Flask-Login
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session and the remember-me cookie: the key of a server-side session."""
        if not self.session_key:
            raise RuntimeError("no server-side session: use mo_app.auth.sessions.log_in or open_session")
        return self.session_key

    def __eq__(self, other) -> bool:
        """The same account (UserMixin would compare session keys)."""
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = object.__hash__

    @property
    def is_methodologist(self) -> bool:
        return self.role == METHODOLOGIST

    @property
    def is_librarian(self) -> bool:
        return self.role == LIBRARIAN

    @property
    def short_name(self) -> str:
        """«Александрова Е.С.»"""
        return f"{self.last_name} {self.initials}".strip()

    @property
    def full_name(self) -> str:
        """Full ФИО when known, else the short form."""
        if self.first_name:
            return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)
        return self.short_name

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def set_password(self, password: str) -> None:
        """A new password hash; flushing it ends all the user's sessions (mo_app/auth/sessions.py)."""
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and password_matches(self.password_hash, password)

    def new_calendar_token(self) -> str:
        self.calendar_token = secrets.token_urlsafe(24)
        return self.calendar_token

    def __str__(self) -> str:
        return self.short_name


class UserSession(db.Model):
    """One login (a browser's session and its remember-me cookie): ends on logout, or for all of a user's
    logins on «Выйти на всех устройствах», a password change or deactivation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random key the cookies carry (a copy of the table opens no session)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(default=False)  #: «Запомнить меня» was checked
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)  #: renewed at most once an hour
    expires_at: Mapped[datetime] = mapped_column(index=True)  #: unused until then, it is refused and cleaned
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(45), default="")  #: the client address at login

