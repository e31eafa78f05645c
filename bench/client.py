"""A tiny HTTP client for the benchmark: log in through the real form, then probe pages one at a time."""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

USER_AGENT = "mo-bench"
_FORM_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    ms: float

    @property
    def queries(self) -> int | None:
        raw = self.headers.get("x-sql-queries")
        return int(raw) if raw is not None else None


@dataclass
class Session:
    login: str
    cookie: str  #: "session=..."
    csrf: str  #: the token htmx sends as X-CSRFToken


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
            timeout: float = 60) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        started = time.perf_counter()
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
        ms = (time.perf_counter() - started) * 1000
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, ms)
    finally:
        conn.close()


def _session_cookie(resp: Response, previous: str = "") -> str:
    raw = resp.headers.get("set-cookie")
    if not raw:
        return previous
    cookie = SimpleCookie()
    cookie.load(raw)
    return f"session={cookie['session'].value}" if "session" in cookie else previous


def login(port: int, user: str, password: str) -> Session:
    """Log in through /login (CSRF token parsed from the form); the session cookie and the htmx token."""
    page = request(port, "GET", "/login")
    cookie = _session_cookie(page)
    token = _FORM_TOKEN.search(page.body.decode())
    if page.status != 200 or not token:
        raise RuntimeError(f"/login answered {page.status} without a form")
    form = urlencode({"csrf_token": token[1], "login": user, "password": password}).encode()
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    done = request(port, "POST", "/login", headers, form)
    if done.status not in (302, 303):
        raise RuntimeError(f"login as {user} failed: {done.status}")
    cookie = _session_cookie(done, cookie)
    home = request(port, "GET", "/", {"Cookie": cookie})
    hx = _HX_TOKEN.search(home.body.decode())
    if home.status != 200 or not hx:
        raise RuntimeError(f"home page after login as {user}: {home.status}")
    return Session(user, _session_cookie(home, cookie), hx[1])


def call(port: int, session: Session, method: str, path: str, timeout: float = 60) -> Response:
    """One request as the logged-in user, sent the way the page sends it (htmx with CSRF for POST)."""
    headers = {"Cookie": session.cookie}
    if method != "GET":
        headers.update({"X-CSRFToken": session.csrf, "HX-Request": "true",
                        "Content-Type": "application/x-www-form-urlencoded"})
        return request(port, method, path, headers, b"", timeout=timeout)
    return request(port, method, path, headers, timeout=timeout)
