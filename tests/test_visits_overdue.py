"""«Overdue agrees»: with the same data the methodologist's home desk and /recommendations list and count the same
recommendations, those of visits/queries.py's one rule (open or returned, of a final справка, deadline before
today in Moscow)."""

from __future__ import annotations

import re
from datetime import timedelta

from mo_app.dates import PlanDate, today
from mo_app.extensions import db
from mo_app.models import Recommendation
from mo_app.visits.queries import overdue_condition

from .visits_helpers import visit_with_report


def _world(f):
    """One final справка with recommendations in every status around today, and a draft with an overdue one."""
    now = today()
    a, b = f.school("79"), f.school("111")
    final = visit_with_report(f, a, recs=7, when=PlanDate("day", now - timedelta(days=60)))
    cases = [
        ("Открытая просроченная", "open", now - timedelta(days=3)),
        ("Возвращённая просроченная", "returned", now - timedelta(days=1)),
        ("Отмеченная просроченная", "reported", now - timedelta(days=5)),
        ("Выполненная просроченная", "done", now - timedelta(days=5)),
        ("Открытая в срок", "open", now + timedelta(days=3)),
        ("Открытая сегодняшняя", "open", now),
        ("Открытая без срока", "open", None),
    ]
    for rec, (text, status, deadline) in zip(final.report.recommendations, cases, strict=True):
        rec.text, rec.status, rec.deadline = text, status, deadline
    draft = visit_with_report(f, b, final=False, recs=1, when=PlanDate("day", now - timedelta(days=30)))
    draft.report.recommendations[0].text = "Черновика просроченная"
    draft.report.recommendations[0].deadline = now - timedelta(days=10)
    db.session.commit()


def _texts(html: str) -> set[str]:
    return set(re.findall(r'<span class="text">([^<]*)</span>', html))


def test_home_desk_and_recommendations_agree_on_overdue(client, f, login_as):
    _world(f)
    expected = {"Открытая просроченная", "Возвращённая просроченная"}
    in_sql = set(db.session.scalars(db.select(Recommendation.text).where(overdue_condition())))
    assert in_sql == expected

    login_as(f.methodologist())
    home = client.get("/").get_data(as_text=True)
    box = home[home.index('id="home-overdue"'):]
    box = box[:box.index("</article>")]
    assert re.search(r'<span class="badge[^"]*">(\d+)</span>', box).group(1) == str(len(expected))
    on_home = set(re.findall(r"<li>.*?: ([^<]*)</li>", box))
    assert on_home == expected

    for status in ("active", "all"):
        listed = client.get(f"/recommendations?overdue=1&status={status}").get_data(as_text=True)
        assert _texts(listed) == expected, status
        assert f"просрочено {len(expected)}</span>" in listed
    page = client.get("/recommendations?status=all").get_data(as_text=True)
    marked = {text for row, text in re.findall(r'(<tr id="rec-\d+" class="[^"]*">).*?<span class="text">([^<]*)',
                                              page, re.S) if "is-overdue" in row}
    assert marked == expected
