"""Events in a real browser: sign up and cancel in place, filters with history, attendance marks."""

import re

from playwright.sync_api import expect

TITLE = "Современная детская и юношеская литература"


def _mark_page(page):
    """Put a marker on the window: it survives htmx swaps and disappears on a page load."""
    page.evaluate("() => { window.__noReload = 'yes'; }")


def _not_reloaded(page):
    assert page.evaluate("() => window.__noReload") == "yes"


def test_librarian_signs_up_and_cancels_in_place(page, base_url, login, console_errors):
    login("zhukova", "demo")
    page.goto(f"{base_url}/events")
    row = page.locator("tr.event-row", has_text=TITLE)
    seats = row.locator("[data-seats]")
    expect(seats).to_contain_text("осталось 18 мест из 20")
    _mark_page(page)

    row.get_by_role("button", name="Записаться").click()
    expect(row).to_contain_text("Вы записаны")
    expect(seats).to_contain_text("осталось 17 мест из 20")
    expect(row.get_by_role("button", name="Отменить запись")).to_be_visible()
    _not_reloaded(page)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Отменить запись").click()
    expect(row.get_by_role("button", name="Записаться")).to_be_visible()
    expect(seats).to_contain_text("осталось 18 мест из 20")
    _not_reloaded(page)
    assert console_errors == []


def test_full_event_offers_the_waiting_list(page, base_url, login, console_errors):
    login("kulkova", "demo")
    page.goto(f"{base_url}/events")
    row = page.locator("tr.event-row", has_text="Модернизация библиотечного пространства")
    expect(row.locator("[data-seats]")).to_contain_text("Мест нет (")
    _mark_page(page)
    row.get_by_role("button", name="Встать в лист ожидания").click()
    expect(row).to_contain_text("вы 3-я в очереди")
    _not_reloaded(page)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Выйти из очереди").click()
    expect(row.get_by_role("button", name="Встать в лист ожидания")).to_be_visible()
    assert console_errors == []


def test_filter_then_back_restores_the_list(page, base_url, login, console_errors):
    login("golubeva", "demo")
    page.goto(f"{base_url}/events")
    expect(page.locator("#event-list")).to_contain_text(TITLE)
    _mark_page(page)
    page.select_option("select[name=kind]", "meeting")
    expect(page).to_have_url(re.compile(r"kind=meeting"))
    expect(page.locator("#event-list")).not_to_contain_text(TITLE)
    expect(page.locator("#event-list")).to_contain_text("Итоги года")
    _not_reloaded(page)

    page.check("input[name=mine]")
    expect(page).to_have_url(re.compile(r"kind=meeting.*mine=1"))

    page.go_back()
    expect(page).to_have_url(re.compile(r"kind=meeting(?!.*mine)"))
    expect(page.locator("#event-list")).to_contain_text("Итоги года")
    page.go_back()
    expect(page).to_have_url(f"{base_url}/events")
    expect(page.locator("#event-list")).to_contain_text(TITLE)
    expect(page.locator("select[name=kind]")).to_have_value("")
    assert console_errors == []


def test_methodologist_marks_attendance(page, base_url, login, console_errors):
    login("metodist", "metodist")
    page.goto(f"{base_url}/events")
    page.get_by_role("link", name="Сотрудничество районных библиотек и ОУ").click()
    page.get_by_role("link", name="Участники и посещаемость").click()
    expect(page.locator("h1")).to_have_text("Участники")
    _mark_page(page)
    row = page.locator("tr.participant").first
    absent = row.get_by_role("button", name="отсутствовал(а)")
    row_id = row.get_attribute("id")
    page.locator(f"#{row_id}").get_by_role("button", name="отсутствовал(а)").click()
    fresh = page.locator(f"#{row_id}")
    expect(fresh.get_by_role("button", name="отсутствовал(а)")).to_have_attribute("aria-pressed", "true")
    expect(fresh.get_by_role("button", name="присутствовал(а)")).to_have_attribute("aria-pressed", "false")
    page.locator(f"#{row_id}").get_by_role("button", name="присутствовал(а)").click()
    expect(page.locator(f"#{row_id}").get_by_role("button", name="присутствовал(а)")).to_have_attribute(
        "aria-pressed", "true")
    _not_reloaded(page)
    assert absent is not None
    assert console_errors == []
