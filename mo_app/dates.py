"""The plan's dates (a month, a span, «в течение года», a day, a day and time) and Russian formatting."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone

LOCALE = "ru"
TZ = "Europe/Moscow"
_TZINFO = get_timezone(TZ)
_RU = Locale.parse(LOCALE)

YEAR, MONTH, SPAN, DAY, DATETIME, TBD = "year", "month", "span", "day", "datetime", "tbd"
DATE_KINDS = {
    YEAR: "в течение года",
    MONTH: "месяц",
    SPAN: "период (с месяца по месяц)",
    DAY: "день",
    DATETIME: "день и время",
    TBD: "дата уточняется",
}


@lru_cache(maxsize=4096)
def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural by CLDR rules: 1 место, 2 места, 5 мест (21 место, 111 мест)."""
    form = _RU.plural_form(abs(n))
    return {"one": one, "few": few}.get(form, many)


def nplural(n: int, one: str, few: str, many: str) -> str:
    """The number with its word: «3 места»."""
    return f"{n} {plural(n, one, few, many)}"


def _plain(text: str) -> str:
    """CLDR puts a narrow no-break space before «г.»; a plain space prints and searches everywhere."""
    return text.replace("\u202f", " ")


# Babel's formatting costs ~50 µs a call and a page formats the same few hundred dates over and over:
# the pure date formatters are memoised (dates are hashable and immutable; the cache is bounded).
@lru_cache(maxsize=8192)
def month_name(d: date) -> str:
    """«сентябрь 2015»"""
    return format_date(d, "LLLL y", locale=LOCALE)


@lru_cache(maxsize=8192)
def long_date(d: date | None) -> str:
    """«26 ноября 2026 г.»"""
    return _plain(format_date(d, "long", locale=LOCALE)) if d else ""


@lru_cache(maxsize=8192)
def short_date(d: date | None) -> str:
    """«26.11.2026»"""
    return format_date(d, "dd.MM.y", locale=LOCALE) if d else ""


def local_datetime(dt: datetime | None, fmt: str = "d MMMM y г., HH:mm") -> str:
    """A stored naive-UTC timestamp in Moscow time."""
    if dt is None:
        return ""
    return _plain(format_datetime(dt, fmt, tzinfo=_TZINFO, locale=LOCALE))


def local_time(dt: datetime | None) -> str:
    """«14:32» in Moscow time for a stored naive-UTC timestamp."""
    return local_datetime(dt, "HH:mm")


def today() -> date:
    """Today in Moscow, whatever the server's clock zone."""
    return datetime.now(_TZINFO).date()


def school_year_start(d: date) -> int:
    """The school year a date belongs to, by its first calendar year (September starts it)."""
    return d.year if d.month >= 9 else d.year - 1


def next_month_start(d: date) -> date:
    """The first day of the month after `d`'s."""
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def month_end(d: date) -> date:
    """The last day of `d`'s month (defined for every date, December 9999 too)."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


# ---- dates as people type them, and the school year they must fall in

DATE_MESSAGE = "Введите дату в формате ДД.ММ.ГГГГ (например, 17.12.2026)."
MONTH_MESSAGE = "Выберите месяц (ГГГГ-ММ или ММ.ГГГГ)."
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_RU_MONTH = re.compile(r"(\d{1,2})\.(\d{4})")


def parse_date(text: str) -> date:
    """A day written as «17.12.2026» (typed in Russian) or «2026-12-17» (what <input type="date"> sends);
    ValueError for anything else (an impossible day too)."""
    text = (text or "").strip()
    if m := _RU_DATE.fullmatch(text):
        day, month, year = (int(x) for x in m.groups())
    elif m := _ISO_DATE.fullmatch(text):
        year, month, day = (int(x) for x in m.groups())
    else:
        raise ValueError(text)
    return date(year, month, day)  # ValueError for 31.02 or year 0000


def parse_month(text: str) -> date:
    """A month written as «2026-12» (what <input type="month"> sends) or «12.2026», as its first day;
    ValueError for anything else."""
    text = (text or "").strip()
    if m := _ISO_MONTH.fullmatch(text):
        year, month = (int(x) for x in m.groups())
    elif m := _RU_MONTH.fullmatch(text):
        month, year = (int(x) for x in m.groups())
    else:
        raise ValueError(text)
    return date(year, month, 1)


def school_year_bounds(start_year: int) -> tuple[date, date]:
    """The first and the last day of a school year: 1 September – 31 August."""
    return date(start_year, 9, 1), date(start_year + 1, 8, 31)


def outside_school_year(start_year: int) -> str:
    """The message for a date outside its school year: «Дата вне 2026–2027 учебного года»."""
    return f"Дата вне {start_year}–{start_year + 1} учебного года."


def year_limits(start_year: int, month: bool = False) -> dict[str, str]:
    """`min` and `max` of a date (or month) input for the school year: the browser's picker offers no other."""
    first, last = school_year_bounds(start_year)
    if month:
        return {"min": first.strftime("%Y-%m"), "max": last.strftime("%Y-%m")}
    return {"min": first.isoformat(), "max": last.isoformat()}


def in_school_year(d: date, start_year: int) -> bool:
    first, last = school_year_bounds(start_year)
    return first <= d <= last


class OutsideSchoolYear(ValueError):
    """A date outside the school year it belongs to; str() is the Russian message."""


def check_in_school_year(value: PlanDate | date | None, start_year: int) -> None:
    """Raise OutsideSchoolYear unless every day `value` names lies in the school year `start_year`."""
    if value is None:
        return
    days = [value] if isinstance(value, date) else [d for d in (value.start, value.end, value.last_day) if d]
    if any(not in_school_year(d, start_year) for d in days):
        raise OutsideSchoolYear(outside_school_year(start_year))


def month_number(d: date) -> int:
    """year * 12 + month: months compare and count as integers."""
    return d.year * 12 + d.month


def add_years(d: date | None, years: int) -> date | None:
    if d is None:
        return None
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True)
class PlanDate:
    """A date as the plan writes it."""

    kind: str = TBD
    start: date | None = None  #: first day (of the month for month/span)
    end: date | None = None  #: first day of the last month of a span
    at: time | None = None  #: time of day for DATETIME

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The date as the plan writes it, in Russian."""
        if self.kind == YEAR:
            return "в течение года"
        if self.kind == TBD or self.start is None:
            return "дата уточняется"
        if self.kind == MONTH:
            return month_name(self.start)
        if self.kind == SPAN and self.end:
            return f"{month_name(self.start)} – {month_name(self.end)}"
        if self.kind == DATETIME and self.at:
            return f"{long_date(self.start)}, {self.at.strftime('%H:%M')}"
        return long_date(self.start)

    def capitalized(self) -> str:
        t = self.text()
        return t[:1].upper() + t[1:]

    @property
    def is_exact(self) -> bool:
        """True when a day is known."""
        return self.kind in (DAY, DATETIME) and self.start is not None

    @property
    def last_day(self) -> date | None:
        """The last day the date can mean: the day itself or the end of its last month."""
        if self.start is None:
            return None
        if self.is_exact:
            return self.start
        last = self.end or self.start
        if self.kind == YEAR and self.end is None:
            if self.start.year == date.max.year:
                return date.max  # a stored start in September 9999: the year's May does not exist
            last = date(self.start.year + 1, 5, 1)
        return month_end(last)

    def shifted(self, years: int) -> PlanDate:
        """The same date moved on by whole years (a plan copied to a later year)."""
        return replace(self, start=add_years(self.start, years), end=add_years(self.end, years))

    @classmethod
    def whole_year(cls, start_year: int) -> PlanDate:
        return cls(YEAR, date(start_year, 9, 1), date(start_year + 1, 5, 1))

    @classmethod
    def month(cls, year: int, month: int) -> PlanDate:
        return cls(MONTH, date(year, month, 1))

    @classmethod
    def span(cls, y1: int, m1: int, y2: int, m2: int) -> PlanDate:
        return cls(SPAN, date(y1, m1, 1), date(y2, m2, 1))


def date_moved(planned: PlanDate, actual: PlanDate) -> bool:
    """True when an event's date differs from the one in the plan. A time of day added to the planned day is not a
    move (the plan keeps no time); an event planned without a date (TBD) has not moved."""
    if planned.kind == TBD:
        return False

    def day(d: PlanDate) -> tuple:
        return (DAY if d.kind == DATETIME else d.kind, d.start, d.end)

    return day(planned) != day(actual)


class HasPlanDate:
    """Mixin for models that store a PlanDate in date_kind/date_start/date_end/date_time columns."""

    @property
    def plan_date(self) -> PlanDate:
        return PlanDate(self.date_kind, self.date_start, self.date_end, getattr(self, "date_time", None))

    @plan_date.setter
    def plan_date(self, value: PlanDate) -> None:
        self.date_kind = value.kind
        self.date_start = value.start
        self.date_end = value.end
        if hasattr(type(self), "date_time"):
            self.date_time = value.at
