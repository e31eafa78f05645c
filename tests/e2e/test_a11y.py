"""Accessibility checked by a machine: axe-core (tests/e2e/vendor/axe.min.js, MPL-2.0) on the main pages of
both roles, at desktop (1366) and phone (390) width: no WCAG 2.0/2.1 A or AA violation. Screenshots of each
page go to tests/e2e/screens/ (ignored by git) for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from mo_app.extensions import db
from mo_app.models import Event, Organization, Visit, VisitReport

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENS = Path(__file__).parent / "screens"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}

TITLE = "Современная детская и юношеская литература"


def demo_ids(live_app) -> dict:
    """Ids the pages need: an open event and the held visit to school №470 with its report."""
    with live_app.app_context():
        event = db.session.scalar(  # the current year's copy (the archive's is older)
            db.select(Event).where(Event.title.startswith(TITLE)).order_by(Event.id.desc()).limit(1)
        )
        visit = db.session.scalar(
            db.select(Visit).join(VisitReport).join(Organization, Visit.organization_id == Organization.id)
            .where(Organization.number == "470")
        )
        return {"event": event.id, "visit": visit.id}


def librarian_pages(ids) -> list[str]:
    return ["/", "/plan", "/events", f"/events/{ids['event']}", "/my/events", "/my/portfolio", "/consultations",
            "/visits", "/visits/list", f"/visits/{ids['visit']}", "/recommendations", "/best-practice", "/profile",
            "/profile/notifications", f"/events/{ids['event']}/materials"]


def methodologist_pages(ids) -> list[str]:
    return ["/", "/plan", "/plan/edit", "/events", f"/events/{ids['event']}",
            f"/events/{ids['event']}/participants", "/events/new", "/consultations", "/visits", "/visits/list",
            "/audit/",
            f"/visits/{ids['visit']}", "/visits/new", "/recommendations", "/best-practice", "/results",
            "/organizations", "/users", "/settings", "/mail", "/feedback", f"/events/{ids['event']}/certificates"]


def axe_violations(page) -> list[str]:
    """axe's WCAG A/AA violations on the loaded page, one readable line per rule and node."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async (rules) => (await axe.run(document, {runOnly: rules})).violations", RULES
    )
    return [f"{v['id']}: {n['target']} {n.get('failureSummary', '')[:160]!r}"
            for v in violations for n in v["nodes"]]


def tab_to(page, name: str, presses: int = 80) -> None:
    """Press Tab until the focused element reads `name` (a keyboard-only user reaching a button)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"«{name}» not reachable with Tab")


def shoot(page, name: str) -> None:
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=False)


def check_pages(page, base_url, paths, label) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        response = page.goto(f"{base_url}{path}")
        assert response.ok, (path, response.status)
        shoot(page, f"{label}{path.replace('/', '_') or '_home'}")
        problems = axe_violations(page)
        if problems:
            found[path] = problems
    return found


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{path}: {line}" for path, lines in found.items() for line in lines)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe is injected as a file by Playwright; bypass_csp lets it evaluate under the strict CSP (tests only).
    return {**browser_context_args, "bypass_csp": True}


@pytest.mark.parametrize("width", WIDTHS)
def test_login_page_has_no_violations(page, base_url, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto(f"{base_url}/login")
    shoot(page, f"{width}_login")
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("user", "password", "pages", "tag"), [
    ("patrakova", "demo", librarian_pages, "lib"),
    ("metodist", "metodist", methodologist_pages, "met"),
])
def test_pages_have_no_violations(page, base_url, live_app, login, width, user, password, pages, tag):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    login(user, password)
    found = check_pages(page, base_url, pages(demo_ids(live_app)), f"{width}_{tag}")
    assert not found, report(found)


def test_login_fields_are_not_marked_invalid(page, base_url):
    page.goto(f"{base_url}/login")
    for name in ("login", "password"):
        field = page.locator(f"input[name={name}]")
        assert field.get_attribute("aria-invalid") is None
        assert field.get_attribute("aria-describedby") is None


def test_sign_up_and_cancel_with_the_keyboard_alone(page, base_url, live_app, login):
    """Tab to «Записаться» on the event page, press Enter; then the same for «Отменить запись»."""
    event_id = demo_ids(live_app)["event"]
    login("zhukova", "demo")
    page.goto(f"{base_url}/events/{event_id}")

    tab_to(page, "Записаться")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Вы записаны")
    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, "Отменить запись")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Записаться")).to_be_visible()
