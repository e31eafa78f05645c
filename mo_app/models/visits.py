"""School visits, their reports (справка) with versions, checklists and recommendations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary, String, Table, Text, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..dates import HasPlanDate
from ..extensions import db
from .base import utcnow
from .people import Organization, User
from .plan import SchoolYear, VisitPurpose

VISIT_STATUSES = {
    "planned": "Запланировано",
    "held": "Проведено",
    "finalised": "Справка готова",
    "cancelled": "Отменено",
    "postponed": "Перенесено",
}
VISIT_METHODS = {
    "talk": "беседа",
    "documents": "изучение документации",
    "event": "посещение мероприятия",
    "collection": "осмотр фонда",
}
CHECK_RESULTS = {"ok": "в порядке", "remarks": "есть замечания", "not_checked": "не проверялось"}
DEFAULT_CHECKLIST = [
    "Помещение и оборудование",
    "Нормативные документы (положение о библиотеке, правила пользования, должностная инструкция, режим работы)",
    "Учётные документы (книга суммарного учёта, инвентарные книги основного и учебного фондов, акты списания)",
    "План работы и анализ работы за прошлый год",
    "Организация фонда и открытый доступ",
    "Каталоги (карточный, электронный)",
    "Работа с учебным фондом",
    "Массовые мероприятия",
]

visit_purpose_link = Table(
    "visit_purpose_link",
    db.metadata,
    Column("visit_id", ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    Column("purpose_id", ForeignKey("visit_purpose.id", ondelete="CASCADE"), primary_key=True),
)


class Visit(HasPlanDate, db.Model):
    """A methodologist's visit to a school, planned for a month or a day."""

    __table_args__ = (
        # a year's visits in date order (the planner's school order, the list): read from the index alone
        Index("ix_visit_year_date", "year_id", "date_start", "id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    date_kind: Mapped[str] = mapped_column(String(10), default="month")
    date_start: Mapped[date | None] = mapped_column(index=True)
    date_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)  #: why cancelled or postponed
    is_unplanned: Mapped[bool] = mapped_column(default=False)  #: внеплановое посещение
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    is_sample: Mapped[bool] = mapped_column(default=False)

    year: Mapped[SchoolYear] = relationship()
    organization: Mapped[Organization] = relationship()
    purposes: Mapped[list[VisitPurpose]] = relationship(secondary=visit_purpose_link, order_by="VisitPurpose.position")
    report: Mapped[VisitReport | None] = relationship(back_populates="visit", uselist=False)
    date_changes: Mapped[list[VisitDateChange]] = relationship(
        back_populates="visit", order_by="VisitDateChange.changed_at", cascade="all, delete-orphan"
    )
    #: read-only: code sets created_by_id; the page loads the name with the visit
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], viewonly=True)

    @property
    def status_label(self) -> str:
        return VISIT_STATUSES.get(self.status, self.status)


class VisitDateChange(db.Model):
    """History of a visit's date: the old value is kept when it changes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    old_kind: Mapped[str] = mapped_column(String(10))
    old_start: Mapped[date | None]
    new_kind: Mapped[str] = mapped_column(String(10))
    new_start: Mapped[date | None]
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    visit: Mapped[Visit] = relationship(back_populates="date_changes")
    changed_by: Mapped[User | None] = relationship()


class ChecklistItem(db.Model):
    """An item of the year's visit checklist (editable by the methodologist)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(Text)


class VisitReport(db.Model):
    """The visit report (справка): a draft until finalised; reopening keeps the finalised version."""

    __table_args__ = (
        # the methodologist's desk lists the drafts: the few of them, whatever the planner's statistics say
        Index("ix_visit_report_drafts", "updated_at", sqlite_where=text("status = 'draft'"),
              postgresql_where=text("status = 'draft'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), unique=True)
    present: Mapped[str | None] = mapped_column(Text)  #: who was present
    methods: Mapped[list] = mapped_column(JSON, default=list)  #: keys of VISIT_METHODS
    strengths: Mapped[str | None] = mapped_column(Text)
    shortcomings: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)  #: draft | final
    version: Mapped[int] = mapped_column(default=1)  #: optimistic lock for autosave
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    visit: Mapped[Visit] = relationship(back_populates="report")
    items: Mapped[list[ReportCheckItem]] = relationship(
        back_populates="report", order_by="ReportCheckItem.position", cascade="all, delete-orphan"
    )
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="report", order_by="Recommendation.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report", order_by="ReportVersion.number", cascade="all, delete-orphan"
    )
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id], viewonly=True)


class ReportCheckItem(db.Model):
    """One checklist line of a report: result and remark."""

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("visit_report.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(20), default="not_checked")
    remark: Mapped[str | None] = mapped_column(Text)

    report: Mapped[VisitReport] = relationship(back_populates="items")

    @property
    def result_label(self) -> str:
        return CHECK_RESULTS.get(self.result, self.result)


class ReportVersion(db.Model):
    """A finalised version of a report as issued: its data (JSON snapshot), its PDF bytes and their SHA-256,
    served as they are whatever changes later. Reopening keeps it (with the reason); finalising again makes the
    next one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("visit_report.id"), index=True)
    number: Mapped[int]
    data: Mapped[dict] = mapped_column(JSON)  #: what the paper shows (services.report_doc), as issued
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  #: issued (finalised) at
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)  #: why it was reopened
    reopened_at: Mapped[datetime | None]
    #: the issued PDF (deferred: pages that list versions never load it); None for a version kept before
    #: papers were stored, until its first download stores it
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(16), index=True, unique=True)  #: IssuedDocument.code, printed on it

    report: Mapped[VisitReport] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


REC_STATUSES = {
    "open": "Открыта",
    "reported": "Отмечена выполненной",
    "done": "Выполнена",
    "returned": "Возвращена",
}


class Recommendation(db.Model):
    """A recommendation of a report: deadline, who is responsible, and its follow-up."""

    __table_args__ = (
        # the follow-up list: by deadline (then id), its status and report checked in the index
        Index("ix_recommendation_deadline_id", "deadline", "id", "status", "report_id"),
        # the counters: by status (and deadline for the overdue ones), read from the index alone
        Index("ix_recommendation_status_deadline", "status", "deadline", "report_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("visit_report.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None]
    responsible: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    librarian_comment: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None]
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    report: Mapped[VisitReport] = relationship(back_populates="recommendations")
    organization: Mapped[Organization] = relationship()

    @property
    def status_label(self) -> str:
        return REC_STATUSES.get(self.status, self.status)
