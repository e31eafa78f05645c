"""The plan's events, sign-ups with a waiting list, notices and consultation requests."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dates import HasPlanDate, PlanDate
from ..extensions import db
from .base import utcnow
from .people import Organization, User
from .plan import Goal, SchoolYear

EVENT_KINDS = {
    "course": "Курсы",
    "seminar": "Семинар",
    "practical_seminar": "Практический семинар",
    "meeting": "Совещание",
    "group_consultation": "Групповая консультация",
    "individual_consultation": "Индивидуальная консультация",
}
#: plural headings used by the plan document
EVENT_KIND_HEADINGS = {
    "course": "Курсы",
    "seminar": "Семинары",
    "practical_seminar": "Практические семинары",
    "meeting": "Совещания",
    "group_consultation": "Групповые консультации",
    "individual_consultation": "Индивидуальные консультации",
}
EVENT_STATUSES = {"planned": "Запланировано", "held": "Проведено", "cancelled": "Отменено"}


class Event(HasPlanDate, db.Model):
    """A form of activity of the plan: a course, seminar, meeting or consultation topic."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)  #: order within its goal, as in the plan
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text)  #: topic; empty for a bare «Индивидуальные консультации»
    description: Mapped[str | None] = mapped_column(Text)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    date_kind: Mapped[str] = mapped_column(String(10), default="tbd")
    date_start: Mapped[date | None] = mapped_column(index=True)
    date_end: Mapped[date | None]
    date_time: Mapped[time | None]
    #: the date as the approved plan wrote it; differs from date_* when the event moved
    planned_kind: Mapped[str] = mapped_column(String(10), default="tbd")
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    capacity: Mapped[int | None]  #: None means unlimited
    hours: Mapped[int | None]  #: volume in academic hours («Объём, ч.»), printed on participation certificates
    signup_deadline: Mapped[date | None]
    is_open: Mapped[bool] = mapped_column(default=True)  #: open for sign-up
    status: Mapped[str] = mapped_column(String(20), default="planned")
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    is_sample: Mapped[bool] = mapped_column(default=False)

    year: Mapped[SchoolYear] = relationship()
    goal: Mapped[Goal | None] = relationship()
    venue: Mapped[Organization | None] = relationship()
    registrations: Mapped[list[Registration]] = relationship(back_populates="event", cascade="all, delete-orphan")
    best_practice = relationship("BestPractice", back_populates="event", uselist=False)

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return EVENT_STATUSES.get(self.status, self.status)

    @property
    def planned_date(self) -> PlanDate:
        return PlanDate(self.planned_kind, self.planned_start, self.planned_end)

    def fix_plan_date(self) -> None:
        """Record the current date as the approved plan's date."""
        self.planned_kind, self.planned_start, self.planned_end = self.date_kind, self.date_start, self.date_end

    @property
    def display_title(self) -> str:
        return self.title or self.kind_label

    def __str__(self) -> str:
        return self.display_title


REG_REGISTERED, REG_WAITING, REG_CANCELLED = "registered", "waiting", "cancelled"
REG_STATUSES = {REG_REGISTERED: "Записан(а)", REG_WAITING: "В листе ожидания", REG_CANCELLED: "Запись отменена"}
ATTENDANCE = {
    "present": "присутствовал(а)",
    "absent": "отсутствовал(а)",
    "excused": "уважительная причина",
}


class Registration(db.Model):
    """A librarian's sign-up for an event; kept after cancellation as history."""

    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_registration_event_status", "event_id", "status"),
        Index("ix_registration_created_at", "created_at"),  # the methodologist's desk: sign-ups since last login
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=REG_REGISTERED)
    #: order in the waiting list (and of sign-up); monotonic per event
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    attendance: Mapped[str | None] = mapped_column(String(20))
    attendance_marked_at: Mapped[datetime | None]
    #: the title of the talk she gave: set, she is a speaker («выступление»; marked present too)
    talk_title: Mapped[str | None] = mapped_column(String(300))
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    promoted_at: Mapped[datetime | None]
    is_sample: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def status_label(self) -> str:
        return REG_STATUSES.get(self.status, self.status)

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE.get(self.attendance or "", "")


class Notice(db.Model):
    """An in-app notice for a user: promoted from the waiting list, event changed or cancelled."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    event: Mapped[Event | None] = relationship()


CONSULTATION_STATUSES = {
    "new": "Новая",
    "scheduled": "Назначена",
    "answered": "Дан ответ",
    "held": "Проведена",
    "declined": "Отклонена",
}


class ConsultationRequest(db.Model):
    """A librarian's request for an individual consultation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    topic_event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))  #: a plan topic
    topic: Mapped[str] = mapped_column(Text)  #: free text, or the plan topic's title
    preferred_dates: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="new")
    scheduled_date: Mapped[date | None]
    scheduled_time: Mapped[time | None]
    place: Mapped[str | None] = mapped_column(String(300))
    answer: Mapped[str | None] = mapped_column(Text)
    held_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    is_sample: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
    topic_event: Mapped[Event | None] = relationship()

    @property
    def status_label(self) -> str:
        return CONSULTATION_STATUSES.get(self.status, self.status)
