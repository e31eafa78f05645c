"""Builders for visits tests: visits with reports and recommendations, straight into the database."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import ChecklistItem, Recommendation, ReportCheckItem, Visit, VisitReport
from mo_app.models.base import utcnow
from mo_app.models.visits import DEFAULT_CHECKLIST


def checklist(year) -> list[ChecklistItem]:
    """The year's checklist (the default one, added if missing)."""
    items = db.session.scalars(db.select(ChecklistItem).where(ChecklistItem.year_id == year.id)).all()
    if not items:
        items = [ChecklistItem(year_id=year.id, position=i, title=t) for i, t in enumerate(DEFAULT_CHECKLIST, 1)]
        db.session.add_all(items)
        db.session.commit()
    return items


def visit_with_report(f, school, *, final: bool = True, recs: int = 1, year=None, purposes=(), by=None,
                      when: PlanDate | None = None, conclusion: str = "Работа библиотеки удовлетворительна.",
                      rec_text: str = "Рекомендация №{n}", deadline: date | None = None) -> Visit:
    """A held visit with a report (final or draft) and `recs` recommendations."""
    year = year or f.year()
    visit = f.visit(school, year=year, when=when or PlanDate("day", date(2026, 10, 14)),
                    status="finalised" if final else "held")
    visit.purposes = list(purposes)
    items = checklist(year)
    report = VisitReport(
        visit=visit, status="final" if final else "draft", version=2, present="Библиотекарь школы",
        methods=["talk", "documents"], strengths="Фонд в порядке.", shortcomings="Каталог не ведётся.",
        conclusion=conclusion, finalised_at=utcnow() if final else None,
        finalised_by_id=by.id if (by and final) else None,
    )
    db.session.add(report)
    report.items = [ReportCheckItem(position=i.position, title=i.title) for i in items]
    report.recommendations = [
        Recommendation(organization_id=school.id, position=n, text=rec_text.format(n=n),
                       deadline=deadline or date.today() + timedelta(days=30), responsible="Библиотекарь")
        for n in range(1, recs + 1)
    ]
    db.session.add(report)
    db.session.commit()
    return visit


@contextmanager
def count_queries():
    """Count SQL statements sent to the database inside the block (the login's user load included)."""
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|PRAGMA)", statement, re.I):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def report_form(report: VisitReport, **fields) -> dict:
    """The posted draft form of `report`, as the page renders it, with `fields` changed."""
    data = {
        "version": str(report.version),
        "present": report.present or "",
        "strengths": report.strengths or "",
        "shortcomings": report.shortcomings or "",
        "conclusion": report.conclusion or "",
        "methods": list(report.methods or []),
    }
    for item in report.items:
        data[f"item-{item.id}-result"] = item.result
        data[f"item-{item.id}-remark"] = item.remark or ""
    for i, rec in enumerate(report.recommendations):
        data[f"rec-{i}-id"] = str(rec.id)
        data[f"rec-{i}-text"] = rec.text
        data[f"rec-{i}-deadline"] = rec.deadline.isoformat() if rec.deadline else ""
        data[f"rec-{i}-responsible"] = rec.responsible or ""
    data.update(fields)
    return data
