"""What the portfolio PDF prints (plain JSON-able values; dates in Russian)."""

from __future__ import annotations

from ..dates import nplural
from .queries import Portfolio


def _hours(n: int | None) -> str:
    return nplural(n, "час", "часа", "часов") if n else "—"


def _event(reg) -> dict:
    ev = reg.event
    return {"kind": ev.kind_label, "title": ev.title or "", "date": ev.plan_date.text(), "hours": _hours(ev.hours),
            "talk": reg.talk_title or ""}


def portfolio_data(p: Portfolio, head: dict, issued_on: str) -> dict:
    user = p.person
    return {
        "letterhead": head,
        "name": user.full_name,
        "school": user.organization.name if user.organization else "",
        "position": user.position or "",
        "issued_on": issued_on,
        "total_hours": _hours(p.hours),
        "years": [{
            "title": y.year.title,
            "hours": _hours(y.hours),
            "attended": [_event(r) for r in y.attended],
            "talks": [_event(r) for r in y.talks],
            "consultations": [_event(r) for r in y.consultations]
            + [{"kind": "Консультация по запросу", "title": c.topic, "date": c.status_label, "hours": "—", "talk": ""}
               for c in y.requests],
            "practice": [{"topic": b.topic, "stage": b.stage_label, "form": b.form or ""} for b in y.practice],
            "visits": [{"date": v.plan_date.text(), "status": v.status_label} for v in y.visits],
        } for y in p.years],
    }
