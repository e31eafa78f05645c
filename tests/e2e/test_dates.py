"""What a browser sends for a date: whatever order its <input type="date"> shows the day in (Debian's headless
Chromium keeps ММ/ДД/ГГГГ whatever the locale; a Russian desktop shows ДД.ММ.ГГГГ), it holds and posts ISO
ГГГГ-ММ-ДД; the picker offers only the school year's days, and a day outside it gets the Russian message beside
the field. Typed Russian text («17.12.2026», from a browser without a date picker or a plain text field) is
checked over HTTP in tests/test_bad_input.py."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from mo_app.dates import school_year_start
from mo_app.extensions import db
from mo_app.models import Event

TITLE = "Проверка даты из браузера"


def test_an_event_day_is_posted_as_iso_and_kept_in_its_school_year(browser, base_url, live_app):
    start = school_year_start(date.today())
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    try:
        page.goto(f"{base_url}/login")
        page.fill("input[name=login]", "metodist")
        page.fill("input[name=password]", "metodist")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        page.goto(f"{base_url}/events/new")
        page.fill("#title", TITLE)
        page.select_option("#date_kind", "day")
        day = page.locator("#day")
        assert day.get_attribute("min") == f"{start}-09-01" and day.get_attribute("max") == f"{start + 1}-08-31"

        # a day of the next school year: refused beside the field
        day.fill(f"{start + 2}-02-17")
        page.get_by_role("button", name="Добавить мероприятие").click()
        expect(page.locator("#day-error")).to_have_text(f"Дата вне {start}–{start + 1} учебного года.")

        day = page.locator("#day")
        day.fill(f"{start + 1}-02-17")
        with page.expect_request(lambda r: r.method == "POST" and "/events/new" in r.url) as sent:
            page.get_by_role("button", name="Добавить мероприятие").click()
        assert f"day={start + 1}-02-17" in sent.value.post_data
        expect(page.locator("h1")).to_contain_text(TITLE)
        expect(page.locator("main")).to_contain_text(f"17 февраля {start + 1} г.")
    finally:
        context.close()
        with live_app.app_context():
            db.session.execute(db.delete(Event).where(Event.title == TITLE))
            db.session.commit()
