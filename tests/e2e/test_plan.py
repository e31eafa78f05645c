"""In Chromium: the methodologist creates next year from the current one and finds it in the year selector;
the selector changes the year without a button (plan.js); no console or CSP errors."""

from datetime import date

import pytest
from playwright.sync_api import expect

from mo_app.dates import school_year_start
from mo_app.extensions import db
from mo_app.models import BestPractice, ChecklistItem, Event, Goal, SchoolYear, VisitPurpose, VisitTarget


@pytest.fixture
def restore_current_year(live_app):
    """The live app is shared by all browser tests: remove the year this test creates, current year as before."""
    start = school_year_start(date.today())
    yield
    with live_app.app_context():
        new = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == start + 1))
        if new is not None:
            purposes = db.select(VisitPurpose.id).where(VisitPurpose.year_id == new.id)
            db.session.execute(db.delete(VisitTarget).where(VisitTarget.purpose_id.in_(purposes)))
            for model in (BestPractice, Event, VisitPurpose, ChecklistItem, Goal):
                db.session.execute(db.delete(model).where(model.year_id == new.id))
            db.session.execute(db.delete(SchoolYear).where(SchoolYear.id == new.id))
        db.session.execute(db.update(SchoolYear).values(is_current=SchoolYear.start_year == start))
        db.session.commit()


def test_new_year_from_the_current_one(page, base_url, login, console_errors, restore_current_year):
    start = school_year_start(date.today())
    nxt = start + 1
    login("metodist", "metodist")
    page.click("nav.main-nav >> text=План")
    expect(page.locator("h1")).to_have_text(f"План работы на {start}–{start + 1} учебный год")
    expect(page.locator("#plan-document")).to_contain_text("Курсы в АППО (для начинающих)")

    page.click("text=Новый год по этому плану")
    expect(page.locator("h1")).to_contain_text(f"Новый год по плану {start}–{start + 1}")
    expect(page.locator("table.preview-events")).to_contain_text(f"сентябрь {nxt}")
    page.click(f"button:has-text('Создать план на {nxt}–{nxt + 1} учебный год')")

    expect(page).to_have_url(f"{base_url}/plan?year={nxt}")
    expect(page.locator("#flashes")).to_contain_text(f"План на {nxt}–{nxt + 1} учебный год создан и стал текущим.")
    selector = page.locator("#year-select")
    expect(selector).to_have_value(str(nxt))
    expect(selector.locator("option:checked")).to_have_text(f"{nxt}–{nxt + 1} (текущий)")
    expect(page.locator("#plan-document")).to_contain_text(f"Сентябрь {nxt}")

    # choosing the archive in the selector shows it at once (no button press)
    selector.select_option("2015")
    expect(page).to_have_url(f"{base_url}/plan?year=2015")
    expect(page.locator("#plan-document")).to_contain_text("Сентябрь 2015")
    assert console_errors == []
