"""The data each paper's template prints (plain JSON-able values, dates already written in Russian). A `stamp`
the caller read (mo_app/cache.py) lets the letterhead come from the cache."""

from __future__ import annotations

from datetime import date

from ..dates import long_date
from .letterhead import letterhead


def spravka_data(docs: list[dict], head: dict | None = None, stamp: str | None = None) -> dict:
    """One or several справки (services.report_doc dicts, or issued versions' snapshots with their own letterhead
    and issue line)."""
    head = head or letterhead(stamp)
    return {"docs": [{"issue": None, "issued_on": "", **doc, "letterhead": _signed(doc.get("letterhead") or head, doc)}
                     for doc in docs]}


def _signed(head: dict, doc: dict) -> dict:
    """With no signatory in the settings, a справка is signed by the methodologist who finalised it."""
    if head["signatory_name"] or not doc.get("methodologist"):
        return head
    return {**head, "signatory_name": doc["methodologist"]}


def sign_in_sheet_data(event, people: list, blank_rows: int, stamp: str | None = None) -> dict:
    """The sign-in sheet of `event`: its registered `people` (registrations) and blank rows for walk-ins."""
    venue = ""
    if event.venue is not None:
        venue = event.venue.name + (f", {event.venue.address}" if event.venue.address else "")
    return {
        "letterhead": letterhead(stamp),
        "kind_title": f"{event.kind_label} «{event.display_title}»",
        "date": event.plan_date.text(),
        "venue": venue,
        "people": [{"name": r.user.full_name,
                    "school": r.user.organization.short_name if r.user.organization else ""} for r in people],
        "blank_rows": blank_rows,
        "count": len(people),
    }


def register_data(header: list[str], rows: list[list], start: date, end: date, stamp: str | None = None) -> dict:
    """The visits register of a period."""
    return {"letterhead": letterhead(stamp), "period": f"с {long_date(start)} по {long_date(end)}", "header": header,
            "rows": [[str(c) for c in row] for row in rows]}


def plan_data(doc, stamp: str | None = None) -> dict:
    """The plan (a plan.document.PlanDocument) as the paper prints it: each goal's kind groups with their topics."""
    goals = []
    for block in doc.goals:
        groups = []
        for group in block.groups:
            titled = [i for i in group.items if i.text]
            shared = group.dates[0] if len(group.dates) == 1 else ""
            groups.append({
                "heading": group.heading if group.show_heading else "",
                "date": shared if group.show_heading else "",
                "items": [{"number": n if len(titled) > 1 else None, "text": item.text, "note": item.note,
                           "participants": item.participants,
                           "date": "" if group.show_heading and shared else item.date}
                          for n, item in enumerate(titled, start=1)],
            })
        goals.append({"title": block.title, "groups": groups})
    return {
        "letterhead": letterhead(stamp),
        "year": doc.year.title,
        "goals": goals,
        "purposes": [[purpose, schools] for purpose, schools in doc.purposes],
        "practice": [{"number": r.number, "topic": r.topic, "goals": r.goals, "author": r.author, "stage": r.stage,
                      "form": r.form} for r in doc.practice],
    }


def _chart(c) -> dict:
    return {
        "title": c.title, "width": c.width, "height": c.height, "empty": c.empty,
        "rects": [{"x": r.x, "y": r.y, "w": r.w, "h": r.h, "fill": r.fill} for r in c.rects],
        "lines": [list(line) for line in c.lines],
        "labels": [{"x": t.x, "y": t.y, "text": t.text, "anchor": t.anchor, "size": t.size} for t in c.labels],
        "legend": [list(item) for item in c.legend],
    }


def results_data(year, res, charts: list, stamp: str | None = None) -> dict:
    """The year results (results.queries.Results, restricted for a librarian) and their charts."""
    from ..dates import plural

    t = res.totals
    note = "Итоги по району."
    if res.restricted:
        note += " Подробно показаны ваша школа и ваши данные; другие школы — только в итоговых цифрах."
    return {
        "letterhead": letterhead(stamp),
        "year": year.title,
        "note": note,
        "totals": [
            [str(t.signups), plural(t.signups, "запись", "записи", "записей") + " на мероприятия"],
            [str(t.present), f"присутствовали (отсутствовали {t.absent}, по уважительной причине {t.excused})"],
            [str(t.courses), plural(t.courses, "курс пройден", "курса пройдено", "курсов пройдено")],
            [str(t.visits_held), f"из {t.visits_planned} запланированных посещений проведено"],
            [str(t.rec_done), f"из {t.rec_total} рекомендаций выполнено, просрочено {t.rec_overdue}"],
            [str(t.best_practice), plural(t.best_practice, "запись", "записи", "записей") + " передового опыта"],
        ],
        "schools": [
            [r.org.short_name, ", ".join(u.short_name for u in r.librarians) or "—", str(r.signups),
             f"{r.present} / {r.absent} / {r.excused}", str(r.courses), str(r.hosted),
             f"{r.visits_held} / {r.visits_planned}", f"{r.rec_done} / {r.rec_overdue}", str(r.best_practice),
             [m for m, on in (("нет участия", r.no_participation), ("нет посещения", r.no_visit)) if on]]
            for r in res.schools
        ],
        "people": [
            [p.user.short_name, p.user.organization.short_name if p.user.organization else "", str(p.signups),
             f"{p.present} / {p.absent} / {p.excused}", str(p.courses), str(p.consultations), str(p.best_practice)]
            for p in res.people
        ],
        "events": [[r.event.kind_label, r.event.display_title, r.planned, r.actual, r.outcome_label]
                   for r in res.events],
        "targets": [[tr.purpose, tr.org.short_name, tr.state_label] for tr in res.targets],
        "charts": [_chart(c) for c in charts],
    }
