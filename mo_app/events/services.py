"""Events logic: sign-up with seats and a waiting list, cancellation with promotion, attendance, notices.

Every check-then-write runs inside ``write_lock()`` (BEGIN IMMEDIATE on SQLite) with the event row locked
``FOR UPDATE`` on PostgreSQL, so seat counts hold under concurrent sign-ups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import case, false, func, literal
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..dates import OutsideSchoolYear, PlanDate, check_in_school_year, month_end, month_number, next_month_start, today
from ..extensions import db, write_lock
from ..mail import letters
from ..models import (
    BestPractice,
    ConsultationRequest,
    Event,
    Goal,
    Notice,
    Organization,
    Registration,
    SchoolYear,
    User,
)
from ..models.base import utcnow
from ..models.events import ATTENDANCE, EVENT_KINDS, REG_CANCELLED, REG_REGISTERED, REG_STATUSES, REG_WAITING
from .queries import consultation_topics, consultation_year_start, ends_on_or_after, is_past

ATTENDANCE_VALUES = ("present", "absent", "excused")


class SignupError(Exception):
    """A refused change of the events area (a sign-up, a cancellation, an event, a consultation заявка): the
    message is shown to the user as is (Russian), `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


# ---------------------------------------------------------------- state of an event


def deadline_passed(event: Event, on: date | None = None) -> bool:
    return event.signup_deadline is not None and event.signup_deadline < (on or today())


def signup_refusal(event: Event, on: date | None = None) -> str | None:
    """Why a librarian cannot sign up for `event` now (Russian), or None."""
    on = on or today()
    if event.status == "cancelled":
        return "Мероприятие отменено: запись невозможна."
    if event.year is not None and event.year.is_archive:
        return "Это мероприятие архивного учебного года: запись невозможна."
    if event.status == "held" or is_past(event, on):
        return "Мероприятие уже прошло: запись невозможна."
    if not event.is_open:
        return "Запись на это мероприятие закрыта."
    if deadline_passed(event, on):
        return f"Запись закончилась {event.signup_deadline.strftime('%d.%m.%Y')}: срок записи истёк."
    return None


def self_cancel_refusal(event: Event, on: date | None = None) -> str | None:
    """Why a librarian cannot cancel their own sign-up now, or None."""
    on = on or today()
    if event.status == "cancelled":
        return "Мероприятие отменено."
    if is_past(event, on) or event.status == "held":
        return "Мероприятие уже прошло: отменить запись нельзя."
    if deadline_passed(event, on):
        return "Срок записи истёк: отменить запись может только методист."
    return None


@dataclass
class Seats:
    """Counts of an event's sign-ups."""

    capacity: int | None
    registered: int = 0
    waiting: int = 0

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.registered)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.registered >= self.capacity


def _seat_count(status: str):
    """SQL: how many registrations of `status` the event of the row (Event) has."""
    return (
        db.select(func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status == status)
        .correlate(Event).scalar_subquery()
    )


def _ahead_of(reg):
    """SQL: how many are ahead of the registration `reg` (Registration or an alias) in its event's waiting
    list: waiting, and queued earlier (on a tie: created earlier)."""
    other = db.aliased(Registration, name="ahead")
    return (
        db.select(func.count(other.id))
        .where(
            other.event_id == reg.event_id,
            other.status == REG_WAITING,
            db.or_(other.queued_at < reg.queued_at, db.and_(other.queued_at == reg.queued_at, other.id < reg.id)),
        )
        .correlate(reg)
        .scalar_subquery()
    )


def _my_state(reg: Registration | None, n_ahead: int | None) -> MyState | None:
    if reg is None:
        return None
    return MyState(reg, (n_ahead or 0) + 1 if reg.status == REG_WAITING else None)


@dataclass
class MyState:
    """The current librarian's registration of an event and their place in the waiting list."""

    registration: Registration | None = None
    position: int | None = None  #: 1-based place in the waiting list

    @property
    def status(self) -> str | None:
        return self.registration.status if self.registration else None


@lru_cache(maxsize=1)
def _my_states_statement():
    mine = db.aliased(Registration, name="mine")
    return db.select(mine, _ahead_of(mine)).where(
        mine.user_id == db.bindparam("user_id"), mine.event_id.in_(db.bindparam("ids", expanding=True))
    )


def my_states(user: User, event_ids) -> dict[int, MyState]:
    """The user's registration of each event with their waiting-list place, in one query."""
    ids = list(event_ids)
    if not ids or not getattr(user, "is_librarian", False):
        return {}
    rows = db.session.execute(_my_states_statement(), {"user_id": user.id, "ids": ids})
    return {reg.event_id: _my_state(reg, n_ahead) for reg, n_ahead in rows}


@lru_cache(maxsize=8)
def _event_statement(librarian: bool, best_practice: bool, with_user: bool):
    """One event with its venue, goal and year, its seats, and the librarian's registration with their place
    in the waiting list (`with_user`: and the user's row); built once, bound parameters: event_id, user_id."""
    q = (
        db.select(Event, _seat_count(REG_REGISTERED), _seat_count(REG_WAITING))
        .options(joinedload(Event.venue), joinedload(Event.goal), joinedload(Event.year))
        .where(Event.id == db.bindparam("event_id"))
    )
    if best_practice:
        q = q.options(joinedload(Event.best_practice).joinedload(BestPractice.author),
                      joinedload(Event.best_practice).joinedload(BestPractice.organization))
    if librarian:
        mine = db.aliased(Registration, name="mine")
        q = q.add_columns(mine, _ahead_of(mine)).outerjoin(
            mine, db.and_(mine.event_id == Event.id, mine.user_id == db.bindparam("user_id"))
        )
    if with_user:
        q = q.add_columns(User).join(User, User.id == db.bindparam("user_id"))
    return q


def event_with_box(event_id: int, user: User, best_practice: bool = False):
    """(event, its Seats, the user's MyState or None) in one query, or None when there is no such event.
    `best_practice`: with the event's best practice, its author and school.

    After a commit the user's row is expired (a sign-up or cancellation): it is reloaded by the same query
    instead of one of its own."""
    user = getattr(user, "_get_current_object", lambda: user)()
    state = sa_inspect(user)
    stale = "role" in state.unloaded
    librarian = True if stale else bool(user.is_librarian)
    params = {"event_id": event_id, "user_id": state.identity[0]}
    row = db.session.execute(_event_statement(librarian, best_practice, stale), params).first()
    if row is None:
        return None
    event = row[0]
    seats = Seats(event.capacity, int(row[1] or 0), int(row[2] or 0))
    return event, seats, (_my_state(row[3], row[4]) if user.is_librarian else None)


# ---------------------------------------------------------------- sign-up and cancellation


@lru_cache(maxsize=1)
def _locked_event_statement():
    return (
        db.select(Event).options(joinedload(Event.year, innerjoin=True)).where(Event.id == db.bindparam("event_id"))
        .with_for_update(of=Event).execution_options(populate_existing=True)
    )


def _locked_event(event_id: int) -> Event:
    ev = db.session.scalar(_locked_event_statement(), {"event_id": event_id})
    if ev is None:
        raise SignupError("Мероприятие не найдено.", 404)
    return ev


def _count(event_id: int, status: str) -> int:
    return db.session.scalar(
        db.select(func.count(Registration.id)).where(Registration.event_id == event_id, Registration.status == status)
    )


@lru_cache(maxsize=1)
def _queue_statement():
    return db.select(
        func.sum(case((Registration.status == REG_REGISTERED, 1), else_=0)), func.max(Registration.queued_at)
    ).where(Registration.event_id == db.bindparam("event_id"))


def _registered_and_next_queued_at(event_id: int) -> tuple[int, datetime]:
    """The event's registered count, and a sign-up time later than every other of the event (the waiting
    order stays strict): one query."""
    registered, last = db.session.execute(_queue_statement(), {"event_id": event_id}).one()
    now = utcnow()
    if last is not None and last >= now:
        now = last + timedelta(microseconds=1)
    return int(registered or 0), now


@lru_cache(maxsize=1)
def _user_and_registration_statement():
    return (
        db.select(User, Registration)
        .outerjoin(Registration, db.and_(Registration.user_id == User.id,
                                         Registration.event_id == db.bindparam("event_id")))
        .where(User.id == db.bindparam("user_id"))
    )


def _promote(event: Event) -> list[Registration]:
    """Fill free seats from the head of the waiting list, with a notice to each promoted person."""
    promoted = []
    if event.status == "cancelled":
        return promoted
    registered = _count(event.id, REG_REGISTERED) if event.capacity is not None else 0  # unlimited: not needed
    while event.capacity is None or registered < event.capacity:
        head = db.session.scalar(
            db.select(Registration)
            .where(Registration.event_id == event.id, Registration.status == REG_WAITING)
            .order_by(Registration.queued_at, Registration.id)
            .limit(1)
        )
        if head is None:
            break
        head.status = REG_REGISTERED
        head.promoted_at = utcnow()
        db.session.add(
            Notice(
                user_id=head.user_id, event_id=event.id, kind="promoted",
                text=f"Освободилось место: вы записаны на «{event.display_title}» ({event.plan_date.text()}).",
            )
        )
        db.session.flush()
        letters.promoted(head, event)
        promoted.append(head)
        registered += 1
    return promoted


def register(event_id: int, user_id: int, by: User | None = None, walk_in: bool = False) -> Registration:
    """Sign a librarian up: a seat if one is free, else the waiting list. `by` is the methodologist acting
    on their behalf (deadline and closed sign-up do not apply to them). Commits."""
    try:
        with write_lock():
            event = _locked_event(event_id)
            user, reg = db.session.execute(
                _user_and_registration_statement(), {"user_id": user_id, "event_id": event.id}
            ).first() or (None, None)
            if user is None or not user.is_librarian or not user.active:
                raise SignupError("Записать можно только действующего библиотекаря.", 422)
            if by is None:
                reason = signup_refusal(event)
                if reason:
                    raise SignupError(reason)
            elif event.status == "cancelled":
                raise SignupError("Мероприятие отменено: запись невозможна.")
            if reg is not None and reg.status != REG_CANCELLED:
                if by is None:
                    raise SignupError(
                        "Вы уже записаны на это мероприятие." if reg.status == REG_REGISTERED
                        else "Вы уже в листе ожидания этого мероприятия."
                    )
                raise SignupError(f"{user.short_name} уже в списке участников.")
            # read before `reg` changes: one UPDATE at commit, no autoflush
            registered, queued_at = _registered_and_next_queued_at(event.id)
            free = walk_in or event.capacity is None or registered < event.capacity
            if reg is None:
                reg = Registration(event_id=event.id, user_id=user.id)
                db.session.add(reg)
            reg.status = REG_REGISTERED if free else REG_WAITING
            reg.queued_at = queued_at
            reg.cancelled_at = None
            reg.cancelled_by_id = None
            reg.promoted_at = None
            reg.added_by_id = by.id if by is not None else None
            reg.is_walk_in = walk_in
            if walk_in:
                reg.attendance = "present"
                reg.attendance_marked_at = utcnow()
            else:
                db.session.flush()
                position = None
                if reg.status == REG_WAITING:
                    position = db.session.scalar(
                        db.select(func.count(Registration.id)).where(
                            Registration.event_id == event.id, Registration.status == REG_WAITING,
                            db.or_(Registration.queued_at < reg.queued_at,
                                   db.and_(Registration.queued_at == reg.queued_at, Registration.id < reg.id)))
                    ) + 1
                letters.signed_up(reg, user, event, by=by, position=position)
            db.session.commit()
            return reg
    except IntegrityError:
        db.session.rollback()
        raise SignupError("Вы уже записаны на это мероприятие.") from None
    except SignupError:
        db.session.rollback()
        raise


def cancel(event_id: int, user_id: int, by: User | None = None) -> list[Registration]:
    """Cancel a sign-up (the librarian's own, or by the methodologist `by`), keeping it as history, and
    promote from the waiting list in the same transaction. Returns the promoted registrations. Commits."""
    try:
        with write_lock():
            event = _locked_event(event_id)
            reg = db.session.scalar(
                db.select(Registration).where(Registration.event_id == event.id, Registration.user_id == user_id)
            )
            if reg is None or reg.status == REG_CANCELLED:
                raise SignupError("Записи на это мероприятие нет.", 404 if by is None else 409)
            if by is None:
                reason = self_cancel_refusal(event)
                if reason:
                    raise SignupError(reason)
            reg.status = REG_CANCELLED
            reg.cancelled_at = utcnow()
            reg.cancelled_by_id = by.id if by is not None else user_id
            reg.attendance = None
            db.session.flush()
            promoted = _promote(event)
            db.session.commit()
            return promoted
    except SignupError:
        db.session.rollback()
        raise


def move_up(event_id: int, reg_id: int, by: User) -> Registration:
    """The methodologist moves someone from the waiting list onto a seat (even above capacity). Commits."""
    with write_lock():
        event = _locked_event(event_id)
        reg = db.session.get(Registration, reg_id)
        if reg is None or reg.event_id != event.id or reg.status != REG_WAITING:
            db.session.rollback()
            raise SignupError("Этого участника нет в листе ожидания.", 404)
        reg.status = REG_REGISTERED
        reg.promoted_at = utcnow()
        db.session.add(
            Notice(
                user_id=reg.user_id, event_id=event.id, kind="promoted",
                text=f"Методист перевёл вас из листа ожидания: вы записаны на «{event.display_title}».",
            )
        )
        letters.promoted(reg, event)
        db.session.commit()
        return reg


def mark_attendance(reg: Registration, value: str) -> None:
    """Set one participant's attendance mark. Commits."""
    if value not in ATTENDANCE_VALUES:
        raise SignupError("Неизвестная отметка.", 422)
    if reg.status != REG_REGISTERED:
        raise SignupError("Отметить можно только записанного участника.")
    reg.attendance = value
    reg.attendance_marked_at = utcnow()
    db.session.commit()


def mark_all_present(event: Event) -> int:
    """Mark every registered participant without a mark as present. Commits; returns how many."""
    regs = db.session.scalars(
        db.select(Registration).where(
            Registration.event_id == event.id, Registration.status == REG_REGISTERED, Registration.attendance.is_(None)
        )
    ).all()
    now = utcnow()
    for reg in regs:
        reg.attendance = "present"
        reg.attendance_marked_at = now
    db.session.commit()
    return len(regs)


# ---------------------------------------------------------------- events by the methodologist


def notify_participants(event: Event, kind: str, text: str) -> int:
    """A notice to everyone registered or waiting for `event` (not committed)."""
    users = db.session.scalars(
        db.select(Registration.user_id).where(
            Registration.event_id == event.id, Registration.status.in_((REG_REGISTERED, REG_WAITING))
        )
    ).all()
    for uid in users:
        db.session.add(Notice(user_id=uid, event_id=event.id, kind=kind, text=text))
    letters.event_changed(event, users, text, cancelled=kind == "cancelled")
    return len(users)


EDITABLE = ("kind", "goal_id", "title", "description", "venue_id", "capacity", "hours", "signup_deadline", "is_open")


def save_event(event: Event | None, data: dict, year: SchoolYear) -> Event:
    """Create or update an event of `year` from validated form data; participants are told of a new date or
    venue, seats freed by a raised capacity go to the waiting list. Refuses a capacity below the registered
    count, and dates outside the school year (OutsideSchoolYear)."""
    check_in_school_year(data["plan_date"], year.start_year)
    check_in_school_year(data["signup_deadline"], year.start_year)
    year_id = year.id
    with write_lock():
        is_new = event is None
        if is_new:
            event = Event(year_id=year_id)
            db.session.add(event)
        else:
            event = _locked_event(event.id)
        old_date, old_venue = event.plan_date, event.venue_id
        if not is_new and data.get("capacity") is not None:
            registered = _count(event.id, REG_REGISTERED)
            if data["capacity"] < registered:
                db.session.rollback()
                raise SignupError(
                    f"Уже записано {registered}: вместимость не может быть меньше числа записанных.", 422
                )
        for name in EDITABLE:
            setattr(event, name, data[name])
        event.plan_date = data["plan_date"]
        if is_new:
            last = db.session.scalar(
                db.select(func.max(Event.position)).where(Event.year_id == year_id, Event.goal_id == data["goal_id"])
            )
            event.position = (last or 0) + 1
            event.fix_plan_date()
        db.session.flush()
        if not is_new:
            changes = []
            if event.plan_date != old_date:
                changes.append(f"новая дата — {event.plan_date.text()}")
            if event.venue_id != old_venue:
                venue = event.venue.short_name if event.venue else "место уточняется"
                changes.append(f"новое место — {venue}")
            if changes:
                notify_participants(
                    event, "changed", f"Изменения в мероприятии «{event.display_title}»: {'; '.join(changes)}."
                )
            _promote(event)
        db.session.commit()
        return event


def duplicate_event(event: Event) -> Event:
    """A copy of the event without participants, closed for sign-up until edited. Commits."""
    copy = Event(
        year_id=event.year_id, goal_id=event.goal_id, position=event.position, kind=event.kind,
        title=f"{event.title} (копия)" if event.title else "", description=event.description,
        venue_id=event.venue_id, capacity=event.capacity, hours=event.hours, signup_deadline=event.signup_deadline,
        is_open=False,
    )
    copy.plan_date = event.plan_date
    copy.fix_plan_date()
    db.session.add(copy)
    db.session.commit()
    return copy


def cancel_event(event: Event, reason: str | None) -> int:
    """Cancel the event, keep its registrations as history and notify participants. Commits."""
    with write_lock():
        event = _locked_event(event.id)
        if event.status == "cancelled":
            db.session.rollback()
            raise SignupError("Мероприятие уже отменено.")
        event.status = "cancelled"
        event.cancelled_at = utcnow()
        event.cancel_reason = reason or None
        text = f"Мероприятие «{event.display_title}» ({event.plan_date.text()}) отменено."
        if reason:
            text += f" Причина: {reason}"
        n = notify_participants(event, "cancelled", text)
        db.session.commit()
        return n


# ---------------------------------------------------------------- notices


@lru_cache(maxsize=1)
def _unread_statement():
    return (
        db.select(Notice)
        .where(Notice.user_id == db.bindparam("user_id"), Notice.read_at.is_(None))
        .order_by(Notice.created_at, Notice.id)
    )


def take_unread_notices(user: User) -> list[Notice]:
    """The user's unread notices (shown once on their next page), marked read."""
    if not getattr(user, "is_authenticated", False):
        return []
    notices = db.session.scalars(_unread_statement(), {"user_id": user.id}).all()
    if notices:
        ids = [n.id for n in notices]
        with write_lock():
            db.session.execute(db.update(Notice).where(Notice.id.in_(ids)).values(read_at=utcnow()))
            db.session.commit()
    return notices


# ---------------------------------------------------------------- the personal calendar feed


def new_calendar_token(user: User) -> None:
    """Create (or replace) the secret link of the user's calendar feed; the old link stops working. Commits."""
    db.session.get(User, user.id).new_calendar_token()
    db.session.commit()


def revoke_calendar_token(user: User) -> None:
    """Revoke the user's calendar feed link. Commits."""
    db.session.get(User, user.id).calendar_token = None
    db.session.commit()


# ---------------------------------------------------------------- lists


@dataclass
class MonthGroup:
    key: str
    title: str
    events: list = field(default_factory=list)


def event_sort_key(ev: Event):
    """Plan order: dated events by their start, whole-year ones first, undated last; then goal and position."""
    pd = ev.plan_date
    if pd.kind == "year":
        rank, start = 0, date.min
    elif pd.start is None:
        rank, start = 2, date.max
    else:
        rank, start = 1, pd.start
    return (rank, start, ev.date_time or datetime.min.time(), ev.goal.position if ev.goal else 0, ev.position, ev.id)


def plan_order() -> tuple:
    """`event_sort_key` as ORDER BY terms (the query outer-joins Goal): whole-year events first, then dated
    ones by their start, undated last; then the time of day (none = midnight), goal position, position, id."""
    return (
        case((Event.date_kind == "year", 0), (Event.date_start.is_(None), 2), else_=1),
        case((Event.date_kind == "year", None), else_=Event.date_start),
        func.coalesce(Event.date_time, literal(time(0))),
        func.coalesce(Goal.position, 0),
        Event.position,
        Event.id,
    )


@lru_cache(maxsize=64)
def _list_statement(kind: bool, goal: bool, month: bool, open_only: bool, archive: bool, mine: bool | None):
    """The list query for a set of filters, built once (bound parameters: year_id, today, today_month,
    today_number, kind, goal_id, month_first, month_next, month_number, user_id). Rows: id, is past."""
    not_past = db.or_(Event.date_start.is_(None), ends_on_or_after(
        db.bindparam("today"), db.bindparam("today_month"), db.bindparam("today_number")))
    q = (
        db.select(Event.id, case((not_past, False), else_=True))
        .outerjoin(Goal, Goal.id == Event.goal_id)
        .where(Event.year_id == db.bindparam("year_id"))
        .order_by(*plan_order())
    )
    if kind:
        q = q.where(Event.kind == db.bindparam("kind"))
    if goal:
        q = q.where(Event.goal_id == db.bindparam("goal_id"))
    if month:  # overlaps_month()
        first = db.bindparam("month_first")
        q = q.where(Event.date_start.is_not(None), Event.date_start < db.bindparam("month_next"),
                    ends_on_or_after(first, first, db.bindparam("month_number")))
    if open_only:  # signup_refusal(): not cancelled, not of an archive year, not held or past, open, deadline
        q = q.where(false() if archive else Event.status.not_in(("cancelled", "held")), not_past,
                    Event.is_open.is_(True),
                    db.or_(Event.signup_deadline.is_(None), Event.signup_deadline >= db.bindparam("today")))
    if mine is True:
        q = q.where(Event.id.in_(
            db.select(Registration.event_id).where(
                Registration.user_id == db.bindparam("user_id"),
                Registration.status.in_((REG_REGISTERED, REG_WAITING)),
            )
        ))
    elif mine is False:
        q = q.where(false())
    return q


def list_rows(year, kind: str = "", goal_id: int | None = None, month: date | None = None,
              open_only: bool = False, mine_of: User | None = None) -> list[tuple[int, bool]]:
    """The year's events that pass the list's filters, in plan order (`event_sort_key`), as (id, is past)
    pairs: one query, no ORM objects. `mine_of`: only the events this librarian is registered or waiting
    for (none for anyone else)."""
    on = today()
    mine = None if mine_of is None else bool(getattr(mine_of, "is_librarian", False))
    params = {"year_id": year.id, "today": on, "today_month": on.replace(day=1), "today_number": month_number(on)}
    if kind:
        params["kind"] = kind
    if goal_id:
        params["goal_id"] = goal_id
    if month:
        params["month_first"] = month
        params["month_next"] = next_month_start(month)
        params["month_number"] = month_number(month)
    if mine:
        params["user_id"] = mine_of.id
    stmt = _list_statement(bool(kind), bool(goal_id), bool(month), open_only, open_only and year.is_archive, mine)
    return db.session.execute(stmt, params).all()


@lru_cache(maxsize=1)
def _shown_statement():
    """The shown events' columns with the venue's name and the seats, built once; bound parameter: ids."""
    return (
        db.select(Event.id, Event.kind, Event.title, Event.status, Event.date_kind, Event.date_start,
                  Event.date_end, Event.date_time, Event.capacity, Event.is_open, Event.signup_deadline,
                  Organization.short_name, _seat_count(REG_REGISTERED), _seat_count(REG_WAITING))
        .outerjoin(Organization, Organization.id == Event.venue_id)
        .where(Event.id.in_(db.bindparam("ids", expanding=True)))
    )


@lru_cache(maxsize=1)
def _mine_statement():
    """A librarian's (`user_id`) registrations of the events `ids` with the number of people ahead of each in
    its waiting list (as my_states()), as plain columns; built once."""
    return (
        db.select(Registration.event_id, Registration.status, _ahead_of(Registration))
        .where(Registration.user_id == db.bindparam("user_id"),
               Registration.event_id.in_(db.bindparam("ids", expanding=True)))
    )


@dataclass(frozen=True)
class YearFlags:
    """What signup_refusal() reads of an event's year, without holding the ORM object."""

    is_archive: bool


class ListedEvent:
    """An event as a row of the list shows it, read as plain columns (no ORM object): what the template
    draws, and what `signup_refusal`/`self_cancel_refusal`/`group_by_month` read. The same for everyone
    (the list keeps them in the fragment cache), but `my_status`/`my_position`: see `seen_by`."""

    __slots__ = ("id", "kind", "kind_label", "title", "display_title", "status", "plan_date", "date_text",
                 "is_open", "signup_deadline", "year", "venue_name", "seats", "seats_text", "my_status",
                 "my_position", "refusal", "cancel_refusal")

    def __init__(self, row, year: YearFlags, on: date):
        (self.id, self.kind, self.title, self.status, kind, start, end, at, capacity, self.is_open,
         self.signup_deadline, self.venue_name, registered, waiting) = row
        self.kind_label = EVENT_KINDS.get(self.kind, self.kind)
        self.display_title = self.title or self.kind_label
        self.plan_date = PlanDate(kind, start, end, at)
        self.date_text = self.plan_date.capitalized()
        self.year = year
        self.seats = Seats(capacity, int(registered or 0), int(waiting or 0))
        self.seats_text = seats_text(self.seats)
        self.my_status = None
        self.my_position = None
        self.refusal = signup_refusal(self, on)
        self.cancel_refusal = self_cancel_refusal(self, on)

    def seen_by(self, status: str, n_ahead: int | None) -> ListedEvent:
        """A copy with a librarian's registration status and waiting-list place (this one stays shared)."""
        mine = ListedEvent.__new__(ListedEvent)
        for name in ListedEvent.__slots__:
            setattr(mine, name, getattr(self, name))
        mine.my_status = status
        mine.my_position = (n_ahead or 0) + 1 if status == REG_WAITING else None
        return mine


def shown_events(ids: list[int], year) -> list[ListedEvent]:
    """The events `ids` of `year` (in that order) as list rows with seats and refusals, as everyone sees them
    (`with_my_states` adds a librarian's own): one query."""
    on = today()
    flags = YearFlags(bool(year.is_archive))
    by_id = {row[0]: ListedEvent(row, flags, on) for row in db.session.execute(_shown_statement(), {"ids": ids})}
    return [by_id[i] for i in ids if i in by_id]


def with_my_states(events: list[ListedEvent], user: User) -> list[ListedEvent]:
    """`events` as `user` sees them: a librarian's status and waiting-list place on the ones they signed up
    for (one query, even for an empty page: a page's statements do not depend on its rows); anyone else sees
    them as they are."""
    if not getattr(user, "is_librarian", False):
        return events
    mine = {event_id: (status, n_ahead) for event_id, status, n_ahead in db.session.execute(
        _mine_statement(), {"user_id": user.id, "ids": [ev.id for ev in events]})}
    return [ev.seen_by(*mine[ev.id]) if ev.id in mine else ev for ev in events]


@lru_cache(maxsize=1)
def _my_statement():
    """A librarian's sign-ups as plain columns with their event and venue, in plan order, each with the number
    of people ahead of it in the waiting list (as my_states()); built once, bound parameter: user_id."""
    return (
        db.select(Registration.status, Registration.promoted_at, Registration.attendance, Event.id, Event.kind,
                  Event.title, Event.status, Event.date_kind, Event.date_start, Event.date_end, Event.date_time,
                  Organization.short_name, Organization.address, _ahead_of(Registration), SchoolYear.start_year)
        .join(Event, Event.id == Registration.event_id)
        .join(SchoolYear, SchoolYear.id == Event.year_id)
        .outerjoin(Goal, Goal.id == Event.goal_id)
        .outerjoin(Organization, Organization.id == Event.venue_id)
        .where(Registration.user_id == db.bindparam("user_id"))
        .order_by(*plan_order())
    )


class MySignup:
    """One of a librarian's sign-ups as «Мои мероприятия» shows it (plain columns, no ORM objects)."""

    __slots__ = ("status", "status_label", "promoted_at", "attendance", "attendance_label", "event_id", "kind_label",
                 "display_title", "event_status", "plan_date", "date_text", "venue_name", "venue_address",
                 "position", "is_over")

    def __init__(self, row, on: date):
        (self.status, self.promoted_at, self.attendance, self.event_id, kind, title, self.event_status,
         date_kind, start, end, at, self.venue_name, self.venue_address, n_ahead, start_year) = row
        self.status_label = REG_STATUSES.get(self.status, self.status)
        self.attendance_label = ATTENDANCE.get(self.attendance or "", "")
        self.kind_label = EVENT_KINDS.get(kind, kind)
        self.display_title = title or self.kind_label
        self.plan_date = PlanDate(date_kind, start, end, at)
        self.date_text = self.plan_date.capitalized()
        if date_kind in ("year", "tbd") or start is None:  # «В течение года» of which year: the list spans years
            self.date_text += f" ({start_year}–{start_year + 1})"
        self.position = (n_ahead or 0) + 1 if self.status == REG_WAITING else None
        self.is_over = is_past(self, on) or self.event_status == "held"


def my_signups(user: User) -> list[MySignup]:
    """The user's sign-ups (every status, every year) in plan order, with their queue places: one query."""
    on = today()
    return [MySignup(row, on) for row in db.session.execute(_my_statement(), {"user_id": user.id})]


def seats_text(seats: Seats) -> str:
    """«осталось 3 места из 20», «Мест нет (20 из 20)», «без ограничения мест»."""
    from ..dates import plural

    if seats.capacity is None:
        return "без ограничения мест"
    if seats.left == 0:
        return f"Мест нет ({seats.registered} из {seats.capacity})"
    return f"осталось {seats.left} {plural(seats.left, 'место', 'места', 'мест')} из {seats.capacity}"


def group_by_month(events, in_order: bool = False) -> list[MonthGroup]:
    """Events grouped under month headings, in plan order (`in_order`: they already are)."""
    from ..dates import month_name

    groups: dict[str, MonthGroup] = {}
    for ev in events if in_order else sorted(events, key=event_sort_key):
        pd = ev.plan_date
        if pd.kind == "year":
            key, title = "year", "В течение года"
        elif pd.start is None:
            key, title = "tbd", "Дата уточняется"
        else:
            key, title = pd.start.isoformat()[:7], month_name(pd.start).capitalize()
        groups.setdefault(key, MonthGroup(key, title)).events.append(ev)
    return list(groups.values())


def overlaps_month(pd: PlanDate, first: date) -> bool:
    """True when a plan date falls in (or spans) the month starting at `first`."""
    if pd.start is None:
        return False
    return pd.start <= month_end(first) and (pd.last_day or pd.start) >= first


# ---------------------------------------------------------------- consultations (заявки)

#: what each of the methodologist's actions makes of a заявка (the action comes from a closed list)
CONSULTATION_OUTCOMES = {"schedule": "scheduled", "answer": "answered", "decline": "declined", "held": "held"}


def ask_for_consultation(year: SchoolYear, user: User, topic_event_id: int | None, topic: str,
                         preferred_dates: str) -> ConsultationRequest:
    """A librarian asks for an individual consultation on a topic of the year's plan (`topic_event_id`, one of
    `consultation_topics`) or their own (`topic`). Commits."""
    if not user.is_librarian:
        raise SignupError("Заявку на консультацию подаёт библиотекарь.", 403)
    topic_event = None
    if topic_event_id:
        topic_event = next((t for t in consultation_topics(year.id) if t.id == topic_event_id), None)
        if topic_event is None:
            raise SignupError("Выберите тему из списка.", 422)
    topic = (topic or "").strip() or (topic_event.title if topic_event else "")
    if not topic:
        raise SignupError("Выберите тему из плана или напишите свою.", 422)
    if not (preferred_dates or "").strip():
        raise SignupError("Укажите удобные даты.", 422)
    req = ConsultationRequest(year_id=year.id, user_id=user.id, topic_event_id=topic_event_id or None,
                              topic=topic, preferred_dates=preferred_dates.strip())
    db.session.add(req)
    db.session.commit()
    return req


def handle_consultation(req: ConsultationRequest, by: User, action: str, scheduled_date: date | None = None,
                        scheduled_time: time | None = None, place: str = "", answer: str = "",
                        held_note: str | None = None) -> ConsultationRequest:
    """The methodologist `by` schedules (a day and a place), answers, declines (with an answer) or marks held a
    заявка; the librarian gets a notice of each but «held». Commits."""
    if not by.is_methodologist:
        raise SignupError("Заявки на консультацию рассматривает методист.", 403)
    status = CONSULTATION_OUTCOMES.get(action)
    if status is None:
        raise SignupError("Неизвестное действие.", 422)
    place, answer = (place or "").strip(), (answer or "").strip()
    if action == "schedule" and (scheduled_date is None or not place):
        raise SignupError("Укажите день и место консультации.", 422)
    if action in ("answer", "decline") and not answer:
        raise SignupError("Напишите ответ.", 422)
    try:
        check_in_school_year(scheduled_date, consultation_year_start(req))
    except OutsideSchoolYear as exc:
        raise SignupError(str(exc), 422) from None
    text = None
    if action == "schedule":
        req.scheduled_date, req.scheduled_time, req.place = scheduled_date, scheduled_time, place
        text = f"Консультация «{req.topic}» назначена: {scheduled_date.strftime('%d.%m.%Y')}"
        if scheduled_time:
            text += f", {scheduled_time.strftime('%H:%M')}"
        text += f", {place}."
    elif action == "answer":
        req.answer = answer
        text = f"Методист ответил на заявку «{req.topic}»."
    elif action == "decline":
        req.answer = answer
        text = f"Заявка на консультацию «{req.topic}» отклонена."
    else:
        req.held_note = (held_note or "").strip() or None
    req.status = status
    if text:
        db.session.add(Notice(user_id=req.user_id, kind="consultation", text=text))
        letters.consultation_answered(req, text)
    req.updated_at = utcnow()
    db.session.commit()
    return req
