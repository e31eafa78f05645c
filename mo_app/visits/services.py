"""The write side of visits: planning, status, the report draft with its version check, finalising, follow-up.

Every state change and its rule, once. Each takes the acting user (`by`) and refuses with VisitError (a Russian
message and the HTTP status) or, for the report form, StaleReport / ReportInvalid."""

from __future__ import annotations

from datetime import date

from ..dates import DAY, PlanDate, check_in_school_year, local_datetime, long_date, parse_date
from ..documents import new_code, record_issue, render_pdf, verify_url
from ..documents.letterhead import letterhead
from ..documents.papers import spravka_data
from ..extensions import db, write_lock
from ..mail import letters
from ..models import (
    ChecklistItem,
    Organization,
    Recommendation,
    ReportCheckItem,
    ReportVersion,
    User,
    Visit,
    VisitDateChange,
    VisitPurpose,
    VisitReport,
)
from ..models.base import column_length, utcnow
from ..models.visits import CHECK_RESULTS, VISIT_METHODS
from .queries import OVERDUE_STATUSES, current_version

MAX_TEXT = 20000
ARCHIVE_MESSAGE = "Архивный год хранится так, как был записан: планировать в нём посещения нельзя."


class VisitError(Exception):
    """A refused change; the message is shown to the user as is (Russian), with the HTTP status."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


class StaleReport(Exception):
    """The report changed since the form was loaded (or it is finalised): nothing was saved."""


class ReportInvalid(Exception):
    """The posted report has errors: {field name: Russian message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid report")
        self.errors = errors


# --- planning -----------------------------------------------------------------------------------


def check_plannable(year) -> None:
    """Visits are planned only in a year that is not archived."""
    if year.is_archive:
        raise VisitError(ARCHIVE_MESSAGE)


def plan_visit(year, organization: Organization, purposes: list[VisitPurpose], when: PlanDate, by: User,
               unplanned: bool = False) -> Visit:
    """Plan a visit to a school for one or more purposes (or an unplanned one); its date lies in `year`."""
    check_plannable(year)
    check_in_school_year(when, year.start_year)
    visit = Visit(
        year_id=year.id, organization_id=organization.id, status="planned", is_unplanned=unplanned,
        created_by_id=by.id,
    )
    visit.plan_date = when
    visit.purposes = list(purposes)
    db.session.add(visit)
    db.session.commit()
    return visit


def check_dates_editable(visit: Visit) -> None:
    """The date of a finalised or cancelled visit stays as it is."""
    if visit.status in ("finalised", "cancelled"):
        raise VisitError("Дату завершённого или отменённого посещения изменить нельзя.")


def change_date(visit: Visit, when: PlanDate, reason: str | None, by: User, postpone: bool = False) -> None:
    """Move a visit to a new date within its school year; the old date is kept in the history."""
    check_dates_editable(visit)
    check_in_school_year(when, visit.year.start_year)
    db.session.add(
        VisitDateChange(
            visit_id=visit.id, old_kind=visit.date_kind, old_start=visit.date_start, new_kind=when.kind,
            new_start=when.start, reason=reason or None, changed_by_id=by.id,
        )
    )
    visit.plan_date = when
    if postpone:
        visit.status = "postponed"
        visit.status_reason = reason
    db.session.commit()


def check_purposes_editable(visit: Visit) -> None:
    """The purposes of a finalised or cancelled visit stay as they are."""
    if visit.status in ("finalised", "cancelled"):
        raise VisitError("Цели завершённого или отменённого посещения изменить нельзя.")


def set_purposes(visit: Visit, purposes: list[VisitPurpose], unplanned: bool) -> None:
    """Replace the purposes a visit serves (at least one, or the visit is unplanned)."""
    check_purposes_editable(visit)
    if not purposes and not unplanned:
        raise VisitError("Отметьте хотя бы одну цель или «Внеплановое».", 422)
    visit.purposes = list(purposes)
    visit.is_unplanned = unplanned
    db.session.commit()


def check_holdable(visit: Visit) -> None:
    """Only a planned or postponed visit can be marked held."""
    if visit.status not in ("planned", "postponed"):
        raise VisitError("Это посещение нельзя отметить проведённым (оно уже проведено или отменено).")


def mark_held(visit: Visit, day: date | None, by: User) -> VisitReport:
    """The visit took place (on `day` if given): its report draft is started from the year's checklist."""
    check_holdable(visit)
    check_in_school_year(day, visit.year.start_year)
    if day is not None and (visit.date_kind != DAY or visit.date_start != day):
        db.session.add(
            VisitDateChange(
                visit_id=visit.id, old_kind=visit.date_kind, old_start=visit.date_start, new_kind=DAY,
                new_start=day, reason="дата проведения", changed_by_id=by.id,
            )
        )
        visit.plan_date = PlanDate(DAY, day)
    visit.status = "held"
    visit.status_reason = None
    report = ensure_report(visit, by)
    db.session.commit()
    return report


def check_cancellable(visit: Visit) -> None:
    """A finalised visit, or one cancelled already, cannot be cancelled."""
    if visit.status == "finalised":
        raise VisitError("По посещению готова справка: отменить его нельзя.")
    if visit.status == "cancelled":
        raise VisitError("Посещение уже отменено.")


def cancel_visit(visit: Visit, reason: str) -> None:
    """Cancel a visit with a reason (its report, if any, stays)."""
    check_cancellable(visit)
    visit.status = "cancelled"
    visit.status_reason = reason
    db.session.commit()


def restore_visit(visit: Visit) -> None:
    """Put a cancelled visit back into the plan."""
    if visit.status != "cancelled":
        raise VisitError("Посещение не отменено.")
    visit.status = "held" if visit.report is not None else "planned"
    visit.status_reason = None
    db.session.commit()


def ensure_report(visit: Visit, by: User) -> VisitReport:
    """The visit's report, created as a draft with the year's checklist if missing."""
    if visit.report is not None:
        return visit.report
    items = db.session.scalars(
        db.select(ChecklistItem).where(ChecklistItem.year_id == visit.year_id).order_by(ChecklistItem.position)
    ).all()
    report = VisitReport(visit=visit, status="draft", version=1, methods=[], updated_by_id=by.id)
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
                deadline = parse_date(deadline_raw)
            except ValueError:
                errors[f"rec-{i}-deadline"] = "Срок — дата в виде ДД.ММ.ГГГГ."
        data["recs"].append(
            {
                "index": i,
                "id": int(raw_id) if raw_id.isdecimal() else None,
                "text": text(f"rec-{i}-text", 4000),
                "deadline": deadline,
                "responsible": text(f"rec-{i}-responsible", column_length(Recommendation.responsible)),
            }
        )
    if errors:
        raise ReportInvalid(errors)
    return data


def save_draft(report_id: int, version: int | None, form, by: User) -> tuple[VisitReport, dict[int, int]]:
    """Save the draft if `version` is still the report's version; returns the report and new
    recommendation ids by form row index. Raises StaleReport (nothing saved) or ReportInvalid."""
    with write_lock():
        report = db.session.scalar(
            db.select(VisitReport).where(VisitReport.id == report_id).with_for_update()
        )
        if report is None:
            raise VisitError("Справки нет.", 404)
        if report.status != "draft" or version != report.version:
            db.session.rollback()
            raise StaleReport()
        data = parse_report_form(form, report)
        new_ids = _apply(report, data)
        report.version += 1
        report.updated_at = utcnow()
        report.updated_by_id = by.id
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


def finalise(report_id: int, version: int | None, form, by: User) -> VisitReport:
    """Save the posted form and lock the report as final, recording who and when."""
    with write_lock():
        report = db.session.scalar(db.select(VisitReport).where(VisitReport.id == report_id).with_for_update())
        if report is None:
            raise VisitError("Справки нет.", 404)
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
        report.updated_by_id = report.finalised_by_id = by.id
        report.visit.status = "finalised"
        db.session.flush()
        db.session.expire(report, ["finalised_by"])
        db.session.add(_issue(report, report_doc(report), _next_number(report), by.id))
        letters.report_finalised(report)
        db.session.commit()
    return report


def check_reopenable(visit: Visit) -> None:
    """Only a finalised report can be reopened."""
    if visit.report is None or visit.report.status != "final":
        raise VisitError("Справка не завершена.")


def reopen(visit: Visit, reason: str, by: User) -> None:
    """Reopen a finalised report: its issued version is kept whole (paper and data), with the reason. Raises
    StaleReport when it was reopened meanwhile."""
    check_reopenable(visit)
    report = visit.report
    with write_lock():
        report = db.session.scalar(db.select(VisitReport).where(VisitReport.id == report.id).with_for_update())
        if report.status != "final":
            db.session.rollback()
            raise StaleReport()
        version = current_version(report)
        if version is None:  # final before papers were kept: its data is kept, its paper made at first download
            data = {**report_doc(report), "letterhead": letterhead()}  # it prints as it was headed and signed
            version = ReportVersion(report_id=report.id, number=_next_number(report), data=data,
                                    created_by_id=report.finalised_by_id)
            db.session.add(version)
        version.reopened_at = utcnow()
        version.reason = reason
        report.status = "draft"
        report.version += 1
        report.updated_at = utcnow()
        report.updated_by_id = by.id
        report.acknowledged_at = None
        report.acknowledged_by_id = None
        report.visit.status = "held"
        db.session.commit()


def acknowledge(visit: Visit, by: User) -> None:
    """The school's librarian confirms «Ознакомлен(а)» with the visit's finalised report."""
    report = visit.report
    if report is None or report.status != "final":
        raise VisitError("Справка не завершена.", 404)
    if report.acknowledged_at is None:
        report.acknowledged_at = utcnow()
        report.acknowledged_by_id = by.id
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
            {"text": r.text, "deadline": long_date(r.deadline), "responsible": r.responsible or ""}
            for r in report.recommendations
        ],
        "status": report.status,
        "methodologist": report.finalised_by.short_name if report.finalised_by else "",
        "finalised_at": local_datetime(report.finalised_at),
        "acknowledged_by": report.acknowledged_by.short_name if report.acknowledged_by else "",
        "acknowledged_at": local_datetime(report.acknowledged_at),
        "finalised_on": local_datetime(report.finalised_at, "dd.MM.y"),
        "acknowledged_on": local_datetime(report.acknowledged_at, "dd.MM.y HH:mm"),
        "issued_on": local_datetime(report.finalised_at, "d MMMM y г."),
    }


# --- the issued paper -----------------------------------------------------------------------------------

ISSUED_TITLE = "Справка по итогам посещения"


def _next_number(report: VisitReport) -> int:
    return (db.session.scalar(db.select(db.func.max(ReportVersion.number))
                              .where(ReportVersion.report_id == report.id)) or 0) + 1


def _paper(doc: dict, number: int, code: str) -> dict:
    """What an issued справка prints: its data as issued, the letterhead of then, its version and check line."""
    return {**doc, "letterhead": doc.get("letterhead") or letterhead(),
            "issue": {"version": number, "code": code, "url": verify_url(code)}}


def _issue(report: VisitReport, doc: dict, number: int, by_id: int | None,
           version: ReportVersion | None = None) -> ReportVersion:
    """Make the paper of version `number` from `doc` and keep it: bytes, SHA-256, code, the public record."""
    code = new_code()
    paper = _paper(doc, number, code)
    pdf = render_pdf("spravka", spravka_data([paper]))
    facts = [("Образовательное учреждение", doc["school"]), ("Дата посещения", doc["date"]),
             ("Версия справки", str(number))]
    digest = record_issue(code, "visit_report", ISSUED_TITLE, facts, pdf)
    if version is None:
        version = ReportVersion(report_id=report.id, number=number, created_by_id=by_id)
    version.data, version.pdf, version.sha256, version.code = paper, pdf, digest, code
    return version


def period_papers(reports: list[VisitReport]) -> list[dict]:
    """The справки of a period as issued (each final report's issued version's data), for one PDF."""
    ids = [r.id for r in reports]
    issued = {v.report_id: v for v in db.session.scalars(
        db.select(ReportVersion).where(ReportVersion.report_id.in_(ids), ReportVersion.reopened_at.is_(None),
                                       ReportVersion.sha256.is_not(None))
    )} if ids else {}
    return [issued[r.id].data if r.id in issued else report_doc(r) for r in reports]


# --- recommendations follow-up ------------------------------------------------------------------


def check_reportable(rec: Recommendation) -> None:
    """The school reports only an open or returned recommendation done."""
    if rec.status not in OVERDUE_STATUSES:
        raise VisitError("Рекомендация уже отмечена.")


def report_done(rec: Recommendation, comment: str, by: User) -> None:
    """The librarian marks a recommendation done, with a comment."""
    check_reportable(rec)
    rec.status = "reported"
    rec.librarian_comment = comment
    rec.reported_at = utcnow()
    rec.reported_by_id = by.id
    db.session.commit()


def check_reviewable(rec: Recommendation, accept: bool) -> None:
    """Any recommendation not done yet can be accepted; only one reported done can be returned."""
    if accept and rec.status == "done":
        raise VisitError("Рекомендация уже принята.")
    if not accept and rec.status != "reported":
        raise VisitError("Вернуть можно только отмеченную выполненной рекомендацию.")


def review(rec: Recommendation, accept: bool, note: str | None, by: User) -> None:
    """The methodologist accepts a recommendation as done or returns a reported one with a note."""
    check_reviewable(rec, accept)
    rec.status = "done" if accept else "returned"
    rec.review_note = note or None
    rec.reviewed_at = utcnow()
    rec.reviewed_by_id = by.id
    db.session.commit()
