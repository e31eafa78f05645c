"""Sample visits activity on the demo's current year (marked is_sample), so every screen has something to show.

Every one of the plan's 15 targets gets a visit: three held with finalised reports (one acknowledged by the
librarian, one with a recommendation done), one held with a draft, the rest planned for later months."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..dates import DAY, MONTH, PlanDate
from ..extensions import db
from ..models import ChecklistItem, Recommendation, ReportCheckItem, User, Visit, VisitReport

#: (purpose position, school number) → what happened; the rest of the 15 targets are planned
FINALISED_ACK = (1, "79")
FINALISED_DONE = (1, "111")
FINALISED_OPEN = (2, "192")
DRAFT = (1, "470")


def _at(d: date, hour: int) -> datetime:
    """A naive-UTC timestamp on day `d` at `hour` Moscow time."""
    return datetime.combine(d, time(hour)) - timedelta(hours=3)


def _month_after(today: date, months: int, year) -> date:
    """The first day of the month `months` after today's, not later than May of the school year."""
    y, m = today.year + (today.month - 1 + months) // 12, (today.month - 1 + months) % 12 + 1
    return min(date(y, m, 1), date(year.start_year + 1, 5, 1))


def _report(visit: Visit, methodologist: User, *, day: date, final: bool, items: list[ChecklistItem],
            texts: dict, recs: list[tuple[str, date, str]]) -> VisitReport:
    report = VisitReport(
        visit=visit, status="final" if final else "draft", version=3 if final else 2,
        present=texts["present"], methods=texts["methods"], strengths=texts["strengths"],
        shortcomings=texts["shortcomings"], conclusion=texts["conclusion"] if final else None,
        updated_at=_at(day, 16), updated_by_id=methodologist.id,
    )
    db.session.add(report)
    results = texts.get("results", {})
    report.items = [
        ReportCheckItem(position=i.position, title=i.title, result=results.get(i.position, ("ok", None))[0],
                        remark=results.get(i.position, ("ok", None))[1])
        for i in items
    ]
    report.recommendations = [
        Recommendation(organization_id=visit.organization_id, position=n, text=text, deadline=deadline,
                       responsible=responsible, status="open")
        for n, (text, deadline, responsible) in enumerate(recs, start=1)
    ]
    if final:
        report.finalised_at = _at(day + timedelta(days=2), 15)
        report.finalised_by_id = methodologist.id
    db.session.add(report)
    return report


def load(year, people: dict, today: date) -> None:
    """Add sample visits activity to `year`; `people` maps demo logins to users."""
    methodologist = people["metodist"]
    librarians = {u.organization.number: u for u in people.values() if u.organization is not None}
    items = db.session.scalars(
        db.select(ChecklistItem).where(ChecklistItem.year_id == year.id).order_by(ChecklistItem.position)
    ).all()
    visits: dict[tuple[int, str], Visit] = {}
    later = 1
    for purpose in year.visit_purposes:
        for target in purpose.targets:
            key = (purpose.position, target.organization.number)
            visit = Visit(
                year_id=year.id, organization_id=target.organization_id, status="planned",
                created_by_id=methodologist.id, created_at=_at(date(year.start_year, 9, 5), 10), is_sample=True,
            )
            visit.purposes = [purpose]
            if key in (FINALISED_ACK, FINALISED_DONE, FINALISED_OPEN, DRAFT):
                visit.plan_date = PlanDate(MONTH, date(year.start_year, 10, 1))
            else:
                visit.plan_date = PlanDate(MONTH, _month_after(today, (later + 1) // 2, year))
                later += 1
            db.session.add(visit)
            visits[key] = visit
    db.session.flush()

    held_days = {FINALISED_ACK: 42, FINALISED_DONE: 35, FINALISED_OPEN: 21, DRAFT: 6}
    for key, ago in held_days.items():
        visit = visits[key]
        visit.plan_date = PlanDate(DAY, today - timedelta(days=ago))
        visit.status = "held"

    # №79: help for a beginner; acknowledged by the librarian.
    v = visits[FINALISED_ACK]
    day = v.date_start
    report = _report(
        v, methodologist, day=day, final=True, items=items,
        texts={
            "present": "Александрова Е.С., заведующий библиотекой; заместитель директора по УВР",
            "methods": ["talk", "documents", "collection"],
            "strengths": "Фонд расставлен по ББК, открытый доступ к художественной литературе.\n"
                         "Библиотекарь активно применяет материалы курсов АППО.",
            "shortcomings": "Инвентарная книга учебного фонда ведётся с пропусками.",
            "conclusion": "Работа библиотеки организована удовлетворительно; требуется помощь в ведении учётных "
                          "документов.",
            "results": {3: ("remarks", "Инвентарная книга учебного фонда заполнена не полностью.")},
        },
        recs=[
            ("Восстановить записи в инвентарной книге учебного фонда.", today + timedelta(days=30),
             "Александрова Е.С."),
            ("Составить план массовых мероприятий на второе полугодие.", today + timedelta(days=45),
             "Александрова Е.С."),
        ],
    )
    report.acknowledged_at = _at(day + timedelta(days=4), 11)
    report.acknowledged_by_id = librarians["79"].id
    v.status = "finalised"

    # №111: one recommendation done and accepted, one overdue.
    v = visits[FINALISED_DONE]
    day = v.date_start
    report = _report(
        v, methodologist, day=day, final=True, items=items,
        texts={
            "present": "Голубева Е.Ю., заведующий библиотекой",
            "methods": ["talk", "documents"],
            "strengths": "Оформлен уголок новинок, ведётся электронный каталог.",
            "shortcomings": "Нет актов списания за прошлый год; правила пользования не утверждены.",
            "conclusion": "Библиотекарю рекомендовано привести нормативные документы в порядок.",
            "results": {2: ("remarks", "Правила пользования библиотекой не утверждены директором."),
                        3: ("remarks", "Нет актов списания за прошлый год.")},
        },
        recs=[
            ("Утвердить правила пользования библиотекой у директора.", today - timedelta(days=10),
             "Голубева Е.Ю."),
            ("Оформить акты списания за прошлый учебный год.", today - timedelta(days=3), "Голубева Е.Ю."),
        ],
    )
    done = report.recommendations[0]
    done.status = "done"
    done.librarian_comment = "Правила утверждены приказом директора, размещены у кафедры выдачи."
    done.reported_at = _at(day + timedelta(days=12), 12)
    done.reported_by_id = librarians["111"].id
    done.reviewed_at = _at(day + timedelta(days=13), 10)
    done.reviewed_by_id = methodologist.id
    v.status = "finalised"

    # Гимназия №192: collections and documents; finalised, not yet acknowledged.
    v = visits[FINALISED_OPEN]
    _report(
        v, methodologist, day=v.date_start, final=True, items=items,
        texts={
            "present": "Жукова С.А., заведующий библиотекой",
            "methods": ["talk", "documents", "event", "collection"],
            "strengths": "Образцовая организация школьных конференций; библиотека — центр проектной работы.",
            "shortcomings": "Карточный каталог не пополняется с 2024 года.",
            "conclusion": "Опыт гимназии рекомендуется к распространению на семинаре МО.",
            "results": {6: ("remarks", "Карточный каталог не пополняется.")},
        },
        recs=[("Подготовить выступление об опыте проведения школьных конференций.", today + timedelta(days=60),
               "Жукова С.А.")],
    )
    v.status = "finalised"

    # №470: held, the report is a draft.
    v = visits[DRAFT]
    _report(
        v, methodologist, day=v.date_start, final=False, items=items,
        texts={
            "present": "Патракова Н.М., заведующий библиотекой",
            "methods": ["talk"],
            "strengths": "Библиотекарь применяет знания, полученные на курсах.",
            "shortcomings": "",
            "conclusion": "",
        },
        recs=[],
    )
    db.session.flush()
