"""The year selector's years and the chosen year, read with the data stamp in one query."""

from __future__ import annotations

from flask import abort, request

from ..cache import stamp_column
from ..extensions import db
from ..models import SchoolYear


def years_with_stamp() -> tuple[list[SchoolYear], str | None]:
    """All years (newest first) and the data stamp, read before the page reads its data (mo_app/cache.py)."""
    rows = db.session.execute(
        db.select(SchoolYear, stamp_column()).order_by(SchoolYear.start_year.desc())
    ).all()
    return [year for year, _ in rows], (rows[0][1] if rows else None)


def year_among(years: list[SchoolYear]) -> SchoolYear:
    """selected_year() picked from the years already loaded: `?year=2015`, else the current one; 404 if none."""
    raw = request.args.get("year", "")
    year = None
    if raw.isdecimal():
        year = next((y for y in years if y.start_year == int(raw)), None)
    elif not raw:
        year = min(years, key=lambda y: (not y.is_current, -y.start_year), default=None)
    if year is None:
        abort(404)
    return year
