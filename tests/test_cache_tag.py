"""The `{% cache %}` tag (mo_app/cache.py): a block drawn once per data stamp and key, its key holding the
viewer's role and school and the script root without the template naming them, forms given each request's CSRF
token, nothing kept while the request has uncommitted changes. Through real requests to a page of the test's own."""

from __future__ import annotations

import pytest
from flask import render_template_string, request
from flask_wtf import FlaskForm

from mo_app.cache import CSRF_SLOT, fragments, use_stamp
from mo_app.extensions import db
from mo_app.models import Organization

BLOCK = ('{% cache "test.block", n %}[{{ draw() }}|{{ csrf_token() }}]{{ form.hidden_tag() }}{% endcache %}'
         '<input value="{{ csrf_token() }}">')


class Counter:
    """How often the block was drawn."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return f"drawn {self.calls}"


@pytest.fixture
def page(app):
    """/_test/block?n=&stamp=[&change=<org id>]: the BLOCK under the given stamp (as a page that read it)."""
    draw = Counter()

    @app.route("/_test/block")
    def _test_block():
        use_stamp(request.args["stamp"])
        if "change" in request.args:  # a change this request has not committed
            db.session.get(Organization, int(request.args["change"])).short_name = "Переименована"
        html = render_template_string(BLOCK, n=int(request.args.get("n", 1)), draw=draw, form=FlaskForm())
        db.session.rollback()
        return html

    return draw


def _get(client, stamp="s1", n=1, **kw) -> str:
    r = client.get(f"/_test/block?stamp={stamp}&n={n}", **kw)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_a_block_is_drawn_once_per_stamp_and_key(client, page):
    assert _get(client).startswith("[drawn 1|")
    assert _get(client).startswith("[drawn 1|")
    assert _get(client, n=2).startswith("[drawn 2|")  # another key
    assert _get(client, stamp="s2").startswith("[drawn 3|")  # the data changed
    assert page.calls == 3


def test_the_viewer_is_part_of_every_key(app, client, page, f, login_as):
    school_a, school_b = f.school(), f.school()
    seen = set()
    for user in (f.librarian(school_a), f.librarian(school_b), f.methodologist()):
        login_as(user)
        seen.add(_get(client))
    client.post("/logout")
    seen.add(_get(client))
    seen.add(_get(client, base_url="http://localhost/mo/"))  # another script root: other URLs inside
    assert page.calls == 5 and len({s.split("|")[0] for s in seen}) == 5
    login_as(f.librarian(school_a))  # same role and school as the first
    assert _get(client).startswith("[drawn 1|") and page.calls == 5


def test_kept_forms_get_each_requests_token(app, page):
    one, two = _get(app.test_client()), _get(app.test_client())  # two browsers: two CSRF tokens
    assert page.calls == 1
    assert CSRF_SLOT not in one and CSRF_SLOT not in two
    token_one, token_two = one.split("|")[1].split("]")[0], two.split("|")[1].split("]")[0]
    assert token_one and token_two and token_one != token_two  # each request's own token, never one kept
    assert one.count(f'value="{token_one}"') == 2  # the form's field in the block, and the input outside it
    with app.test_request_context():
        kept = [value for value, _ in fragments()._items.values()]
    assert len(kept) == 1 and CSRF_SLOT in kept[0] and token_one not in kept[0]


def test_nothing_is_kept_while_the_request_has_uncommitted_changes(client, page, f):
    school = f.school()
    r = client.get(f"/_test/block?stamp=s1&n=1&change={school.id}")
    assert r.status_code == 200 and page.calls == 1
    assert _get(client).startswith("[drawn 2|")  # the first was not kept
    assert db.session.get(Organization, school.id).short_name != "Переименована"

