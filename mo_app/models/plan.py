"""The school year's plan: goals, visit purposes with target schools, best practice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .people import Organization, User


class SchoolYear(db.Model):
    """A school year (учебный год), named by its first calendar year."""

    id: Mapped[int] = mapped_column(primary_key=True)
    start_year: Mapped[int] = mapped_column(unique=True)
    is_current: Mapped[bool] = mapped_column(default=False)
    is_archive: Mapped[bool] = mapped_column(default=False)  #: kept as written, not edited
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("school_year.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goals: Mapped[list[Goal]] = relationship(back_populates="year", order_by="Goal.position")
    visit_purposes: Mapped[list[VisitPurpose]] = relationship(
        back_populates="year", order_by="VisitPurpose.position"
    )

    @property
    def title(self) -> str:
        """«2015–2016»"""
        return f"{self.start_year}–{self.start_year + 1}"

    def __str__(self) -> str:
        return f"{self.title} учебный год"


class Goal(db.Model):
    """One of the year's «Цели и задачи», in plan order."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(Text)

    year: Mapped[SchoolYear] = relationship(back_populates="goals")

    def __str__(self) -> str:
        return self.title


class VisitPurpose(db.Model):
    """A purpose of school visits (Цель посещения) with its target schools."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(Text)

    year: Mapped[SchoolYear] = relationship(back_populates="visit_purposes")
    targets: Mapped[list[VisitTarget]] = relationship(
        back_populates="purpose", cascade="all, delete-orphan", order_by="VisitTarget.position"
    )

    def __str__(self) -> str:
        return self.title


class VisitTarget(db.Model):
    """A school the plan names for a visit purpose."""

    __table_args__ = (UniqueConstraint("purpose_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose_id: Mapped[int] = mapped_column(ForeignKey("visit_purpose.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    purpose: Mapped[VisitPurpose] = relationship(back_populates="targets")
    organization: Mapped[Organization] = relationship()


BP_STAGES = {
    "study": "Изучение опыта",
    "generalisation": "Обобщение опыта",
    "dissemination": "Распространение опыта",
}
BP_STATUSES = {"accepted": "Принят", "proposed": "Предложен", "returned": "Возвращён на доработку"}


class BestPractice(db.Model):
    """An entry of the best-practice register (передовой педагогический опыт)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    topic: Mapped[str] = mapped_column(Text)
    goals: Mapped[list] = mapped_column(JSON, default=list)  #: goals of study, in order
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default="study")
    form: Mapped[str | None] = mapped_column(Text)  #: form of generalisation, as written
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="accepted")
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    year: Mapped[SchoolYear] = relationship()
    author: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    event = relationship("Event", back_populates="best_practice")
    files: Mapped[list[BestPracticeFile]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="BestPracticeFile.id"
    )

    @property
    def stage_label(self) -> str:
        return BP_STAGES.get(self.stage, self.stage)

    @property
    def status_label(self) -> str:
        return BP_STATUSES.get(self.status, self.status)


class BestPracticeFile(db.Model):
    """A file attached to a best-practice entry, stored under instance/ by a generated name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("best_practice.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    entry: Mapped[BestPractice] = relationship(back_populates="files")
