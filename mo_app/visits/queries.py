"""The read side of visits: what each page shows, and the shared definitions every page and desk uses, so that
two screens never disagree. Loaders take the viewing user and raise 404 for what they may not see.

«Overdue» is one rule: a recommendation of a finalised справка that the school has still to act on (open, or
returned by the methodologist) whose deadline is before today in Moscow. One done and awaiting acceptance
(«reported») is the methodologist's to review, not the school's to catch up on. The methodologist's desk and
/recommendations both count and list by `overdue_condition`; `is_overdue` is the same rule for a recommendation
in hand."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import NamedTuple

from flask import get_template_attribute
from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload, undefer
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import NotFound

from ..cache import cached, stamp_column
from ..dates import PlanDate, today
from ..extensions import db
from ..models import (
    ChecklistItem,
    Event,
    Organization,
    Recommendation,
    Registration,
    ReportVersion,
    User,
    Visit,
    VisitDateChange,
    VisitPurpose,
    VisitReport,
    VisitTarget,
)
from ..models.events import REG_CANCELLED
from ..models.visits import CHECK_RESULTS, REC_STATUSES, VISIT_METHODS, VISIT_STATUSES, visit_purpose_link
from ..paging import Slice, page_of, paginate
from ..web import as_id
from .forms import plan_date_from

PER_PAGE = 50

#: a recommendation the school still has to act on
OVERDUE_STATUSES = ("open", "returned")
#: a recommendation the list shows as not done yet
ACTIVE_REC_STATUSES = ("open", "reported", "returned")


def of_final_reports():
    """SQL: recommendations of finalised reports. Written as «not a draft's» so the check reads the few drafts
    once (an index on visit_report.status) instead of looking up the report of every recommendation."""
    drafts = db.select(VisitReport.id).where(VisitReport.status == "draft")  # a report is a draft or final
    return Recommendation.report_id.not_in(drafts)


def overdue_condition(on=None):
    """SQL: the recommendation is overdue on `on` (a date or a bound parameter; default: today in Moscow)."""
    return db.and_(Recommendation.status.in_(OVERDUE_STATUSES),
                   Recommendation.deadline < (today() if on is None else on), of_final_reports())


def overdue_on(status: str, deadline: date | None, on: date) -> bool:
    """The same rule for a recommendation of a final справка given as its status and deadline (a listed row)."""
    return status in OVERDUE_STATUSES and deadline is not None and deadline < on


def is_overdue(rec: Recommendation, on: date | None = None) -> bool:
    """The same rule for a recommendation in hand (its report loaded)."""
    return overdue_on(rec.status, rec.deadline, on or today()) and rec.report.status == "final"


# --- loading and access -------------------------------------------------------------------------


def own_school_id(user: User) -> int | None:
    """The school a librarian is limited to; None for the methodologist (sees all)."""
    if user.is_methodologist:
        return None
    return user.organization_id or -1


def visible_visits(user: User):
    """A select of the visits `user` may see (a librarian: their own school only)."""
    query = db.select(Visit)
    school = own_school_id(user)
    if school is not None:
        query = query.where(Visit.organization_id == school)
    return query


@cache
def _visit_statement(full: bool, own_school: bool):
    """The select of one visit (`visit_id`, and `school_id` for a librarian) with its loader options. Built
    once per shape: a select with ten loader options costs ~0.7 ms to build and key, on every request."""
    query = db.select(Visit, stamp_column()).where(Visit.id == db.bindparam("visit_id")).options(
        joinedload(Visit.organization), joinedload(Visit.year), selectinload(Visit.purposes)
    )
    if own_school:
        query = query.where(Visit.organization_id == db.bindparam("school_id"))
    if full:
        # What the visit page draws on every request. Its history (visit_history) and a final report's
        # document (report_doc: the items and recommendations) are kept rendered per data stamp, so they are
        # read only when drawn: the draft form and printing load the report's items and recommendations lazily
        # (one query each).
        return query.options(
            joinedload(Visit.created_by),
            joinedload(Visit.report).options(
                joinedload(VisitReport.updated_by),
                joinedload(VisitReport.finalised_by),
                joinedload(VisitReport.acknowledged_by),
            ),
        )
    return query.options(selectinload(Visit.report))


def get_visit_or_404(visit_id: int, user: User, full: bool = False) -> Visit:
    """The visit if `user` may see it (as visible_visits()); 404 otherwise (another school's librarian too).
    `full`: with what the visit page draws."""
    return load_visit(visit_id, user, full)[0]


def load_visit(visit_id: int, user: User, full: bool = False) -> tuple[Visit, str | None]:
    """get_visit_or_404, and the data stamp read with it (before anything else the page reads: mo_app/cache.py)."""
    school = own_school_id(user)
    params = {"visit_id": visit_id} if school is None else {"visit_id": visit_id, "school_id": school}
    row = db.session.execute(_visit_statement(full, school is not None), params).unique().one_or_none()
    if row is None:
        raise NotFound()
    visit, stamp = row
    if visit.report is not None:
        # report.visit is this very object: no lazy load later (the caller may keep only the report)
        set_committed_value(visit.report, "visit", visit)
    return visit, stamp


def report_visible(visit: Visit, user: User) -> bool:
    """Librarians read finalised reports only; the methodologist reads drafts too."""
    report = visit.report
    if report is None:
        return False
    return user.is_methodologist or report.status == "final"


def get_report_or_404(visit_id: int, user: User, full: bool = False) -> VisitReport:
    """The visit's report if `user` may read it (report_visible); 404 otherwise."""
    visit = get_visit_or_404(visit_id, user, full)
    if not report_visible(visit, user):
        raise NotFound()
    return visit.report


def get_version_or_404(report: VisitReport, number: int) -> ReportVersion:
    """Kept version `number` of a report (its paper loaded when it is printed); 404 when there is none."""
    version = next((v for v in report.versions if v.number == number), None)
    if version is None:
        raise NotFound()
    return version


def get_cell_or_404(purpose_raw: str | None, school_raw: str | None) -> tuple[VisitPurpose, Organization]:
    """The purpose and the school of a planner cell, by the ids posted; 404 when either is not one."""
    purpose = db.session.get(VisitPurpose, int(purpose_raw)) if (purpose_raw or "").isdecimal() else None
    school = db.session.get(Organization, int(school_raw)) if (school_raw or "").isdecimal() else None
    if purpose is None or school is None:
        raise NotFound()
    return purpose, school


def get_recommendation_or_404(rec_id: int, user: User) -> Recommendation:
    """A recommendation of a finalised report the user may see (own school for a librarian)."""
    query = (
        db.select(Recommendation)
        .join(Recommendation.report)
        .where(Recommendation.id == rec_id)
        .options(
            joinedload(Recommendation.report).joinedload(VisitReport.visit), joinedload(Recommendation.organization)
        )
    )
    school = own_school_id(user)
    if school is not None:
        query = query.where(Recommendation.organization_id == school, VisitReport.status == "final")
    rec = db.session.scalar(query)
    if rec is None:
        raise NotFound()
    return rec


@cache
def _librarians_statement():
    """The school's (`school_id`) active librarians, each with their sign-ups for the year's (`year_id`) courses
    and seminars (the events with the columns the page shows), in one query. Built once (see _visit_statement).

    A sign-up's event is checked by its key (EXISTS), so the database walks each librarian's own sign-ups. With
    `event_id IN (the year's courses and seminars)` SQLite walked that list for every librarian instead: a
    time that grew with the district's events (a 10× city: 0.6 → 6–9 ms)."""
    year_event = aliased(Event)
    of_the_year = db.exists().where(
        year_event.id == Registration.event_id,
        year_event.year_id == db.bindparam("year_id"),
        year_event.kind.in_(("course", "seminar", "practical_seminar")),
    )
    return (
        db.select(User, Registration)
        .outerjoin(Registration, db.and_(
            Registration.user_id == User.id,
            Registration.status != REG_CANCELLED,
            of_the_year,
        ))
        .outerjoin(Event, Event.id == Registration.event_id)
        .options(contains_eager(Registration.event).load_only(
            Event.kind, Event.title, Event.date_kind, Event.date_start, Event.date_end, Event.date_time,
        ))
        .where(User.organization_id == db.bindparam("school_id"), User.role == "librarian", User.active.is_(True))
        .order_by(User.last_name, User.id, Event.date_start, Event.id)
    )


@cache
def _visit_recs_statement():
    """The recommendations the visit page lists, as plain rows (see listed_recs): the visit's final report's
    (`report_id`, None when the page does not list them) and the school's (`school_id`) open ones of final
    reports of its other visits (not `visit_id`). Built once (see _visit_statement)."""
    return _listed_recs_select().where(db.or_(
        Recommendation.report_id == db.bindparam("report_id"),
        db.and_(
            Recommendation.organization_id == db.bindparam("school_id"),
            Recommendation.status.in_(ACTIVE_REC_STATUSES),
            VisitReport.status == "final",
            VisitReport.visit_id != db.bindparam("visit_id"),
        ),
    )).order_by(Recommendation.deadline, Recommendation.id)


def school_librarians(visit: Visit) -> dict:
    """The visit's school's librarians with their sign-ups for the year's courses and seminars: one query."""
    rows = db.session.execute(
        _librarians_statement(), {"year_id": visit.year_id, "school_id": visit.organization_id}
    ).all()
    librarians: list[User] = []
    regs_by_user: dict[int, list[Registration]] = {}
    for user, reg in rows:
        if user.id not in regs_by_user:
            librarians.append(user)
            regs_by_user[user.id] = []
        if reg is not None:
            regs_by_user[user.id].append(reg)
    return {"librarians": librarians, "regs_by_user": regs_by_user}


def earlier_visits(visit: Visit) -> list[Visit]:
    """The school's other visits up to this one's date, latest first (with their purposes, year and report)."""
    earlier_query = (
        db.select(Visit)
        .where(Visit.organization_id == visit.organization_id, Visit.id != visit.id)
        .options(
            selectinload(Visit.purposes), joinedload(Visit.report).load_only(VisitReport.status),
            joinedload(Visit.year),
        )
        .order_by(Visit.date_start.desc(), Visit.id.desc())
    )
    if visit.date_start is not None:
        earlier_query = earlier_query.where(Visit.date_start <= visit.date_start)
    return db.session.scalars(earlier_query).all()


def visit_history(visit: Visit, report: VisitReport | None) -> dict:
    """What the visit page's «История» lists: the visit's date changes and its (visible) `report`'s kept
    versions, each with who made it (two queries), and the names of who planned the visit and last saved the
    report."""
    date_changes = db.session.scalars(
        db.select(VisitDateChange).where(VisitDateChange.visit_id == visit.id)
        .options(joinedload(VisitDateChange.changed_by))
        .order_by(VisitDateChange.changed_at, VisitDateChange.id)
    ).all()
    versions = []
    if report is not None:
        versions = db.session.scalars(
            db.select(ReportVersion).where(ReportVersion.report_id == report.id)
            .options(joinedload(ReportVersion.created_by))
            .order_by(ReportVersion.number)
        ).all()
    return {"visit": visit, "report": report, "date_changes": date_changes, "versions": versions,
            "users": _user_names(visit), "plan_text": lambda kind, start: PlanDate(kind, start).text()}


def visit_recs(visit: Visit, report: VisitReport | None) -> tuple[list[ListedRec], list[ListedRec]]:
    """The recommendations the visit page shows: those of its `report` when final (in the report's order), and
    the school's open ones of its other visits: one query."""
    shown_report_id = report.id if report is not None and report.status == "final" else None
    rows = listed_recs(_visit_recs_statement(), {
        "report_id": shown_report_id, "school_id": visit.organization_id, "visit_id": visit.id,
    })
    report_recs = sorted((r for r in rows if r.report_id == shown_report_id), key=lambda r: (r.position, r.id))
    return report_recs, [r for r in rows if r.report_id != shown_report_id]


def visit_page_context(visit: Visit, user: User) -> dict:
    """Everything the visit page shows but its librarians, earlier visits, history, a final report's document
    and the recommendations (school_librarians, earlier_visits, visit_history, report_doc, visit_recs: read
    inside the page's {% cache %} blocks), in a fixed number of queries."""
    report = visit.report if report_visible(visit, user) else None
    purposes = []
    if user.is_methodologist:
        purposes = db.session.scalars(
            db.select(VisitPurpose).where(VisitPurpose.year_id == visit.year_id).order_by(VisitPurpose.position)
        ).all()
    return {
        "visit": visit,
        "report": report,
        "all_purposes": purposes,
        "methods": VISIT_METHODS,
        "results": CHECK_RESULTS,
        "today": today(),
    }


def _user_names(visit: Visit) -> dict[int, str]:
    """Names of the users named in a visit's history (loaded with the visit by get_visit_or_404)."""
    users = [visit.created_by, visit.report.updated_by if visit.report is not None else None]
    return {u.id: u.short_name for u in users if u is not None}


# --- printing ---------------------------------------------------------------------------------------


def current_version(report: VisitReport) -> ReportVersion | None:
    """The version a final report was issued as, its paper loaded; None for a draft, or for a report final
    before papers were kept (printed from its data then)."""
    if report.status != "final":
        return None
    return db.session.scalar(
        db.select(ReportVersion).options(undefer(ReportVersion.pdf))
        .where(ReportVersion.report_id == report.id, ReportVersion.reopened_at.is_(None),
               ReportVersion.sha256.is_not(None))
        .order_by(ReportVersion.number.desc()).limit(1)
    )


def reports_in_period(start: date | None, end: date | None, school_id: int | None) -> list[VisitReport]:
    """Finalised reports of visits dated within [start, end] (and of one school), in date order."""
    query = (
        db.select(VisitReport)
        .join(VisitReport.visit)
        .where(VisitReport.status == "final")
        .options(
            joinedload(VisitReport.visit).options(
                joinedload(Visit.organization), joinedload(Visit.year), selectinload(Visit.purposes)
            ),
            selectinload(VisitReport.items),
            selectinload(VisitReport.recommendations),
            joinedload(VisitReport.finalised_by),
            joinedload(VisitReport.acknowledged_by),
        )
        .order_by(Visit.date_start, Visit.id)
    )
    if start:
        query = query.where(Visit.date_start >= start)
    if end:
        query = query.where(Visit.date_start <= end)
    if school_id:
        query = query.where(Visit.organization_id == school_id)
    return list(db.session.scalars(query).unique())


# --- the recommendations list -------------------------------------------------------------------


def _listed_statuses(status: str) -> tuple[str, ...] | None:
    """The statuses a list filter shows: active / done / all (None: no status condition)."""
    if status == "done":
        return ("done",)
    if status == "all":
        return None
    return ACTIVE_REC_STATUSES


def recommendations_query(school_id: int | None, status: str, overdue_only: bool, today: date):
    """A select of recommendation ids of finalised reports: active / done / all, optionally overdue only."""
    query = db.select(Recommendation.id).where(overdue_condition(today) if overdue_only else of_final_reports())
    if school_id:
        query = query.where(Recommendation.organization_id == school_id)
    listed = _listed_statuses(status)
    if listed is not None:
        query = query.where(Recommendation.status.in_(listed))
    return query


def recommendation_tallies(school_id: int | None, status: str, overdue_only: bool, today: date) -> dict:
    """In one query: the counters above the list (active, overdue, awaiting review, over the school's or all
    recommendations) and, for the list's filter, how many rows it has (`total`) and how many of them have a
    deadline (`dated`: they come first, the rest after them by id)."""
    listed = _listed_statuses(status)
    query = (
        db.select(
            Recommendation.status, db.func.count(), db.func.count(Recommendation.deadline),
            db.func.count().filter(Recommendation.deadline < today),
        )
        .where(of_final_reports())
        .group_by(Recommendation.status)
    )
    if listed is not None:  # the counters need only the active ones: read the done ones only when listed
        query = query.where(Recommendation.status.in_(ACTIVE_REC_STATUSES + tuple(s for s in listed if s == "done")))
    if school_id:
        query = query.where(Recommendation.organization_id == school_id)
    rows = {row[0]: row[1:] for row in db.session.execute(query)}
    shown = [rows[s] for s in rows if listed is None or s in listed]
    if overdue_only:
        total = dated = sum(overdue for s, (_, _, overdue) in rows.items()
                            if (listed is None or s in listed) and s in OVERDUE_STATUSES)
    else:
        total, dated = sum(n for n, _, _ in shown), sum(d for _, d, _ in shown)
    return {
        "active": sum(rows.get(s, (0, 0, 0))[0] for s in ACTIVE_REC_STATUSES),
        "overdue": sum(rows.get(s, (0, 0, 0))[2] for s in OVERDUE_STATUSES),
        "reported": rows.get("reported", (0, 0, 0))[0],
        "total": total,
        "dated": dated,
    }


def recommendations_page(school_id: int | None, status: str, overdue_only: bool, today: date,
                         number: int, per_page: int, stamp: str | None = None) -> tuple[Slice, dict]:
    """Page `number` of the recommendations list (ListedRec rows by deadline, those without one last, then by id)
    and the counters, in two queries: the ids of the page are picked in SQL along an index on the deadline; the
    counts come from `recommendation_tallies`, kept per data `stamp` (read before: mo_app/cache.py)."""
    tallies = recommendation_counts(school_id, status, overdue_only, today, stamp)
    total, dated = tallies["total"], tallies["dated"]
    number = min(max(number, 1), max(1, -(-total // per_page)))  # past the end: the last page
    offset = (number - 1) * per_page
    ids = recommendations_query(school_id, status, overdue_only, today)
    parts = []
    if offset < dated:
        parts.append(ids.where(Recommendation.deadline.is_not(None))
                     .order_by(Recommendation.deadline, Recommendation.id).limit(per_page).offset(offset))
    if offset + per_page > dated and offset < total:
        taken = max(0, dated - offset)
        parts.append(ids.where(Recommendation.deadline.is_(None))
                     .order_by(Recommendation.id).limit(per_page - taken).offset(max(0, offset - dated)))
    items = []
    if parts:
        chosen = parts[0] if len(parts) == 1 else db.union_all(*(db.select(p.subquery().c.id) for p in parts))
        items = listed_recs(
            _listed_recs_select().where(Recommendation.id.in_(chosen))
            .order_by(Recommendation.deadline.is_(None), Recommendation.deadline, Recommendation.id)
        )
    pages = -(-total // per_page) if total else 0
    return Slice(items, number, pages, total, offset + 1, per_page), tallies


def recommendation_counts(school_id: int | None, status: str, overdue_only: bool, today: date,
                          stamp: str | None) -> dict:
    """The counters above the recommendations list (recommendation_tallies), kept per data `stamp`."""
    return cached(stamp, ("visits.rec_tallies", school_id, status, overdue_only, today),
                  lambda: recommendation_tallies(school_id, status, overdue_only, today), size=lambda _: 512)


class ListedRec:
    """A recommendation as its row shows it (visits/_rec_rows.html: the list, the visit page, a single row
    after a change), read as plain columns with its school and visit (no ORM objects)."""

    __slots__ = ("id", "report_id", "position", "school_name", "text", "visit_id", "visit_date", "deadline",
                 "responsible", "status", "status_label", "librarian_comment", "reported_at", "review_note")

    def __init__(self, row):
        (self.id, self.report_id, self.position, self.school_name, self.text, self.visit_id, date_kind, date_start,
         date_end, self.deadline, self.responsible, self.status, self.librarian_comment, self.reported_at,
         self.review_note) = row
        self.visit_date = PlanDate(date_kind, date_start, date_end).text()
        self.status_label = REC_STATUSES.get(self.status, self.status)

    def overdue_on(self, on: date) -> bool:
        """Overdue on `on` (visits/queries.py's rule: the row is of a final справка)."""
        return overdue_on(self.status, self.deadline, on)


def _listed_recs_select():
    """The columns of ListedRec, joined to the recommendation's school, report and visit (add where/order)."""
    return (
        db.select(
            Recommendation.id, Recommendation.report_id, Recommendation.position, Organization.short_name,
            Recommendation.text, VisitReport.visit_id, Visit.date_kind, Visit.date_start, Visit.date_end,
            Recommendation.deadline, Recommendation.responsible, Recommendation.status,
            Recommendation.librarian_comment, Recommendation.reported_at, Recommendation.review_note,
        )
        .join(Organization, Organization.id == Recommendation.organization_id)
        .join(VisitReport, VisitReport.id == Recommendation.report_id)
        .join(Visit, Visit.id == VisitReport.visit_id)
    )


@cache
def _one_rec_statement():
    """One recommendation (`rec_id`) as a plain row. Built once (see _visit_statement)."""
    return _listed_recs_select().where(Recommendation.id == db.bindparam("rec_id"))


def listed_recs(statement, params: dict | None = None) -> list[ListedRec]:
    """The rows of a _listed_recs_select() statement as ListedRec, in its order: one query."""
    return [ListedRec(row) for row in db.session.execute(statement, params)]


def listed_rec(rec_id: int) -> ListedRec:
    """One recommendation's row (after a change: the caller checked access)."""
    return listed_recs(_one_rec_statement(), {"rec_id": rec_id})[0]


# --- the planner and the list -------------------------------------------------------------------


_BADGES = {
    "finalised": Markup('<span class="badge ok">справка готова</span>'),
    "held": Markup('<span class="badge warn">проведено</span>'),
    "cancelled": Markup('<span class="badge bad">отменено</span>'),
    "postponed": Markup('<span class="badge warn">перенесено</span>'),
    "planned": Markup('<span class="badge">запланировано</span>'),
}
_HELD_DRAFT = Markup('<span class="badge warn">проведено, справка — черновик</span>')


def state_badge(status: str, has_report: bool) -> Markup:
    """A visit's state as a badge: a fixed piece of markup for each state."""
    if status == "held" and has_report:
        return _HELD_DRAFT
    return _BADGES.get(status, _BADGES["planned"])


def visit_badge(visit: Visit) -> Markup:
    """The visit's state badge (a function, not a macro, as the lists show one for every visit)."""
    return state_badge(visit.status, visit.status == "held" and visit.report is not None)


class PlannerVisit(NamedTuple):
    """A visit as a planner cell shows it (read as a plain row: a page has some 200)."""

    id: int
    organization_id: int
    date_text: str
    badge: Markup


def active_schools() -> list[Organization]:
    """The active schools, by short name (the new visit form's choices)."""
    return db.session.scalars(
        db.select(Organization).where(Organization.kind == "school", Organization.is_active.is_(True))
        .order_by(Organization.short_name)
    ).all()


def school_options(stamp: str | None, selected: int | None) -> Markup:
    """The `<option>`s of the active schools for a filter's school select, `selected` marked.

    A city has 700 schools: the options are rendered once per data stamp (mo_app/cache.py; nothing per user
    in them) and the selected one is marked in the kept text, so a request costs neither the query nor the
    loop. Empty when there is no active school."""
    html = cached(stamp, ("visits.school_options",), _render_school_options)
    if selected is not None:
        plain, marked = Markup('<option value="%d">') % selected, Markup('<option value="%d" selected>') % selected
        html = html.replace(plain, marked, 1)
    return html


def _render_school_options() -> Markup:
    """The options as the template's macro draws them (autoescaped Markup)."""
    org = Organization.__table__
    schools = db.session.execute(
        db.select(org.c.id, org.c.short_name)
        .where(org.c.kind == "school", org.c.is_active.is_(True))
        .order_by(org.c.short_name)
    ).all()
    return get_template_attribute("visits/_school_options.html", "school_options")(schools)


def year_purposes(year_id: int) -> list[VisitPurpose]:
    """The year's visit purposes in the plan's order."""
    return db.session.scalars(
        db.select(VisitPurpose).where(VisitPurpose.year_id == year_id).order_by(VisitPurpose.position)
    ).all()


class PlannerSchool(NamedTuple):
    """A planner row's school (plain data: the planner's page data is kept, mo_app/cache.py)."""

    id: int
    short_name: str


class PlannerPurpose(NamedTuple):
    """A planner column's purpose (plain data, as PlannerSchool)."""

    id: int
    title: str


def planner_data(year, user: User, q: str, number: int, stamp: str | None) -> dict:
    """Rows are schools, columns the year's purposes; cells hold the visits for that purpose.

    The schools (the plan's targets, then those visited, in visit order) are paged 50 a page and can be
    searched by name (`q`); only the page's schools and visits are read, as plain rows, so a city's 700
    schools cost what 50 do. The page's data is kept per data stamp (mo_app/cache.py) and viewer's school (its
    table, drawn for the viewer, in the template's {% cache %} block)."""
    own = own_school_id(user)
    return cached(stamp, ("visits.planner", year.id, own, q, number), lambda: _planner_data(year, own, q),
                  size=_planner_size)


def _planner_size(data: dict) -> int:
    """About the memory of a planner page's data (for the cache's budget)."""
    visits = sum(len(v) for v in data["cells"].values()) + sum(len(v) for v in data["other"].values())
    return 4096 + 200 * (visits + len(data["schools"]) + len(data["targets"]))


def _planner_data(year, own: int | None, q: str) -> dict:
    """The planner page's schools, purposes, targets and cells, as plain data (see planner_context)."""
    purposes = [PlannerPurpose(p.id, p.title) for p in year_purposes(year.id)]
    targets_by_purpose: dict[int, list[int]] = {}
    for purpose_id, org_id in db.session.execute(
        db.select(VisitTarget.purpose_id, VisitTarget.organization_id)
        .join(VisitPurpose, VisitPurpose.id == VisitTarget.purpose_id)
        .where(VisitPurpose.year_id == year.id)
        .order_by(VisitTarget.position, VisitTarget.id)
    ):
        targets_by_purpose.setdefault(purpose_id, []).append(org_id)
    order: dict[int, None] = {}  # school ids in planner order (a dict keeps the first place)
    targets = set()
    for purpose in purposes:
        for org_id in targets_by_purpose.get(purpose.id, ()):
            targets.add((org_id, purpose.id))
            if own is None or org_id == own:
                order.setdefault(org_id)
    table = Visit.__table__  # the year's ~2,000 visits: plain rows, from the (year, date, id) index
    visited_query = (
        db.select(table.c.organization_id).where(table.c.year_id == year.id).order_by(table.c.date_start, table.c.id)
    )
    if own is not None:  # as visible_visits(): a librarian sees their own school's visits only
        visited_query = visited_query.where(table.c.organization_id == own)
    visited = db.session.execute(visited_query).scalars().all()
    for org_id in visited:
        order.setdefault(org_id)
    ids = list(order)
    if q:
        pattern = f"%{q.lower()}%"
        found = set(db.session.scalars(
            db.select(Organization.id).where(
                Organization.id.in_(ids),
                db.or_(func.lower(Organization.short_name).like(pattern), func.lower(Organization.name).like(pattern)),
            )
        ))
        ids = [i for i in ids if i in found]
    page = page_of(ids)
    shown = set(page.items)
    names: dict[int, str] = {}
    cells: dict[tuple[int, int], list[PlannerVisit]] = {}
    other: dict[int, list[PlannerVisit]] = {}
    if shown:
        org = Organization.__table__
        names = dict(db.session.execute(db.select(org.c.id, org.c.short_name).where(org.c.id.in_(shown))).all())
        report = VisitReport.__table__
        visits_query = (
            db.select(table.c.id, table.c.organization_id, table.c.date_kind, table.c.date_start, table.c.date_end,
                      table.c.status, report.c.id.is_not(None))
            .outerjoin(report, report.c.visit_id == table.c.id)
            .where(table.c.year_id == year.id, table.c.organization_id.in_(shown))
            .order_by(table.c.date_start, table.c.id)
        )
        if own is not None:
            visits_query = visits_query.where(table.c.organization_id == own)
        visits = [
            PlannerVisit(visit_id, org_id, PlanDate(kind, start, end).text(), state_badge(status, has_report))
            for visit_id, org_id, kind, start, end, status, has_report in db.session.execute(visits_query)
        ]
        served: dict[int, list[int]] = {}  # visit id → the purposes it serves
        if visits:
            for visit_id, purpose_id in db.session.execute(
                db.select(visit_purpose_link.c.visit_id, visit_purpose_link.c.purpose_id)
                .where(visit_purpose_link.c.visit_id.in_([v.id for v in visits]))
            ):
                served.setdefault(visit_id, []).append(purpose_id)
        for visit in visits:
            if visit.id not in served:
                other.setdefault(visit.organization_id, []).append(visit)
            for purpose_id in served.get(visit.id, ()):
                cells.setdefault((visit.organization_id, purpose_id), []).append(visit)
    return {
        "purposes": purposes, "schools": [PlannerSchool(i, names[i]) for i in page.items], "cells": cells,
        "other": other, "targets": targets, "visit_count": len(visited), "page": page,
    }


def year_visit_count(year_id: int) -> int:
    """«Всего посещений» of the methodologist's planner (every visit of the year), for its in-place update."""
    return db.session.scalar(db.select(func.count()).select_from(Visit).where(Visit.year_id == year_id)) or 0


def cell_visits(school_id: int, purpose_id: int) -> list[Visit]:
    """The school's visits for a purpose (a planner cell), in date order."""
    return db.session.scalars(
        db.select(Visit)
        .join(Visit.purposes)
        .where(Visit.organization_id == school_id, VisitPurpose.id == purpose_id)
        .options(selectinload(Visit.report))
        .order_by(Visit.date_start, Visit.id)
    ).all()


def visits_page(year, user: User, args: dict, number: int):
    """The filtered page `number` of the year's visits `user` may see (visits/_list.html): `args` are the
    filters as posted (school, purpose, status, month «ГГГГ-ММ»)."""
    query = (
        visible_visits(user)
        .where(Visit.year_id == year.id)
        .options(
            joinedload(Visit.organization), selectinload(Visit.purposes),
            joinedload(Visit.report).load_only(VisitReport.status, VisitReport.acknowledged_at),
        )
        .order_by(Visit.date_start, Visit.id)
    )
    if (school := as_id(args["school"])) is not None:
        query = query.where(Visit.organization_id == school)
    if (purpose := as_id(args["purpose"])) is not None:
        query = query.where(Visit.purposes.any(VisitPurpose.id == purpose))
    elif args["purpose"] == "none":
        query = query.where(~Visit.purposes.any())
    if args["status"] in VISIT_STATUSES:
        query = query.where(Visit.status == args["status"])
    when = plan_date_from(args["month"], None) if args["month"] else None
    if when is not None:
        last = when.last_day
        query = query.where(Visit.date_start >= when.start, Visit.date_start <= last)
    return paginate(query, number, PER_PAGE)


class RegisterRow(NamedTuple):
    """A row of the visits register: the visit (its school loaded), its purposes' titles, its report's status
    (None: no report) and acknowledgement, and how many recommendations the report has."""

    visit: Visit
    purposes: list[str]
    report_status: str | None
    acknowledged: bool
    recommendations: int


def register_rows(start: date | None, end: date | None) -> list[RegisterRow]:
    """The visits dated within [start, end] for the register (журнал): two statements whatever the period
    holds (the visits with school and report, the recommendation counts joined; the purposes of the same visits)."""
    in_period = []
    if start:
        in_period.append(Visit.date_start >= start)
    if end:
        in_period.append(Visit.date_start <= end)
    rec_counts = (db.select(Recommendation.report_id, func.count().label("n"))
                  .group_by(Recommendation.report_id).subquery())
    rows = db.session.execute(
        db.select(Visit, VisitReport.status, VisitReport.acknowledged_at, func.coalesce(rec_counts.c.n, 0))
        .outerjoin(VisitReport, VisitReport.visit_id == Visit.id)
        .outerjoin(rec_counts, rec_counts.c.report_id == VisitReport.id)
        .options(joinedload(Visit.organization))
        .where(*in_period)
        .order_by(Visit.date_start, Visit.id)
    ).all()
    purposes: dict[int, list[str]] = {}
    for visit_id, title in db.session.execute(
        db.select(visit_purpose_link.c.visit_id, VisitPurpose.title)
        .join(VisitPurpose, VisitPurpose.id == visit_purpose_link.c.purpose_id)
        .join(Visit, Visit.id == visit_purpose_link.c.visit_id)
        .where(*in_period)
        .order_by(visit_purpose_link.c.visit_id, VisitPurpose.position)
    ):
        purposes.setdefault(visit_id, []).append(title)
    return [RegisterRow(visit, purposes.get(visit.id, []), status, acknowledged is not None, n)
            for visit, status, acknowledged, n in rows]


def checklist_titles(year) -> list[str]:
    """The year's checklist for visit reports, in order."""
    return list(db.session.scalars(
        db.select(ChecklistItem.title).where(ChecklistItem.year_id == year.id).order_by(ChecklistItem.position)
    ))


def visit_recs_once(visit: Visit, report: VisitReport | None):
    """visit_recs read at most once, on the first call (the page's two recommendation blocks share it)."""
    return cache(lambda: visit_recs(visit, report))
