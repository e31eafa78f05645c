"""Request helpers shared by all areas: full page or fragment, role checks, and the parsers of the query
parameters every area reads — `month`, `page`, `year`, dates, and `next` with the one safe-redirect rule.

How a bad value is answered, the same on every route:
- `page`: anything but a plain number, or a number below 1, is the first page; past the end, the last page.
- `month` (ГГГГ-ММ or ММ.ГГГГ): a malformed one is ignored (the page's default month); a month outside the
  school year shown is brought to the nearest month of that year (September or August).
- `year` (a school year by its first calendar year, `?year=2026`): malformed → 400; a year with no plan → 404.
- dates in the query (`from`, `to`: ДД.ММ.ГГГГ or ГГГГ-ММ-ДД): malformed → 400.
- `next`: anything but a local path is replaced by the page's default target.
"""

from __future__ import annotations

import re
from datetime import date
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import abort, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest, NotFound

from .dates import parse_date, parse_month, school_year_bounds
from .extensions import db
from .models import SchoolYear


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not boosted, not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, fragment: str | None = None, status: int = 200, **ctx):
    """Render the full page, or only `fragment` (an `_piece.html` template) for htmx."""
    name = fragment if fragment and is_htmx() else template
    return render_template(name, **ctx), status


def url_pattern(endpoint: str, arg: str, **values) -> str:
    """The URL of `endpoint` for any id as a `%`-pattern, `arg` the id's name ("/events/%d/register" for
    ("events.register", "event_id")): one url_for a page, not one a row; `pattern % id` is the row's URL."""
    marker = 7654321
    url = url_for(endpoint, **{arg: marker}, **values).replace("%", "%%")
    return url.replace(str(marker), "%d", 1)


def role_required(*roles: str):
    """Allow only logged-in users with one of `roles`; others get 403, anonymous users the login page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.__mo_role__ = tuple(roles)
        return wrapped

    return decorator


def methodologist_required(view):
    """The methodologist only (librarians get 403)."""
    return role_required("methodologist")(view)


def any_role(view):
    """Any logged-in user of either role (what each sees is decided by the view's loader and queries)."""
    return role_required("methodologist", "librarian")(view)


# ---- where to go back: the one safe-redirect rule

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_NEXT = 2000


def is_safe_next(target: str | None) -> bool:
    """The one rule for a redirect target taken from a request: a path on this site ("/events?month=2026-12").

    Refused: a scheme or a host ("https://evil", "//evil"), a backslash (browsers read "/\\evil" as "//evil"),
    any control character (CR/LF would split the header; browsers drop TAB and LF, so "/<TAB>/evil" is "//evil"),
    and the same in the percent-decoded text ("/%2F/evil", "/%0d%0aSet-Cookie")."""
    if not target or len(target) > MAX_NEXT:
        return False
    for text in (target, unquote(target)):
        if not text.startswith("/") or text.startswith("//") or "\\" in text or _CONTROL.search(text):
            return False
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a safe local path (is_safe_next), else `default`."""
    return target if is_safe_next(target) else default


def next_arg(default: str) -> str:
    """Where to go back after an action: the posted or queried `next` if it is safe, else `default`."""
    target = request.form.get("next") or request.args.get("next") or ""
    return safe_next(target, default)


def referrer_target(default: str) -> str:
    """Back to the page the request came from when it is a page of this site, else `default`."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return default
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), default)


# ---- query parameters

MAX_PAGE = 1_000_000


def page_arg(name: str = "page", default: int = 1) -> int:
    """`?page=N` (or another pager's `name`): a number from 1; anything else is `default` (the pager brings a
    number past the end back to the last page: mo_app/paging.py)."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return MAX_PAGE if len(raw) > 7 else min(max(int(raw), 1), MAX_PAGE)


def as_id(raw: str | None) -> int | None:
    """`raw` as a row id if it is one written plainly ("12"; not "012", "-1", "١٢" or 20 digits), else None."""
    raw = raw or ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 and str(int(raw)) == raw else None


def id_arg(name: str) -> int | None:
    """`?school=12` and the like: an id (as_id), None when absent or not an id (the filter is not applied)."""
    return as_id(request.args.get(name))


def month_arg(name: str = "month") -> date | None:
    """`?month=2026-12` (or 12.2026) as the month's first day; None when absent or malformed."""
    raw = request.args.get(name, "")
    if not raw or len(raw) > 20:
        return None
    try:
        return parse_month(raw)
    except ValueError:
        return None


def clamp_month(first: date, year: SchoolYear) -> date:
    """The month `first` brought into the school year: September before it, August after it."""
    start, end = school_year_bounds(year.start_year)
    return min(max(first, start), end.replace(day=1))


def year_month_arg(year: SchoolYear, name: str = "month") -> date | None:
    """month_arg() brought into `year` (clamp_month); None when absent or malformed."""
    first = month_arg(name)
    return clamp_month(first, year) if first else None


def date_arg(name: str) -> date | None:
    """`?from=17.12.2026` or `?from=2026-12-17`; None when absent; 400 when malformed."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_date(raw[:20])
    except ValueError:
        raise BadRequest(f"Дата «{raw[:20]}» в адресе указана неверно: нужно ДД.ММ.ГГГГ.") from None


def year_arg() -> int | None:
    """`?year=2026`: a school year by its first calendar year; None when absent; 400 when not a year."""
    raw = request.args.get("year", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise BadRequest("Учебный год в адресе указан неверно: нужен год его начала, например year=2026.")
    return int(raw)


def no_such_year(start_year: int | None) -> NotFound:
    """The 404 of a year without a plan (or of no year at all yet)."""
    if start_year is None:
        return NotFound("Учебный год ещё не создан.")
    return NotFound(f"Плана на {start_year}–{start_year + 1} учебный год нет.")


def current_year() -> SchoolYear | None:
    """The school year marked current (else the latest)."""
    return db.session.scalar(
        db.select(SchoolYear).order_by(SchoolYear.is_current.desc(), SchoolYear.start_year.desc()).limit(1)
    )


def selected_year() -> SchoolYear:
    """The year chosen by `?year=2015` (its first calendar year), else the current one (year_arg: 400 when
    malformed; 404 when there is no such year)."""
    wanted = year_arg()
    if wanted is None:
        year = current_year()
    else:
        year = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == wanted))
    if year is None:
        raise no_such_year(wanted)
    return year


def all_years() -> list[SchoolYear]:
    return list(db.session.scalars(db.select(SchoolYear).order_by(SchoolYear.start_year.desc())))
