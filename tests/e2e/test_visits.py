"""In Chromium: the methodologist fills a report (autosave), reloads, finalises; the school's librarian
acknowledges it."""

import re

from playwright.sync_api import expect

from mo_app.extensions import db
from mo_app.models import Organization, Visit, VisitReport


def _visit_470_id(live_app) -> int:
    """The demo's held visit to school №470 (its report is a draft in the demo)."""
    with live_app.app_context():
        visit = db.session.scalar(
            db.select(Visit).join(VisitReport).join(Organization, Visit.organization_id == Organization.id)
            .where(Organization.number == "470")
        )
        return visit.id


def test_report_autosave_finalise_acknowledge(page, base_url, live_app, login, console_errors):
    visit_id = _visit_470_id(live_app)
    login("metodist", "metodist")
    page.goto(f"{base_url}/visits/{visit_id}")
    expect(page.locator("h1")).to_contain_text("ГБОУ №470")

    page.fill("#shortcomings", "Каталог ведётся нерегулярно.")
    page.locator("#shortcomings").press("Tab")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"Сохранено в \d\d:\d\d"))
    page.select_option(f"#{page.locator('.checklist-form select').first.get_attribute('id')}", "remarks")
    expect(page.locator("#report-version")).to_have_value("4")
    page.fill("textarea[name='rec-0-text']", "Пополнить электронный каталог.")
    page.locator("textarea[name='rec-0-text']").press("Tab")
    expect(page.locator("#report-version")).to_have_value("5")
    expect(page.locator("#rec-0-id")).not_to_have_value("")
    page.fill("input[name='rec-0-deadline']", "2027-02-15")  # fires change on a date input
    # Reload only once the last autosave is done (a reload during a save shows the older version).
    expect(page.locator("#report-version")).to_have_value("6")

    page.reload()
    expect(page.locator("#shortcomings")).to_have_value("Каталог ведётся нерегулярно.")
    expect(page.locator("textarea[name='rec-0-text']")).to_have_value("Пополнить электронный каталог.")
    expect(page.locator(".checklist-form select").first).to_have_value("remarks")
    expect(page.locator("input[name='rec-0-deadline']")).to_have_value("2027-02-15")

    page.fill("#conclusion", "Библиотека работает, знания курсов применяются.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#finalise-button")
    expect(page.locator(".report-state")).to_contain_text("Справка завершена")
    expect(page.locator(".report-screen")).to_contain_text("знания курсов применяются")
    expect(page.locator(".report-screen")).to_contain_text("Пополнить электронный каталог.")
    expect(page.locator(".report-screen")).to_contain_text("15 февраля 2027 г.")

    page.click("text=Выйти")
    login("patrakova", "demo")
    page.goto(f"{base_url}/visits/{visit_id}")
    expect(page.locator(".report-screen")).to_contain_text("Каталог ведётся нерегулярно.")
    page.click("#acknowledge-button")
    expect(page.locator(".report-state")).to_contain_text("Ознакомлен(а): Патракова Н.М.")
    assert console_errors == []


def test_other_school_librarian_gets_404(page, base_url, live_app, login):
    visit_id = _visit_470_id(live_app)
    login("zhukova", "demo")
    response = page.goto(f"{base_url}/visits/{visit_id}")
    assert response.status == 404
    expect(page.locator("body")).to_contain_text("Страница не найдена")
