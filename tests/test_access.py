"""Role enforcement over every route of the app, taken from app.url_map."""

import re

import pytest

from mo_app.web import methodologist_required

# Endpoints that anyone may reach without logging in (/setup: on an empty database only, 404 after; the password
# reset and the unsubscribe link: for someone logged out, a signed token the proof).
PUBLIC = {"static", "auth.login", "auth.logout", "main.healthz", "events.calendar_feed", "setup.setup", "verify.show",
          "auth.forgot_password", "auth.reset_password", "mail.unsubscribe"}


def _url(rule) -> str:
    """A URL for a rule, with 1 for every integer and a dummy for every string argument."""
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m[1] == "int" else "x", rule.rule)


def methodologist_rules(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "__mo_role__", None) == ("methodologist",):
            yield rule


def test_methodologist_views_are_marked(app):
    """The decorator marks its views, so the walk below can find them all."""
    assert methodologist_required(lambda: None).__mo_role__ == ("methodologist",)


def test_every_methodologist_endpoint_refuses_librarians_and_anonymous(app, client, f, login_as):
    rules = list(methodologist_rules(app))
    anon = app.test_client()
    login_as(f.librarian())
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _url(rule)
            r = anon.open(url, method=method)
            assert r.status_code == 302 and "/login" in r.headers["Location"], (rule.rule, method, r.status_code)
            r = client.open(url, method=method)
            assert r.status_code == 403, (rule.rule, method, r.status_code)
            assert "Доступ запрещён" in r.get_data(as_text=True)


def test_every_non_public_endpoint_needs_login(app):
    anon = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = anon.open(_url(rule), method=method)
            assert r.status_code in (302, 401), (rule.rule, method, r.status_code)


@pytest.mark.parametrize("hx", [False, True])
def test_403_page_is_russian_and_fragment_sized_for_htmx(app, client, f, login_as, hx):
    rules = list(methodologist_rules(app))
    if not rules:
        pytest.fail("no methodologist-only endpoint to check")
    login_as(f.librarian())
    r = client.get(_url(rules[0]), headers={"HX-Request": "true"} if hx else {})
    text = r.get_data(as_text=True)
    assert r.status_code == 403 and "Доступ запрещён" in text
    assert ("<html" in text) is (not hx)


def test_404_page_is_russian(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "Страница не найдена" in r.get_data(as_text=True)


def test_pages_vary_on_hx_request(client, f, login_as):
    login_as(f.librarian())
    assert "HX-Request" in client.get("/").headers.get("Vary", "")
