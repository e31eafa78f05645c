"""htmx works in real Chromium under the strict Content-Security-Policy, with no violation reported.

The htmx interaction is the audit log's filter (a `change` on a select swaps the results and pushes the
URL). Once the organizations page uses htmx, the same checks can run there."""

from __future__ import annotations

import re

from playwright.sync_api import expect

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def csp_violations(page) -> list[str]:
    return page.evaluate("() => window.__csp || []")


def test_browser_enforces_the_policy(page, base_url):
    """Control: an inline script is blocked and reported, so 'no violation' below means something."""
    page.add_init_script(WATCH_CSP)
    response = page.goto(f"{base_url}/login")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.__inlineRan = true";
        document.body.appendChild(s);
    }""")
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("() => window.__inlineRan === undefined")
    assert any("script-src" in v for v in csp_violations(page))


def test_htmx_filter_works_under_csp(page, base_url, login, console_errors):
    page.add_init_script(WATCH_CSP)
    login("metodist", "metodist")
    response = page.goto(f"{base_url}/audit/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("h1")).to_have_text("Журнал изменений")
    expect(page.locator("#audit-table tbody tr").first).to_be_visible()
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("() => { window.__samePage = true; }")

    with page.expect_request(lambda r: "entity=Organization" in r.url and r.headers.get("hx-request") == "true"):
        page.select_option("select[name=entity]", "Organization")
    expect(page).to_have_url(re.compile(r"/audit/\?entity=Organization(&|$)"))
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_have_attribute("data-entity", "Organization")
    entities = set(rows.evaluate_all("rows => rows.map(r => r.dataset.entity)"))
    assert entities == {"Organization"}
    assert page.evaluate("() => window.__samePage === true"), "the page was reloaded instead of swapped"

    # A refused filter comes back as 422 and is swapped in (htmx-config in <head> under the CSP).
    page.fill("input[name=id]", "abc")
    page.press("input[name=id]", "Enter")
    expect(page.locator("#audit-errors")).to_contain_text("Номер записи — целое число.")
    assert page.evaluate("() => window.__samePage === true")

    # The indicator is styled by our CSS file, not by htmx's injected inline style.
    assert page.locator("style").count() == 0
    assert csp_violations(page) == []
    assert console_errors == []
