"""The run: data, servers, probes (status and SQL statements), wrk on every available page, documents."""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from . import load
from .app import REFERENCE_PATH, create_bench_app
from .client import Session, call, login, request
from .generate import build, sqlite_path
from .pages import DOCUMENTS, PAGES, Page, available, missing_routes
from .server import Server

ROOT = Path(__file__).resolve().parent.parent
SMALL_FACTOR = 0.1  #: the scaling check's dataset is 10× smaller
DOC_SAMPLES = 5
SETTLE_SECONDS = 10


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ensure_wrk() -> str:
    """wrk from Debian (installed with apt-get when missing and we are root)."""
    if load.wrk_path() is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        log("wrk is missing: apt-get install -y wrk")
        cmd = "apt-get install -y -q wrk >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q wrk)"
        subprocess.run(["sh", "-c", cmd], check=False)
    path = load.wrk_path()
    if path is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    return path


def ensure_harfbuzz_subset() -> None:
    """Debian's libharfbuzz-subset0 lets WeasyPrint subset fonts in C; without it, fontTools takes ~0.25 s a
    font per PDF (WeasyPrint warns). Installed with apt-get when missing and we are root, as .ci/run does."""
    import ctypes.util

    if ctypes.util.find_library("harfbuzz-subset") is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        log("libharfbuzz-subset0 is missing: apt-get install -y libharfbuzz-subset0")
        cmd = ("apt-get install -y -q libharfbuzz-subset0 >/dev/null || "
               "(apt-get update -q >/dev/null && apt-get install -y -q libharfbuzz-subset0)")
        subprocess.run(["sh", "-c", cmd], check=False)
    if ctypes.util.find_library("harfbuzz-subset") is None:
        log("WARNING: no libharfbuzz-subset0: PDFs subset fonts with fontTools (slower)")


def ensure_gunicorn() -> bool:
    """gunicorn from the pyproject's `bench` extra, installed into the venv when missing."""
    if importlib.util.find_spec("gunicorn"):
        return True
    specs = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["bench"]
    log(f"installing {' '.join(specs)}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *specs], check=False)
    importlib.invalidate_caches()
    return importlib.util.find_spec("gunicorn") is not None


def login_all(port: int, targets: dict) -> dict[str, list[Session]]:
    pw = targets["password"]
    return {
        "librarian": [login(port, targets["librarian"], pw)],
        "methodologist": [login(port, targets["methodologist"], pw)],
        "signup": [login(port, u, pw) for u in targets["signup_users"]],
    }


def probe(port: int, page: Page, targets: dict, sessions: dict, times: int = 1) -> dict:
    """Request the page (and its undo) `times` times; the last status and the statement count."""
    session = sessions[page.role][0]
    statuses, queries = [], []
    if page.method != "GET":  # a clean start, as wrk_page makes: an earlier run may have ended between do and undo
        call(port, session, page.method, page.paths(targets)[1])
    for _ in range(times):
        for path in page.paths(targets):
            resp = call(port, session, page.method, path)
            statuses.append(resp.status)
            queries.append(resp.queries)
    ok_codes = (200,) if page.method == "GET" else tuple(range(200, 400))
    bad = [s for s in statuses if s not in ok_codes]
    return {"ok": not bad, "status": bad[0] if bad else statuses[-1], "queries": max(q or 0 for q in queries)}


def document_ms(port: int, page: Page, targets: dict, sessions: dict) -> float:
    """Median time of one request alone (after warm-up), in ms."""
    session = sessions[page.role][0]
    path = page.paths(targets)[0]
    return round(statistics.median(call(port, session, "GET", path).ms for _ in range(DOC_SAMPLES)), 1)


def settle(port: int, limit: float = SETTLE_SECONDS) -> bool:
    """Wait until requests left queued by the previous run are served (a quick /healthz)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if request(port, "GET", "/healthz", timeout=limit).ms < 100:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def wrk_page(srv: Server, page: Page, targets: dict, sessions: dict, seconds: float) -> dict:
    """wrk on the page once the server is idle again (restarted when a slow page left a long queue)."""
    if not settle(srv.port):
        log(f"  (server still busy with the previous run's queued requests after {SETTLE_SECONDS} s: restarting it)")
        srv.restart()
    paths = page.paths(targets)
    session = sessions[page.role][0]
    if page.method == "GET":
        call(srv.port, session, "GET", paths[0])  # warm (after a restart, the first request imports more)
        return load.run(srv.port, load.get_script(session, paths[0]), paths[0], seconds)
    for user in sessions[page.role]:  # a clean start: nobody half-way (a run ends between do and undo)
        call(srv.port, user, page.method, paths[1])
    script = load.alternate_script(sessions[page.role], paths[0], paths[1])
    return load.run(srv.port, script, paths[0], seconds, threads=load.CONNECTIONS)


def run_server(kind: str, url: str, targets: dict, pages: list[Page], queries_small: dict, seconds: float) -> dict:
    """One server on the large dataset: probes, the reference (before and after), every page, documents, RSS."""
    with Server(kind, url, {}) as srv:
        log(f"{srv.label} on port {srv.port}: logging in {2 + len(targets['signup_users'])} accounts")
        sessions = login_all(srv.port, targets)
        ref_page = Page("reference", REFERENCE_PATH, "methodologist")
        ref_probe = probe(srv.port, ref_page, targets, sessions, times=3)
        probes = {p.name: probe(srv.port, p, targets, sessions, times=2) for p in pages}
        log(f"reference {REFERENCE_PATH}")
        ref_runs = [wrk_page(srv, ref_page, targets, sessions, seconds)]
        rows = []
        for page in pages:
            pr = probes[page.name]
            row = {"name": page.name, "path": " | ".join(page.paths(targets)), "role": page.role,
                   "method": page.method, "queries": pr["queries"], "queries_small": queries_small.get(page.name)}
            if not pr["ok"]:
                log(f"{page.name}: status {pr['status']}, not loaded")
                rows.append({**row, "rps": None, "ratio": None, "p50_ms": None, "p95_ms": None, "p99_ms": None,
                             "error": f"status {pr['status']}"})
                continue
            res = wrk_page(srv, page, targets, sessions, seconds)
            odd = {s: n for s, n in res["statuses"].items() if not 200 <= s < 400}
            log(f"{page.name}: {res['rps']} req/s, p95 {res['p95_ms']} ms, {pr['queries']} statements"
                + (f"; statuses {odd}, {res['errors']} errors" if odd or res["errors"] else ""))
            row.update({k: res[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "errors", "statuses")})
            if not res["requests"]:
                row["error"] = f"no response finished in {seconds:g} s"
            rows.append(row)
        ref_runs.append(wrk_page(srv, ref_page, targets, sessions, seconds))
        reference_rps = round(statistics.mean(r["rps"] for r in ref_runs), 1)
        for row in rows:
            row["ratio"] = round(row["rps"] / reference_rps, 2) if row.get("rps") and reference_rps else None
        documents = {key: None for key in DOCUMENTS}
        if not settle(srv.port):
            srv.restart()
        for page in pages:
            if page.document and probes[page.name]["ok"]:
                documents[page.document] = document_ms(srv.port, page, targets, sessions)
        rss = srv.rss_mb()
    return {
        "server": srv.label,
        "reference_rps": reference_rps,
        "reference": {"runs_rps": [r["rps"] for r in ref_runs], "p50_ms": ref_runs[0]["p50_ms"],
                      "p95_ms": ref_runs[0]["p95_ms"], "p99_ms": ref_runs[0]["p99_ms"],
                      "queries": ref_probe["queries"]},
        "pages": rows,
        "documents_ms": documents,
        "rss_mb_per_worker": rss["peak"],
        "rss_mb_now": rss["now"],
        "workers": rss["workers"],
    }


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem_gb = round(kb / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    cores = os.cpu_count()
    text = f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {cores} cores, {mem_gb} GB RAM"
    return {"text": text, "cpu": cpu, "cores": cores, "mem_gb": mem_gb}


def versions(database_url: str) -> dict:
    import sqlite3

    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for dist in ("Flask", "SQLAlchemy", "Flask-SQLAlchemy", "Jinja2", "waitress", "gunicorn", "weasyprint",
                 "python-docx", "psycopg"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    wrk = subprocess.run([load.wrk_path() or "wrk", "-v"], capture_output=True, text=True, check=False)
    out["wrk"] = (wrk.stdout or wrk.stderr).split("[")[0].replace("wrk", "").strip() or None
    if database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.connect() as conn:
            out["postgresql"] = conn.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
    return out


def run(scale: float, seconds: float, servers: list[str], database_url: str | None) -> dict:
    started = time.perf_counter()
    ensure_wrk()
    ensure_harfbuzz_subset()
    notes = []
    if "gunicorn" in servers and (sys.platform != "linux" or not ensure_gunicorn()):
        servers = [s for s in servers if s != "gunicorn"]
        notes.append("gunicorn not run (not Linux, or not installable)")
    if database_url:
        small_url = large_url = database_url  # one database: the small set is measured, then replaced
        log(f"PostgreSQL: {database_url.rsplit('@', 1)[-1]} (its tables are dropped and rebuilt)")
    else:
        small_url, large_url = (f"sqlite:///{sqlite_path(n)}" for n in ("small", "large"))

    routes_app = create_bench_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    pages = [p for p in PAGES if available(routes_app, p)]
    missing = [{"name": p.name, "routes": missing_routes(routes_app, p)} for p in PAGES if not available(routes_app, p)]
    for m in missing:
        log(f"{m['name']}: not available yet ({', '.join(m['routes'])})")

    log(f"data: small set (scale {scale * SMALL_FACTOR:g})")
    small_targets, small_s = build(small_url, scale * SMALL_FACTOR)
    log(f"small set built in {small_s:.1f} s; counting statements on it")
    with Server("waitress", small_url, {}) as srv:
        sessions = login_all(srv.port, small_targets)
        queries_small = {p.name: probe(srv.port, p, small_targets, sessions)["queries"] for p in pages}
    log(f"data: large set (scale {scale:g})")
    targets, large_s = build(large_url, scale)
    log(f"large set built in {large_s:.1f} s: {targets['counts']}")

    by_server = {}
    budget = float(os.environ.get("BENCH_BUDGET", "570"))  # `make bench` must stay under 10 minutes
    last = 0.0
    for kind in servers:
        elapsed = time.perf_counter() - started
        if by_server and elapsed + last > budget:
            notes.append(f"{kind} not run: {elapsed:.0f} s gone and the last server took {last:.0f} s "
                         f"(budget {budget:.0f} s; BENCH_BUDGET changes it)")
            log(notes[-1])
            continue
        by_server[kind] = run_server(kind, large_url, targets, pages, queries_small, seconds)
        last = time.perf_counter() - started - elapsed

    url = database_url or large_url
    return {
        "by_server": by_server,
        "primary": servers[0],
        "missing": missing,
        "notes": notes,
        "machine": machine(),
        "versions": versions(url),
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "dataset": targets["counts"],
        "data_seconds": {"small": round(small_s, 1), "large": round(large_s, 1)},
        "seconds_per_page": seconds,
        "connections": load.CONNECTIONS,
        "total_seconds": round(time.perf_counter() - started, 1),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
