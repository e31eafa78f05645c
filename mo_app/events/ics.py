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
from ..printing import send_download

MOSCOW = ZoneInfo(TZ)
DEFAULT_LENGTH = timedelta(hours=2)


def event_span(event: Event) -> tuple[date | datetime, date | datetime | None] | None:
    """Start and (exclusive) end for a calendar: a time with a default length, or the whole day; None until the
    event has a day (a month, a span of months or «в течение года» would show as a block weeks or months long,
    so such events stay out of calendars until the day is set). The end is None where it would fall past the
    last day a date can hold (31.12.9999): a calendar reads a start without an end as one day (RFC 5545,
    3.6.1)."""
    pd = event.plan_date
    if not pd.is_exact:
        return None
    if pd.kind == DATETIME and pd.at:
        start = datetime.combine(pd.start, pd.at, tzinfo=MOSCOW)
        return start, _later(start, DEFAULT_LENGTH)
    return pd.start, _later(pd.start, timedelta(days=1))


def _later(moment, step: timedelta):
    """`moment + step`, or None past the end of the calendar."""
    try:
        return moment + step
    except OverflowError:
        return None


def _vevent(event: Event, host: str) -> VEvent | None:
    span = event_span(event)
    if span is None:
        return None
    ve = VEvent()
    ve.add("uid", f"event-{event.id}@{host}")
    ve.add("dtstamp", utcnow().replace(tzinfo=ZoneInfo("UTC")))
    ve.add("summary", f"{event.kind_label}: {event.display_title}" if event.title else event.kind_label)
    ve.add("dtstart", span[0])
    if span[1] is not None:
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
    """An iCalendar document holding `events` (those without a day yet are left out: see event_span)."""
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
    data = calendar_bytes(events, name)
    if filename:
        return send_download(data, filename, "text/calendar")
    return Response(data, mimetype="text/calendar")
