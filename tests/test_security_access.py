"""The access matrix walked with real objects of two schools; CSRF on every state-changing endpoint."""

from __future__ import annotations

import re

import pytest

from .access_matrix import LOGIN, PRIVATE_A, ROLES, ROWS, build_world, routed_keys, rows_by_key, visitor
from .conftest import htmx
from .security_helpers import readable_text

SAFE = {"GET", "HEAD", "OPTIONS"}


def _params():
    for row in ROWS:
        if row.isolate:
            for role in ROLES:
                yield pytest.param(row, (role,), id=f"{row}-{role}")
        else:
            yield pytest.param(row, ROLES, id=str(row))


def _matches(expected, status: int) -> bool:
    if expected == LOGIN:
        return status == 302
    if isinstance(expected, tuple):
        return status in expected
    return status == expected


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\shx-on[:-]|javascript:", re.I)


def _check_html(text: str, where: str) -> None:
    """Pages obey the CSP: no inline script or style, no hx-on handlers."""
    assert not INLINE_SCRIPT.search(text), f"inline <script> in {where}"
    assert not INLINE_STYLE.search(text), f"inline style or handler in {where}: {INLINE_STYLE.search(text)[0]}"


def test_every_route_has_a_row_and_every_row_a_route(app):
    routed = routed_keys(app)
    declared = set(rows_by_key())
    missing = sorted(routed - declared)
    stale = sorted(declared - routed)
    assert not missing, f"endpoints without a row in tests/access_matrix.py: {missing}"
    assert not stale, f"rows for endpoints that do not exist: {stale}"


@pytest.mark.parametrize(("row", "roles"), list(_params()))
def test_access_matrix(app, f, row, roles):
    w = build_world(f)
    url = row.build_url(w)
    for role in roles:
        who = visitor(app, w, role)
        data = row.data(w) if row.data else None
        headers = htmx() if row.htmx else {}
        r = who.client.open(url, method=row.method, data=data, headers=headers)
        expected = row.expected(role)
        where = f"{row} {url} as {role}"
        assert r.status_code < 500, f"{where}: {r.status_code}"
        assert _matches(expected, r.status_code), f"{where}: expected {expected}, got {r.status_code}"
        if expected == LOGIN:
            assert r.headers["Location"].startswith("/login"), where
            again = row.data(w) if row.data else None  # (a fresh dict: file streams are read once)
            r2 = visitor(app, w, role).client.open(url, method=row.method, data=again, headers=htmx())
            assert r2.status_code == 401 and r2.headers["HX-Redirect"].startswith("/login"), where
        body = r.get_data(as_text=True) if r.mimetype.startswith("text/") else r.get_data().decode("latin-1")
        if role in ("anonymous", "deactivated", "librarian_b"):
            # downloads are read as their reader would read them: PDF text, spreadsheet cells, Word text
            assert PRIVATE_A not in readable_text(r), f"{where}: school A's private data leaked"
        if r.mimetype == "text/html" and r.status_code in (200, 403, 404, 422):
            _check_html(body, where)
        r.close()


def _dummy_url(rule, number: str = "999999") -> str:
    """A URL for a rule, with ids that exist nowhere."""
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
        lambda m: number if m[1] == "int" else "no-such-thing",
        rule.rule,
    )


def _state_changing(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - SAFE):
            yield rule, method


def test_there_are_state_changing_endpoints_to_walk(app):
    assert len(list(_state_changing(app))) >= 3


#: endpoints a request from outside the app must reach without a CSRF token, each because a signed secret in its URL
#: proves the request: a mail client's one-click unsubscribe (RFC 8058) posts no form token
CSRF_EXEMPT = {("mail.unsubscribe", "POST")}


def test_csrf_exempt_endpoints_refuse_a_forged_secret(app, f):
    build_world(f)
    for endpoint, method in CSRF_EXEMPT:
        assert (endpoint, method) in set(_keys(app))
    client = app.test_client()
    r = client.open("/unsubscribe/WzEsInJlbWluZGVyIl0.forged", method="POST", data={}, csrf=False)
    assert r.status_code == 404 and "недействительна" in r.get_data(as_text=True)


def _keys(app):
    return [(rule.endpoint, method) for rule, method in _state_changing(app)]


def test_every_state_changing_endpoint_refuses_a_request_without_csrf_token(app, f):
    w = build_world(f)
    by_key = rows_by_key()
    for role in ("anonymous", "librarian_a", "methodologist"):
        who = visitor(app, w, role)
        for rule, method in _state_changing(app):
            if (rule.endpoint, method) in CSRF_EXEMPT:
                continue
            rows = by_key.get((rule.endpoint, method))
            url = rows[0].build_url(w) if rows else _dummy_url(rule)
            def data(rows=rows):  # a fresh dict for every request: file streams are read once
                return rows[0].data(w) if rows and rows[0].data else {"x": "1"}

            for headers in ({}, htmx(), {"X-CSRFToken": "forged-token"}):
                r = who.client.open(url, method=method, data=data(), headers=headers, csrf=False)
                where = f"{rule.endpoint} {method} {url} as {role} {headers}"
                assert r.status_code == 400, f"{where}: {r.status_code}"
                assert "Обновите страницу" in r.get_data(as_text=True), where
            # a token of another session is refused too
            stranger = app.test_client()
            token = stranger.csrf_token()
            r = who.client.open(url, method=method, data={**data(), "csrf_token": token}, csrf=False)
            assert r.status_code == 400, f"{rule.endpoint} {method}: a token of another session was accepted"


def _serves(app, endpoint: str, role: str) -> bool:
    """Whether the view's role check (`role_required`) lets this role in at all."""
    roles = getattr(app.view_functions[endpoint], "__mo_role__", None)
    return roles is None or role in roles


@pytest.mark.parametrize("number", ["999999", "2147483648", "99999999999999999999999"],
                         ids=["unknown", "over-int4", "over-int8"])
@pytest.mark.parametrize("role", ["methodologist", "librarian_a"])
def test_unknown_ids_give_404_not_500(app, f, role, number):
    """Ids that exist nowhere (also too large for the database's integers): 404 for every role the endpoint
    serves; a role it never serves is refused with 403 by the role check, before any lookup (reveals nothing)."""
    w = build_world(f)
    who = visitor(app, w, role)
    checked = refused = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments:
            continue
        expected = 404 if _serves(app, rule.endpoint, w.user(role).role) else 403
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _dummy_url(rule, number)
            r = who.client.open(url, method=method, data={})
            assert r.status_code == expected, f"{rule.endpoint} {method} {url}: {r.status_code}, not {expected}"
            r.close()
            checked += 1
            refused += expected == 403
    assert checked > refused > 0


def test_the_private_marker_is_really_in_the_data(app, f):
    """The leak check above means something: school A's private text is there for those allowed to see it."""
    w = build_world(f)
    r = visitor(app, w, "methodologist").client.get(w.url("audit.index", entity="VisitReport"))
    assert PRIVATE_A in r.get_data(as_text=True)


def test_the_private_marker_is_found_in_downloads_too(app, f):
    """The leak check reads PDFs and spreadsheets as text: school A's report PDF holds the marker for those
    allowed to read it, and librarian B's own-school PDF does not."""
    w = build_world(f)
    r = visitor(app, w, "librarian_a").client.get(w.url("visits.report_pdf", visit_id=w.visit_a.id))
    assert r.mimetype == "application/pdf" and PRIVATE_A in readable_text(r)
    r = visitor(app, w, "librarian_b").client.get(w.url("visits.reports_pdf", school=w.school_a.id))
    text = readable_text(r)
    assert r.status_code == 200 and "школы Б" in text and PRIVATE_A not in text
