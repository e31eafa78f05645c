"""Hostile input to every form: random and oversized text (Unicode, control characters, 1 MB strings), impossible
dates, wrong types, missing and repeated fields, JSON and broken bodies.

For every example: never a 5xx; a refused request gets a 4xx with a Russian message and leaves the database
exactly as it was. Every form endpoint of the app must be listed in `FORMS` (or in `NO_FORM` when it takes
no input): a new form without a fuzz target fails `test_every_form_endpoint_is_fuzzed`.

To add a form: `FormTarget(endpoint, role, fields={name: kind}, url=lambda w: ...)`, kinds: text, password,
bool, int, date, time, choice. The url builder and the role come from the access matrix's `World`.
`FUZZ_EXAMPLES=500 pytest tests/test_security_fuzz.py` searches harder than the quick default.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .access_matrix import World, build_world, routed_keys, visitor
from .conftest import htmx
from .security_helpers import db_fingerprint

MB = 1024 * 1024
HOSTILE = [
    "",
    " ",
    "\t\r\n",
    "x" * MB,
    "я" * (MB // 2),
    "💥" * 50_000,
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.example","нажми")',
    "+7(900)",
    "-1+1",
    "@SUM(A1:A9)",
    "\u202eевил",
    "\x01\x02\x1b[31m\x7f",
    "\ufeff",
    "‮‭",
    "../../etc/passwd",
    "'; DROP TABLE user; --",
    "%00",
    "\x00",
    "2026-02-30",
    "2026-13-01",
    "31.02.2026",
    "0000-00-00",
    "99999-01-01",
    "25:61",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "None",
    "null",
    "true",
    "[]",
    "{}",
]
KIND_VALUES = {
    "int": st.one_of(st.integers(-(2**70), 2**70).map(str), st.sampled_from(["1.5", "abc", "٣", "１２"])),
    "date": st.one_of(st.dates().map(str), st.sampled_from(["2026-11-31", "26.11.2026", "завтра"])),
    "time": st.sampled_from(["10:00", "24:00", "9:5", "10:00:00", "полдень"]),
    "bool": st.sampled_from(["y", "n", "on", "", "1", "0", "да"]),
    "choice": st.sampled_from(["", "x", "1", "-1", "methodologist", "librarian"]),
}
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


def value_for(kind: str):
    extra = KIND_VALUES.get(kind)
    options = [st.sampled_from(HOSTILE), TEXT] + ([extra] if extra is not None else [])
    return st.one_of(*options)


@dataclass(frozen=True)
class FormTarget:
    """A form endpoint to fuzz: who sends it and what fields it has."""

    endpoint: str
    role: str  #: a role of the access matrix: anonymous, librarian_a, librarian_b, methodologist
    fields: dict[str, str]
    method: str = "POST"
    url: Callable[[World], str] | None = None
    examples: int = 25

    def __str__(self) -> str:
        return f"{self.endpoint}:{self.method}"


FORMS: list[FormTarget] = [
    FormTarget("auth.login", "anonymous", {"login": "text", "password": "password", "remember": "bool"}),
    FormTarget("auth.change_password", "librarian_a",
               {"current": "password", "new": "password", "confirm": "password"}),
    FormTarget("audit.index", "methodologist", method="GET",
               fields={"entity": "choice", "id": "int", "user": "int", "action": "choice", "from": "date",
                       "to": "date", "page": "int", "per_page": "int"}),
]
#: state-changing endpoints that take no input but the CSRF token
NO_FORM = {("auth.logout", "POST")}

CYRILLIC = re.compile(r"[А-Яа-яЁё]{4,}")


def payloads(target: FormTarget):
    """A submission: form fields (some missing, some repeated, files), or a JSON or broken body."""
    field_values = st.one_of(value_for("text"), st.lists(value_for("text"), min_size=2, max_size=3))
    form = st.fixed_dictionaries(
        {}, optional={name: st.one_of(value_for(kind), field_values) for name, kind in target.fields.items()}
    )
    body = st.sampled_from(["form", "form", "form", "multipart", "json", "bad-bytes"])
    return st.tuples(form, body, st.booleans())


def send(client, target: FormTarget, url: str, form: dict, body: str, as_htmx: bool):
    headers = htmx() if as_htmx else {}
    if target.method == "GET":
        return client.get(url, query_string=form, headers=headers)
    if body == "json":
        return client.post(url, data=json.dumps(form), content_type="application/json", headers=headers)
    if body == "bad-bytes":
        raw = b"&".join(k.encode() + b"=%FF%FE" + b"\xff\xc3(" for k in form) or b"\xff\xfe"
        return client.post(url, data=raw, content_type="application/x-www-form-urlencoded", headers=headers)
    if body == "multipart":
        # (werkzeug's test client spools bodies over 500 KB to a temp file it never closes: keep them smaller)
        data = {k: (v[:100_000] if isinstance(v, str) else [x[:100_000] for x in v]) for k, v in form.items()}
        data["upload"] = (io.BytesIO(b"\x00\xff" * 1000), "../../evil.exe")
        return client.post(url, data=data, content_type="multipart/form-data", headers=headers)
    return client.post(url, data=form, headers=headers)


def test_every_form_endpoint_is_fuzzed(app):
    state_changing = {k for k in routed_keys(app) if k[1] not in ("GET", "HEAD", "OPTIONS")}
    fuzzed = {(t.endpoint, t.method) for t in FORMS}
    missing = sorted(state_changing - fuzzed - NO_FORM)
    assert not missing, f"form endpoints without a FormTarget in tests/test_security_fuzz.py: {missing}"
    assert not (fuzzed | NO_FORM) - routed_keys(app), "fuzz targets for endpoints that do not exist"


@pytest.mark.parametrize("target", FORMS, ids=str)
def test_hostile_input_never_breaks_a_form(app, f, target):
    w = build_world(f)
    url = target.url(w) if target.url else w.url(target.endpoint)
    seen: dict[int, int] = {}

    @settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", target.examples)), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(payloads(target))
    def check(payload):
        form, body, as_htmx = payload
        before = db_fingerprint()
        client = visitor(app, w, target.role).client
        r = send(client, target, url, form, body, as_htmx)
        text = r.get_data(as_text=True)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        shown = {k: (v[:40] if isinstance(v, str) else v) for k, v in form.items()}
        where = f"{target} {body} htmx={as_htmx} {shown}"
        assert r.status_code < 500, f"{where}: {r.status_code}"
        if r.status_code >= 400:
            assert CYRILLIC.search(text), f"{where}: {r.status_code} without a message"
            assert db_fingerprint() == before, f"{where}: a refused request changed the database"
            if r.status_code == 422 and target.method == "POST":
                assert "field-error" in text, f"{where}: 422 without a message next to a field"
        for value in form.values():
            for v in value if isinstance(value, list) else [value]:
                if "<script>" in v or "onerror=" in v:
                    assert v not in text, f"{where}: input echoed unescaped"

    check()
    assert any(code >= 400 for code in seen), f"nothing was refused: {seen}"
