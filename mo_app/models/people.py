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
    kind: Mapped[str] = mapped_column(String(20), default="school")
    number: Mapped[str | None] = mapped_column(String(20), index=True)  #: school number as text
    address: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(default=True)

    users: Mapped[list[User]] = relationship(back_populates="organization", order_by="User.last_name")

    @property
    def kind_label(self) -> str:
        return ORG_KINDS.get(self.kind, self.kind)

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
    #: bumped on password change or deactivation: sessions carrying an older value end
    session_version: Mapped[int] = mapped_column(default=1)
    #: secret for the personal calendar feed; None when revoked
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    previous_login_at: Mapped[datetime | None]  #: the login before the current one
    is_sample: Mapped[bool] = mapped_column(default=False)  #: created by load-demo

    organization: Mapped[Organization | None] = relationship(back_populates="users")

    # Flask-Login
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

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
        self.password_hash = hash_password(password)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and password_matches(self.password_hash, password)

    def new_calendar_token(self) -> str:
        self.calendar_token = secrets.token_urlsafe(24)
        return self.calendar_token

    def __str__(self) -> str:
        return self.short_name
