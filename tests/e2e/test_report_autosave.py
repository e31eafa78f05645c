"""The справка editor in Chromium (#17 §2): it saves a second after typing stops without leaving the field, says
«Сохраняется…» / «Сохранено в ЧЧ:ММ» / «Не сохранено — нет связи» and retries, and asks before a reload loses
unsaved text."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from mo_app.extensions import db
from mo_app.models import Organization, User, Visit, VisitReport
from mo_app.visits import services

from .test_a11y import tab_to


def _fresh_draft(live_app, number: str | None = None) -> int:
    """A planned demo visit (to school №`number`, or any) marked held: a new draft справка (the demo's own
    draft, №470, belongs to tests/e2e/test_visits.py)."""
    with live_app.app_context():
        query = db.select(Visit).join(Organization, Visit.organization_id == Organization.id)
        if number is not None:
            query = query.where(Organization.number == number)
        visit = db.session.scalar(query.where(Visit.status == "planned").order_by(Visit.id.desc()).limit(1))
        by = db.session.scalar(db.select(User).where(User.login == "metodist"))
        services.mark_held(visit, None, by)
        return visit.id


def _watch_status(page) -> None:
    """Record every text the save status shows (it is swapped out by each reply)."""
    page.evaluate("""() => {
        window.__statuses = [];
        const line = document.querySelector('.save-line');
        new MutationObserver(() => {
            const s = document.getElementById('save-status');
            if (s) { window.__statuses.push(s.textContent.trim()); }
        }).observe(line, {subtree: true, childList: true, characterData: true});
    }""")


def _version(live_app, visit_id: int) -> int:
    with live_app.app_context():
        return db.session.scalar(db.select(VisitReport.version).where(VisitReport.visit_id == visit_id))


def test_typing_saves_itself_and_a_lost_connection_is_retried(page, base_url, live_app, login, console_errors):
    visit_id = _fresh_draft(live_app, "535")
    login("metodist", "metodist")
    page.goto(f"{base_url}/visits/{visit_id}")
    _watch_status(page)
    start = _version(live_app, visit_id)

    # typing only (the field keeps the focus): saved about a second later, once
    page.locator("#strengths").press_sequentially("Фонд расставлен по ББК.")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Сохранено в \d\d:\d\d$"))
    assert page.evaluate("() => document.activeElement.id") == "strengths"
    assert "Сохраняется…" in page.evaluate("() => window.__statuses")
    assert _version(live_app, visit_id) == start + 1
    with live_app.app_context():
        report = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit_id))
        assert report.strengths == "Фонд расставлен по ББК."

    # no connection: the status says so, offers a retry, and the page asks before a reload loses the text
    page.context.set_offline(True)
    page.locator("#shortcomings").press_sequentially("Нет каталога.")
    expect(page.locator("#save-status")).to_contain_text("Не сохранено — нет связи")
    expect(page.locator("#save-status").get_by_role("button", name="Повторить")).to_be_visible()
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.evaluate("() => { window.__stillHere = true; }")
    page.evaluate("() => location.reload()")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.evaluate("() => window.__stillHere") is True

    # back online: the retry (automatic, or the button) saves the text
    page.context.set_offline(False)
    page.locator("#save-status").get_by_role("button", name="Повторить").click()
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Сохранено в \d\d:\d\d$"))
    with live_app.app_context():
        report = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit_id))
        assert report.shortcomings == "Нет каталога."
    page.reload()  # nothing unsaved: no question
    expect(page.locator("#shortcomings")).to_have_value("Нет каталога.")
    offline = ("htmx:sendError", "htmx:afterRequest")  # htmx logs the failed request of the offline minute
    assert [e for e in console_errors if not e.startswith(offline)] == []


def test_remark_fields_are_wide_and_grow(page, base_url, live_app, login):
    visit_id = _fresh_draft(live_app, "653")
    page.set_viewport_size({"width": 1366, "height": 900})
    login("metodist", "metodist")
    page.goto(f"{base_url}/visits/{visit_id}")
    remark = page.locator(".checklist-form textarea").first
    assert remark.bounding_box()["width"] >= 400
    before = remark.bounding_box()["height"]
    remark.fill("Первая строка замечания.\nВторая строка.\nТретья строка.\nЧетвёртая.")
    assert remark.bounding_box()["height"] > before
    select = page.locator(".checklist-form select").first
    assert select.evaluate("s => s.scrollWidth <= s.clientWidth + 1")


def test_counters_follow_a_recommendation_marked_done(page, base_url, login, console_errors):
    """#17 §5: «ждут проверки методиста» follows the row's in-place change (out-of-band swap), no reload."""
    login("aleksandrova", "demo")
    page.goto(f"{base_url}/recommendations")
    counts = page.locator("#rec-counts")
    before = int(re.search(r"ждут проверки методиста (\d+)", counts.inner_text()).group(1))
    page.evaluate("() => { window.__noReload = true; }")
    row = page.locator("tr[id^=rec-]").filter(has=page.locator("summary")).first
    row.locator("summary").click()
    row.locator("textarea[name=comment]").fill("Сделано к сроку.")
    row.get_by_role("button", name="Выполнено").click()
    expect(counts).to_contain_text(f"ждут проверки методиста {before + 1}")
    assert page.evaluate("() => window.__noReload") is True
    assert console_errors == []


def test_report_saved_and_finalised_with_the_keyboard_alone(page, base_url, live_app, login):
    """#17 §3: type, Tab to «Сохранить», Enter; Tab to «Завершить справку», Enter (and confirm)."""
    visit_id = _fresh_draft(live_app)
    login("metodist", "metodist")
    page.goto(f"{base_url}/visits/{visit_id}")
    page.focus("#conclusion")
    page.keyboard.type("Работа библиотеки налажена.")

    tab_to(page, "Сохранить", presses=60)
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Сохранено в \d\d:\d\d$"))
    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, "Завершить справку", presses=60)
    page.keyboard.press("Enter")
    expect(page.locator(".report-state")).to_contain_text("Справка завершена")
    expect(page.locator(".report-screen")).to_contain_text("Работа библиотеки налажена.")
