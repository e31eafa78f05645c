"""The phone (390 × 844): no page scrolls sideways, the menu hides behind «Меню», «Записаться» is on the first
screen of an event and on the screen in the event list (each event a card); the methodologist's menu fits one line
at 1366 px. Screenshots in tests/e2e/screens/ (see test_a11y)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mo_app.extensions import db
from mo_app.models import VisitReport

from .test_a11y import demo_ids, librarian_pages, methodologist_pages, shoot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def sideways(page, base_url, paths) -> dict[str, int]:
    """The pages (of those given) wider than the phone's screen, with their width."""
    wide = {}
    for path in paths:
        page.goto(f"{base_url}{path}")
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
            shoot(page, f"wide{path.replace('/', '_')}")
    return wide


@pytest.mark.parametrize(("user", "password", "pages"), [
    ("patrakova", "demo", librarian_pages),
    ("metodist", "metodist", methodologist_pages),
])
def test_no_page_scrolls_sideways_on_a_phone(page, base_url, live_app, login, user, password, pages):
    page.set_viewport_size(PHONE)
    login(user, password)
    assert sideways(page, base_url, pages(demo_ids(live_app))) == {}


def test_phone_menu_hides_behind_a_button(page, base_url, login, console_errors):
    page.set_viewport_size(PHONE)
    login("patrakova", "demo")
    menu = page.locator("nav.main-nav")
    button = page.get_by_role("button", name="Меню")
    expect(menu).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    shoot(page, "phone_menu_open")
    menu.get_by_role("link", name="Посещения").click()
    page.wait_for_url(f"{base_url}/visits")
    expect(page.locator("nav.main-nav")).to_be_hidden()
    assert console_errors == []


def test_sign_up_is_on_the_first_screen_of_an_event_page(page, base_url, live_app, login):
    page.set_viewport_size(PHONE)
    login("zhukova", "demo")
    page.goto(f"{base_url}/events/{demo_ids(live_app)['event']}")
    shoot(page, "phone_event_signup")
    box = page.get_by_role("button", name="Записаться").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box


def inner_sideways(page) -> list[str]:
    """Tables, their scroll boxes and the справка on screen whose content is wider than they are: scrolled sideways
    inside."""
    return page.eval_on_selector_all(
        ".table-wrap, table, .report-screen",
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1)"
        ".map(e => `${e.className || e.tagName}: ${e.clientWidth} < ${e.scrollWidth}`)")


def on_screen(box) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_a_librarian_signs_up_from_the_event_list_on_a_phone(page, base_url, login, console_errors):
    """On a phone each event of the list is a card: its «Записаться» is on the screen, not in a table to be
    scrolled sideways; signing up and cancelling work there, and «Мои мероприятия» shows the state on the screen."""
    page.set_viewport_size(PHONE)
    login("efremova", "demo")
    page.goto(f"{base_url}/events")
    assert inner_sideways(page) == []
    row = page.locator("tr.event-row", has_text="Мастер-классы в библиотеке")
    button = row.get_by_role("button", name="Записаться")
    button.scroll_into_view_if_needed()
    assert on_screen(button.bounding_box()), button.bounding_box()
    shoot(page, "phone_event_list")
    button.click()
    expect(row).to_contain_text("Вы записаны")
    cancel = row.get_by_role("button", name="Отменить запись")
    assert on_screen(cancel.bounding_box()), cancel.bounding_box()

    page.goto(f"{base_url}/my/events")
    assert inner_sideways(page) == []
    mine = page.locator("tr[id^=my-]", has_text="Мастер-классы в библиотеке")  # the upcoming one
    state = mine.get_by_text("записаны", exact=True)
    state.scroll_into_view_if_needed()
    assert on_screen(state.bounding_box()), state.bounding_box()
    venue = mine.get_by_text("Библиотека «Лиговская»")
    assert on_screen(venue.bounding_box()), venue.bounding_box()
    shoot(page, "phone_my_events")

    page.goto(f"{base_url}/events")  # leave the seats as the other tests expect them
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Отменить запись").click()
    expect(row.get_by_role("button", name="Записаться")).to_be_visible()
    assert console_errors == []


def test_a_librarians_lists_fit_a_phone(page, base_url, login):
    """Her events, portfolio, sessions, the school's visits and the best-practice register: rows as cards, no
    table to scroll sideways (the plan, the visits planner and the results stay tables: they are read as grids)."""
    page.set_viewport_size(PHONE)
    login("patrakova", "demo")
    wide = {}
    for path in ("/events", "/my/events", "/my/portfolio", "/profile", "/visits/list", "/best-practice",
                 "/recommendations"):
        page.goto(f"{base_url}{path}")
        inside = inner_sideways(page)
        if inside:
            wide[path] = inside
    assert wide == {}
    shoot(page, "phone_best_practice")


def test_a_methodologists_visits_and_recommendations_fit_a_phone(page, base_url, live_app, login):
    """In a school, from a phone: every visit page with its справка (the checklist, recommendations and signatures
    as cards, a long «Ознакомлен(а): …» wrapped), the recommendations and the visits list: nothing wider than the
    screen, nothing to scroll sideways."""
    page.set_viewport_size(PHONE)
    login("metodist", "metodist")
    with live_app.app_context():
        reported = db.session.scalars(db.select(VisitReport.visit_id).order_by(VisitReport.visit_id)).all()
    assert len(reported) > 3
    wide = {}
    for path in [f"/visits/{v}" for v in reported] + ["/recommendations", "/visits/list"]:
        page.goto(f"{base_url}{path}")
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        if width > PHONE["width"] or inner_sideways(page):
            wide[path] = (width, inner_sideways(page))
    assert wide == {}
    shoot(page, "phone_visits_list")


def test_attendance_marks_are_on_the_screen_of_a_phone(page, base_url, live_app, login):
    """At the event, from a phone: each participant a card with the three marks and «Отменить запись» on the screen."""
    page.set_viewport_size(PHONE)
    login("metodist", "metodist")
    page.goto(f"{base_url}/events/{demo_ids(live_app)['event']}/participants")
    assert inner_sideways(page) == []
    rows = page.locator("tr.participant")
    assert rows.count() > 0
    for i in range(rows.count()):
        for name in ("был(а)", "нет", "уваж.", "Отменить запись"):
            box = rows.nth(i).get_by_role("button", name=name).bounding_box()
            assert on_screen(box), (i, name, box)
    shoot(page, "phone_attendance")


def test_methodologist_menu_is_one_line_at_1366(page, base_url, login):
    page.set_viewport_size(DESKTOP)
    login("metodist", "metodist")
    tops = page.eval_on_selector_all("nav.main-nav > ul > li",
                                     "items => items.map(li => li.getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 20, tops  # one line (a dropdown's box sits a few pixels lower)
    admin = page.locator("nav.main-nav").get_by_role("link", name="Организации", exact=True)
    expect(admin).to_be_hidden()
    page.locator("nav.main-nav summary", has_text="Управление").click()
    admin.click()
    page.wait_for_url(f"{base_url}/organizations")
    shoot(page, "desktop_met_menu")


def test_results_table_fits_and_buttons_are_not_stretched_at_1366(page, base_url, login):
    page.set_viewport_size(DESKTOP)
    login("metodist", "metodist")
    page.goto(f"{base_url}/results")
    shoot(page, "desktop_met_results_fit")
    wrap = page.locator(".table-wrap", has=page.locator("table.results-schools"))
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "«По школам» is cut at 1366 px"
    show = page.locator("form.year-select button")
    assert show.bounding_box()["width"] < 200


@pytest.mark.parametrize("path", ["/visits/list", "/recommendations", "/audit/"])
def test_filter_forms_do_not_stretch_their_button_at_1366(page, base_url, login, path):
    page.set_viewport_size(DESKTOP)
    login("metodist", "metodist")
    page.goto(f"{base_url}{path}")
    show = page.locator("form.filters").first.get_by_role("button", name="Показать")
    assert show.bounding_box()["width"] < 200, f"{path}: «Показать» stretched across the page"


def test_attendance_is_one_compact_control_per_person(page, base_url, login):
    login("metodist", "metodist")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base_url}/events")
    page.get_by_role("link", name="Сотрудничество районных библиотек и ОУ").click()
    page.get_by_role("link", name="Участники и посещаемость").click()
    shoot(page, "desktop_met_attendance")
    group = page.locator("tr.participant .mark-group").first
    boxes = [b.bounding_box() for b in group.get_by_role("button").all()]
    assert len(boxes) == 3 and len({round(b["y"]) for b in boxes}) == 1  # side by side, not stacked
    assert group.bounding_box()["width"] < 300  # three wide buttons took ~600 px
    expect(group.get_by_role("button", name="уважительная причина")).to_be_visible()
    # row and inline buttons are as wide as their words (Pico stretches every submit button)
    for name in ("Отменить запись", "Отметить всех присутствующими"):
        button = page.get_by_role("button", name=name).first
        assert button.bounding_box()["width"] < 400, name


def test_report_form_stacks_on_a_phone(page, base_url, live_app, login):
    from .test_report_autosave import _fresh_draft

    visit_id = _fresh_draft(live_app)
    page.set_viewport_size(PHONE)
    login("metodist", "metodist")
    page.goto(f"{base_url}/visits/{visit_id}")
    page.locator(".checklist-form").scroll_into_view_if_needed()
    shoot(page, "phone_report_form")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= PHONE["width"]
    remark = page.locator(".checklist-form textarea").first
    assert remark.bounding_box()["width"] >= 300
