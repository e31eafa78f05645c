"""Visits logic: planning, status, the report draft with its version check, finalising, follow-up."""

from __future__ import annotations

from datetime import date
from functools import cache

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..cache import cached, stamp_column
from ..dates import DAY, MONTH, PlanDate, local_datetime, short_date
from ..extensions import db, write_lock
from ..models import (
    ChecklistItem,
    Event,
    Organization,
    Recommendation,
    Registration,
    ReportCheckItem,
    ReportVersion,
    User,
    Visit,
    VisitDateChange,
    VisitPurpose,
    VisitReport,
)
from ..models.base import utcnow
from ..models.events import REG_CANCELLED
from ..models.visits import CHECK_RESULTS, REC_STATUSES, VISIT_METHODS
from ..paging import Slice

ACTIVE_REC_STATUSES = ("open", "reported", "returned")
MAX_TEXT = 20000
MAX_LINE = 200


class StaleReport(Exception):
    """The report changed since the form was loaded (or it is finalised): nothing was saved."""


class ReportInvalid(Exception):
    """The posted report has errors: {field name: Russian message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid report")
        self.errors = errors


# --- loading and access -------------------------------------------------------------------------


def own_school_id() -> int | None:
    """The school a librarian is limited to; None for the methodologist (sees all)."""
    if current_user.is_methodologist:
        return None
    return current_user.organization_id or -1


def visible_visits():
    """A select of the visits the current user may see (a librarian: their own school only)."""
    query = db.select(Visit)
    school = own_school_id()
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


def get_visit_or_404(visit_id: int, full: bool = False) -> Visit:
    """The visit if the current user may see it (as visible_visits()); 404 otherwise (another school's
    librarian too)."""
    return load_visit(visit_id, full)[0]


def load_visit(visit_id: int, full: bool = False) -> tuple[Visit, str | None]:
    """get_visit_or_404, and the data stamp read with it (before anything else the page reads: mo_app/cache.py)."""
    school = own_school_id()
    params = {"visit_id": visit_id} if school is None else {"visit_id": visit_id, "school_id": school}
    row = db.session.execute(_visit_statement(full, school is not None), params).unique().one_or_none()
    if row is None:
        abort(404)
    visit, stamp = row
    if visit.report is not None:
        # report.visit is this very object: no lazy load later (the caller may keep only the report)
        set_committed_value(visit.report, "visit", visit)
    return visit, stamp


def report_visible(visit: Visit) -> bool:
    """Librarians read finalised reports only; the methodologist reads drafts too."""
    report = visit.report
    if report is None:
        return False
    return current_user.is_methodologist or report.status == "final"


def get_recommendation_or_404(rec_id: int) -> Recommendation:
    """A recommendation of a finalised report the user may see (own school for a librarian)."""
    query = (
        db.select(Recommendation)
        .join(Recommendation.report)
        .where(Recommendation.id == rec_id)
        .options(
            joinedload(Recommendation.report).joinedload(VisitReport.visit), joinedload(Recommendation.organization)
        )
    )
    school = own_school_id()
    if school is not None:
        query = query.where(Recommendation.organization_id == school, VisitReport.status == "final")
    rec = db.session.scalar(query)
    if rec is None:
        abort(404)
    return rec


@cache
def _librarians_statement():
    """The school's (`school_id`) active librarians, each with their sign-ups for the year's (`year_id`) courses
    and seminars (the events with the columns the page shows), in one query. Built once (see _visit_statement)."""
    year_events = db.select(Event.id).where(
        Event.year_id == db.bindparam("year_id"), Event.kind.in_(("course", "seminar", "practical_seminar"))
    )
    return (
        db.select(User, Registration)
        .outerjoin(Registration, db.and_(
            Registration.user_id == User.id,
            Registration.status != REG_CANCELLED,
            Registration.event_id.in_(year_events),
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


def visit_page_context(visit: Visit) -> dict:
    """Everything the visit page shows but its librarians, earlier visits, history, a final report's document
    and the recommendations (school_librarians, earlier_visits, visit_history, report_doc, visit_recs: kept
    rendered by the route), in a fixed number of queries."""
    report = visit.report if report_visible(visit) else None
    purposes = []
    if current_user.is_methodologist:
        purposes = db.session.scalars(
            db.select(VisitPurpose).where(VisitPurpose.year_id == visit.year_id).order_by(VisitPurpose.position)
        ).all()
    return {
        "visit": visit,
        "report": report,
        "all_purposes": purposes,
        "methods": VISIT_METHODS,
        "results": CHECK_RESULTS,
        "today": date.today(),
    }


def _user_names(visit: Visit) -> dict[int, str]:
    """Names of the users named in a visit's history (loaded with the visit by get_visit_or_404)."""
    users = [visit.created_by, visit.report.updated_by if visit.report is not None else None]
    return {u.id: u.short_name for u in users if u is not None}


# --- planning -----------------------------------------------------------------------------------


def plan_visit(year, organization: Organization, purposes: list[VisitPurpose], when: PlanDate,
               unplanned: bool = False) -> Visit:
    """Plan a visit to a school for one or more purposes (or an unplanned one)."""
    visit = Visit(
        year_id=year.id, organization_id=organization.id, status="planned", is_unplanned=unplanned,
        created_by_id=current_user.id,
    )
    visit.plan_date = when
    visit.purposes = list(purposes)
    db.session.add(visit)
    db.session.commit()
    return visit


def change_date(visit: Visit, when: PlanDate, reason: str | None, postpone: bool = False) -> None:
    """Move a visit to a new date; the old date is kept in the history."""
    db.session.add(
        VisitDateChange(
            visit_id=visit.id, old_kind=visit.date_kind, old_start=visit.date_start, new_kind=when.kind,
            new_start=when.start, reason=reason or None, changed_by_id=current_user.id,
        )
    )
    visit.plan_date = when
    if postpone:
        visit.status = "postponed"
        visit.status_reason = reason
    db.session.commit()


def set_purposes(visit: Visit, purposes: list[VisitPurpose], unplanned: bool) -> None:
    """Replace the purposes a visit serves."""
    visit.purposes = list(purposes)
    visit.is_unplanned = unplanned
    db.session.commit()


def mark_held(visit: Visit, day: date | None) -> VisitReport:
    """The visit took place (on `day` if given): its report draft is started from the year's checklist."""
    if visit.status not in ("planned", "postponed", "held"):
        abort(409)
    if day is not None and (visit.date_kind != DAY or visit.date_start != day):
        db.session.add(
            VisitDateChange(
                visit_id=visit.id, old_kind=visit.date_kind, old_start=visit.date_start, new_kind=DAY,
                new_start=day, reason="дата проведения", changed_by_id=current_user.id,
            )
        )
        visit.plan_date = PlanDate(DAY, day)
    visit.status = "held"
    visit.status_reason = None
    report = ensure_report(visit)
    db.session.commit()
    return report


def cancel_visit(visit: Visit, reason: str) -> None:
    """Cancel a visit with a reason (its report, if any, stays)."""
    if visit.status == "finalised":
        abort(409)
    visit.status = "cancelled"
    visit.status_reason = reason
    db.session.commit()


def restore_visit(visit: Visit) -> None:
    """Put a cancelled visit back into the plan."""
    if visit.status != "cancelled":
        abort(409)
    visit.status = "held" if visit.report is not None else "planned"
    visit.status_reason = None
    db.session.commit()


def ensure_report(visit: Visit) -> VisitReport:
    """The visit's report, created as a draft with the year's checklist if missing."""
    if visit.report is not None:
        return visit.report
    items = db.session.scalars(
        db.select(ChecklistItem).where(ChecklistItem.year_id == visit.year_id).order_by(ChecklistItem.position)
    ).all()
    report = VisitReport(visit=visit, status="draft", version=1, methods=[], updated_by_id=current_user.id)
    db.session.add(report)
    report.items = [ReportCheckItem(position=i.position, title=i.title, result="not_checked") for i in items]
    db.session.add(report)
    db.session.flush()
    return report


def replace_checklist(year, titles: list[str]) -> None:
    """The year's checklist becomes `titles` (reports already started keep their own copy)."""
    db.session.execute(db.delete(ChecklistItem).where(ChecklistItem.year_id == year.id))
    for i, title in enumerate(titles, start=1):
        db.session.add(ChecklistItem(year_id=year.id, position=i, title=title))
    db.session.commit()


# --- the report draft ---------------------------------------------------------------------------


def parse_report_form(form, report: VisitReport) -> dict:
    """Read the posted report (fixed fields, checklist rows, recommendation rows); raise ReportInvalid."""
    errors: dict[str, str] = {}

    def text(name: str, limit: int = MAX_TEXT) -> str:
        value = (form.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = f"Слишком длинный текст (не более {limit} символов)."
        return value

    data = {
        "present": text("present"),
        "strengths": text("strengths"),
        "shortcomings": text("shortcomings"),
        "conclusion": text("conclusion"),
        "methods": [m for m in form.getlist("methods") if m in VISIT_METHODS],
        "items": {},
        "recs": [],
    }
    for item in report.items:
        result = form.get(f"item-{item.id}-result", item.result)
        if result not in CHECK_RESULTS:
            errors[f"item-{item.id}-result"] = "Выберите оценку из списка."
            result = item.result
        data["items"][item.id] = (result, text(f"item-{item.id}-remark", 2000))
    indexes = sorted({int(k.split("-")[1]) for k in form if k.startswith("rec-") and k.split("-")[1].isdecimal()})
    for i in indexes[:200]:
        raw_id = form.get(f"rec-{i}-id", "")
        deadline_raw = (form.get(f"rec-{i}-deadline") or "").strip()
        deadline = None
        if deadline_raw:
            try:
                deadline = date.fromisoformat(deadline_raw)
            except ValueError:
                errors[f"rec-{i}-deadline"] = "Срок — дата в виде ДД.ММ.ГГГГ."
        data["recs"].append(
            {
                "index": i,
                "id": int(raw_id) if raw_id.isdecimal() else None,
                "text": text(f"rec-{i}-text", 4000),
                "deadline": deadline,
                "responsible": text(f"rec-{i}-responsible", MAX_LINE),
            }
        )
    if errors:
        raise ReportInvalid(errors)
    return data


def save_draft(report_id: int, version: int | None, form) -> tuple[VisitReport, dict[int, int]]:
    """Save the draft if `version` is still the report's version; returns the report and new
    recommendation ids by form row index. Raises StaleReport (nothing saved) or ReportInvalid."""
    with write_lock():
        report = db.session.scalar(
            db.select(VisitReport).where(VisitReport.id == report_id).with_for_update()
        )
        if report is None:
            abort(404)
        if report.status != "draft" or version != report.version:
            db.session.rollback()
            raise StaleReport()
        data = parse_report_form(form, report)
        new_ids = _apply(report, data)
        report.version += 1
        report.updated_at = utcnow()
        report.updated_by_id = current_user.id
        db.session.commit()
    return report, new_ids


def _apply(report: VisitReport, data: dict) -> dict[int, int]:
    report.present = data["present"] or None
    report.strengths = data["strengths"] or None
    report.shortcomings = data["shortcomings"] or None
    report.conclusion = data["conclusion"] or None
    report.methods = data["methods"]
    for item in report.items:
        if item.id in data["items"]:
            item.result, remark = data["items"][item.id]
            item.remark = remark or None
    existing = {r.id: r for r in report.recommendations}
    org_id = report.visit.organization_id
    created: dict[int, Recommendation] = {}
    kept: list[Recommendation] = []
    for row in data["recs"]:
        rec = existing.pop(row["id"], None) if row["id"] else None
        if not row["text"]:
            if rec is not None:
                report.recommendations.remove(rec)
            continue
        if rec is None:
            rec = Recommendation(organization_id=org_id, status="open")
            report.recommendations.append(rec)
            created[row["index"]] = rec
        rec.text, rec.deadline, rec.responsible = row["text"], row["deadline"], row["responsible"] or None
        kept.append(rec)
    for pos, rec in enumerate(kept, start=1):
        rec.position = pos
    db.session.flush()
    return {index: rec.id for index, rec in created.items()}


def finalise(report_id: int, version: int | None, form) -> VisitReport:
    """Save the posted form and lock the report as final, recording who and when."""
    with write_lock():
        report = db.session.scalar(db.select(VisitReport).where(VisitReport.id == report_id).with_for_update())
        if report is None:
            abort(404)
        if report.status != "draft" or version != report.version:
            db.session.rollback()
            raise StaleReport()
        data = parse_report_form(form, report)
        if not data["conclusion"]:
            raise ReportInvalid({"conclusion": "Перед завершением справки напишите вывод."})
        _apply(report, data)
        now = utcnow()
        report.status = "final"
        report.version += 1
        report.updated_at = report.finalised_at = now
        report.updated_by_id = report.finalised_by_id = current_user.id
        report.visit.status = "finalised"
        db.session.commit()
    return report


def reopen(report: VisitReport, reason: str) -> None:
    """Reopen a finalised report: the finalised version is kept whole, with the reason."""
    with write_lock():
        report = db.session.scalar(db.select(VisitReport).where(VisitReport.id == report.id).with_for_update())
        if report.status != "final":
            db.session.rollback()
            raise StaleReport()
        number = len(report.versions) + 1
        db.session.add(
            ReportVersion(
                report_id=report.id, number=number, data=report_doc(report), created_by_id=current_user.id,
                reason=reason,
            )
        )
        report.status = "draft"
        report.version += 1
        report.updated_at = utcnow()
        report.updated_by_id = current_user.id
        report.acknowledged_at = None
        report.acknowledged_by_id = None
        report.visit.status = "held"
        db.session.commit()


def acknowledge(report: VisitReport) -> None:
    """The school's librarian confirms «Ознакомлен(а)»."""
    if report.status != "final":
        abort(404)
    if report.acknowledged_at is None:
        report.acknowledged_at = utcnow()
        report.acknowledged_by_id = current_user.id
        db.session.commit()


# --- the printable document ---------------------------------------------------------------------


def report_doc(report: VisitReport) -> dict:
    """The report as plain data for printing; also the JSON snapshot of a finalised version."""
    visit = report.visit
    return {
        "school": visit.organization.name,
        "school_short": visit.organization.short_name,
        "year": visit.year.title,
        "date": visit.plan_date.text(),
        "purposes": [p.title for p in visit.purposes],
        "unplanned": visit.is_unplanned,
        "present": report.present or "",
        "methods": [VISIT_METHODS[m] for m in report.methods or [] if m in VISIT_METHODS],
        "items": [
            {"title": i.title, "result": i.result, "result_label": i.result_label, "remark": i.remark or ""}
            for i in report.items
        ],
        "strengths": report.strengths or "",
        "shortcomings": report.shortcomings or "",
        "conclusion": report.conclusion or "",
        "recommendations": [
            {"text": r.text, "deadline": short_date(r.deadline), "responsible": r.responsible or ""}
            for r in report.recommendations
        ],
        "status": report.status,
        "methodologist": report.finalised_by.short_name if report.finalised_by else "",
        "finalised_at": local_datetime(report.finalised_at),
        "acknowledged_by": report.acknowledged_by.short_name if report.acknowledged_by else "",
        "acknowledged_at": local_datetime(report.acknowledged_at),
        "finalised_on": local_datetime(report.finalised_at, "dd.MM.y"),
        "acknowledged_on": local_datetime(report.acknowledged_at, "dd.MM.y HH:mm"),
    }


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


# --- recommendations follow-up ------------------------------------------------------------------


def _of_final_reports():
    """Recommendations of finalised reports. Written as «not a draft's» so the check reads the few drafts
    once (an index on visit_report.status) instead of looking up the report of every recommendation."""
    drafts = db.select(VisitReport.id).where(VisitReport.status == "draft")  # a report is a draft or final
    return Recommendation.report_id.not_in(drafts)


def _listed_statuses(status: str) -> tuple[str, ...] | None:
    """The statuses a list filter shows: active / done / all (None: no status condition)."""
    if status == "done":
        return ("done",)
    if status == "all":
        return None
    return ACTIVE_REC_STATUSES


def recommendations_query(school_id: int | None, status: str, overdue_only: bool, today: date):
    """A select of recommendation ids of finalised reports: active / done / all, optionally overdue only."""
    query = db.select(Recommendation.id).where(_of_final_reports())
    if school_id:
        query = query.where(Recommendation.organization_id == school_id)
    listed = _listed_statuses(status)
    if listed is not None:
        query = query.where(Recommendation.status.in_(listed))
    if overdue_only:
        query = query.where(Recommendation.deadline < today, Recommendation.status != "done")
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
        .where(_of_final_reports())
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
                            if (listed is None or s in listed) and s != "done")
    else:
        total, dated = sum(n for n, _, _ in shown), sum(d for _, d, _ in shown)
    return {
        "active": sum(rows.get(s, (0, 0, 0))[0] for s in ACTIVE_REC_STATUSES),
        "overdue": sum(rows.get(s, (0, 0, 0))[2] for s in ACTIVE_REC_STATUSES),
        "reported": rows.get("reported", (0, 0, 0))[0],
        "total": total,
        "dated": dated,
    }


def recommendations_page(school_id: int | None, status: str, overdue_only: bool, today: date,
                         number: int, per_page: int, stamp: str | None = None) -> tuple[Slice, dict]:
    """Page `number` of the recommendations list (ListedRec rows by deadline, those without one last, then by id)
    and the counters, in two queries: the ids of the page are picked in SQL along an index on the deadline; the
    counts come from `recommendation_tallies`, kept per data `stamp` (read before: mo_app/cache.py)."""
    tallies = cached(stamp, ("visits.rec_tallies", school_id, status, overdue_only, today),
                     lambda: recommendation_tallies(school_id, status, overdue_only, today), size=lambda _: 512)
    total, dated = tallies["total"], tallies["dated"]
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


def report_done(rec: Recommendation, comment: str) -> None:
    """The librarian marks a recommendation done, with a comment."""
    if rec.status not in ("open", "returned"):
        abort(409)
    rec.status = "reported"
    rec.librarian_comment = comment
    rec.reported_at = utcnow()
    rec.reported_by_id = current_user.id
    db.session.commit()


def review(rec: Recommendation, accept: bool, note: str | None) -> None:
    """The methodologist accepts a reported recommendation or returns it with a note."""
    if accept and rec.status not in ("reported", "open", "returned"):
        abort(409)
    if not accept and rec.status != "reported":
        abort(409)
    rec.status = "done" if accept else "returned"
    rec.review_note = note or None
    rec.reviewed_at = utcnow()
    rec.reviewed_by_id = current_user.id
    db.session.commit()


def month_choices(start_year: int) -> list[tuple[str, str]]:
    """The months of a school year (September – August) as select options «2026-09» → «сентябрь 2026»."""
    out = []
    for i in range(12):
        y, m = start_year + (8 + i) // 12, (8 + i) % 12 + 1
        out.append((f"{y}-{m:02d}", PlanDate(MONTH, date(y, m, 1)).text()))
    return out


def plan_date_from(month: str | None, day: date | None) -> PlanDate | None:
    """A day if given, else the month («2026-12»); None when neither is."""
    if day is not None:
        return PlanDate(DAY, day)
    if month:
        try:
            y, m = (int(x) for x in month.split("-"))
            return PlanDate(MONTH, date(y, m, 1))
        except ValueError:
            return None
    return None

