"""Throttling holds under concurrency: 60 parallel wrong passwords against the real server get no more
password checks than the limit; the counters (mo_app/throttle.py) are atomic in the database and in a
`limits` storage, give back what a refused or successful attempt took, and clean up ended windows.

Runs on the `app` fixture's database: PostgreSQL with TEST_DATABASE_URL, a SQLite file otherwise."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter as Tally

import pytest
from waitress.server import create_server

from mo_app import throttle
from mo_app.extensions import db
from mo_app.models import ThrottleCounter

from .conftest import make_app
from .factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ATTEMPTS = 60


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A browser of its own (cookies, the login form's CSRF token) against the real server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
        with self.opener.open(base + "/login", timeout=30) as r:
            self.token = CSRF_RE.search(r.read().decode())[1]

    def log_in(self, login: str, password: str) -> int:
        body = urllib.parse.urlencode({"csrf_token": self.token, "login": login, "password": password}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + "/login", data=body), timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            e.close()
            return e.code


@pytest.fixture
def server(app):
    """The app served by waitress (16 threads) on 127.0.0.1."""
    srv = create_server(app, host="127.0.0.1", port=0, threads=16)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()
    thread.join(10)


def test_sixty_parallel_wrong_passwords_get_five_checks_and_then_even_the_right_one_is_refused(app, f, server):
    f.librarian(login="udachina")
    db.session.commit()
    browsers = [Browser(server) for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []

    def guess(browser: Browser, i: int) -> None:
        barrier.wait(timeout=60)
        statuses.append(browser.log_in("udachina", f"guess-{i}"))

    threads = [threading.Thread(target=guess, args=(b, i)) for i, b in enumerate(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    # 422 «Неверный логин или пароль» = a password was checked; 429 = refused before any check
    assert Tally(statuses) == {422: 5, 429: ATTEMPTS - 5}
    assert Browser(server).log_in("udachina", PASSWORD) == 429  # the guessing address stays stopped
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    r = owner.post("/login", data={"login": "udachina", "password": PASSWORD})
    assert r.status_code == 303  # the owner elsewhere is not


# ---- the counters themselves -------------------------------------------------------------------------------------


def _race(app, counter: throttle.Counter, n: int) -> list[bool]:
    """n threads reserve one attempt each at the same moment; who was allowed."""
    barrier = threading.Barrier(n)
    allowed: list[bool] = []

    def worker():
        with app.app_context():
            barrier.wait(timeout=30)
            allowed.append(throttle.reserve(counter).allowed)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return allowed


@pytest.mark.parametrize("storage", ["database", "memory://"])
def test_reserving_is_atomic(tmp_path, app, storage):
    other = app if storage == "database" else make_app(tmp_path, RATELIMIT_STORAGE_URI=storage)
    db.session.commit()
    allowed = _race(other, throttle.Counter("test", "3 per minute", ("k",)), 40)
    assert sorted(allowed) == [False] * 37 + [True] * 3


def _hits(counter: throttle.Counter) -> int | None:
    db.session.commit()
    row = db.session.get(ThrottleCounter, counter.key)
    return None if row is None else row.hits


def test_a_refused_attempt_gives_back_what_it_took_and_a_success_releases(app):
    pair = throttle.Counter("login", "2 per minute", ("anna", "10.0.0.1"))
    address = throttle.Counter("login-address", "100 per minute", ("10.0.0.1",))
    assert throttle.reserve(pair, address).allowed and throttle.reserve(pair, address).allowed
    assert (_hits(pair), _hits(address)) == (2, 2)
    refused = throttle.reserve(pair, address)
    assert not refused.allowed and 0 < refused.retry_after <= 60
    assert _hits(address) == 2  # the refused attempt took nothing from the address
    throttle.clear(pair)
    ok = throttle.reserve(pair, address)
    ok.release(clear=[pair])  # the password was right
    assert (_hits(pair), _hits(address)) == (None, 2)
    other = throttle.reserve(throttle.Counter("login", "2 per minute", ("boris", "10.0.0.1")), address)
    other.release()
    assert _hits(address) == 2


def test_a_window_ends_and_ended_windows_are_cleaned_up(app):
    stale = throttle.Counter("test", "1 per minute", ("old",))
    assert throttle.reserve(stale).allowed and not throttle.reserve(stale).allowed
    db.session.get(ThrottleCounter, stale.key).expires_at = int(time.time()) - 1  # its window has ended
    db.session.commit()
    assert throttle.reserve(stale).allowed  # a new window
    assert _hits(stale) == 1
    db.session.get(ThrottleCounter, stale.key).expires_at = int(time.time()) - 1
    db.session.commit()
    throttle.reserve(throttle.Counter("test", "1 per minute", ("new",)))  # starting a window cleans up
    assert _hits(stale) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(ThrottleCounter)) == 1


def test_keys_are_not_kept_in_clear(app):
    throttle.reserve(throttle.Counter("login", "5 per minute", ("udachina", "192.0.2.1")))
    db.session.commit()
    (key,) = db.session.scalars(db.select(ThrottleCounter.key)).all()
    assert "udachina" not in key and "192.0.2.1" not in key and len(key) == 64


def test_reserving_refuses_to_commit_a_requests_unsaved_changes(app, f):
    user = f.librarian()
    user.last_name = "Несохранённая"
    with pytest.raises(RuntimeError):
        throttle.reserve(throttle.Counter("test", "1 per minute", ("x",)))
    db.session.rollback()
