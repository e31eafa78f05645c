"""iCalendar files: one event, and a librarian's personal feed (Europe/Moscow)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, request
from icalendar import Calendar
from icalendar import Event as VEvent

from ..dates import DATETIME, TZ
from ..models import Event
from ..models.base import utcnow
from ..printing import download_headers

MOSCOW = ZoneInfo(TZ)
DEFAULT_LENGTH = timedelta(hours=2)


def event_span(event: Event) -> tuple[date | datetime, date | datetime] | None:
    """Start and end for a calendar: a time with a default length, or whole days (a month-only date spans
    the month, a span of months all of them); None when the date is not known yet."""
    pd = event.plan_date
    if pd.start is None:
        return None
    if pd.kind == DATETIME and pd.at:
        start = datetime.combine(pd.start, pd.at, tzinfo=MOSCOW)
        return start, start + DEFAULT_LENGTH
    if pd.is_exact:
        return pd.start, pd.start + timedelta(days=1)
    return pd.start, pd.last_day + timedelta(days=1)


def _vevent(event: Event, host: str) -> VEvent | None:
    span = event_span(event)
    if span is None:
        return None
    ve = VEvent()
    ve.add("uid", f"event-{event.id}@{host}")
    ve.add("dtstamp", utcnow().replace(tzinfo=ZoneInfo("UTC")))
    ve.add("summary", f"{event.kind_label}: {event.display_title}" if event.title else event.kind_label)
    ve.add("dtstart", span[0])
    ve.add("dtend", span[1])
    if event.venue is not None:
        place = event.venue.name
        if event.venue.address:
            place += ", " + event.venue.address
        ve.add("location", place)
    lines = [f"Дата по плану: {event.plan_date.text()}"]
    if event.description:
        lines.append(event.description)
    ve.add("description", "\n".join(lines))
    ve.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    ve.add("last-modified", (event.updated_at or utcnow()).replace(tzinfo=ZoneInfo("UTC")))
    return ve


def calendar_bytes(events, name: str) -> bytes:
    """An iCalendar document holding `events` (those without a known date are left out)."""
    cal = Calendar()
    cal.add("prodid", "-//МО библиотекарей//mo_app//RU")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZ)
    host = request.host.split(":")[0] if request else "mo_app"
    for event in events:
        ve = _vevent(event, host)
        if ve is not None:
            cal.add_component(ve)
    cal.add_missing_timezones()
    return cal.to_ical()


def ics_response(events, name: str, filename: str | None = None) -> Response:
    """text/calendar response; a download when `filename` is given, else a subscribable feed."""
    headers = download_headers(filename) if filename else {}
    return Response(calendar_bytes(events, name), mimetype="text/calendar", headers=headers)
