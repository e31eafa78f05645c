"""The year selector's years and the chosen year, read with the data stamp in one query."""

from __future__ import annotations

from ..cache import stamp_column
from ..extensions import db
from ..models import SchoolYear
from ..web import no_such_year, year_arg


def years_with_stamp() -> tuple[list[SchoolYear], str | None]:
    """All years (newest first) and the data stamp, read before the page reads its data (mo_app/cache.py)."""
    rows = db.session.execute(
        db.select(SchoolYear, stamp_column()).order_by(SchoolYear.start_year.desc())
    ).all()
    return [year for year, _ in rows], (rows[0][1] if rows else None)


def year_among(years: list[SchoolYear]) -> SchoolYear:
    """selected_year() picked from the years already loaded: `?year=2015`, else the current one (400 when
    malformed, 404 when there is no such year: web.year_arg)."""
    wanted = year_arg()
    if wanted is None:
        year = min(years, key=lambda y: (not y.is_current, -y.start_year), default=None)
    else:
        year = next((y for y in years if y.start_year == wanted), None)
    if year is None:
        raise no_such_year(wanted)
    return year
