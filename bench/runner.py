"""The run: per database, the data, the servers, probes (status and SQL statements), pages timed one at a time,
wrk on every available page between two runs of the in-app and of the bare reference, documents, the
heavy-document case. Or, with BENCH_SCALE above 1, the scaling run: the city against a city BENCH_SCALE times
larger, statements and one-at-a-time times only.

What it returns is results.json's content (bench/report.py writes it and RESULTS.md).
"""

from __future__ import annotations

import importlib.util
import json
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

from . import bare, load
from .app import REFERENCE_PATH, create_bench_app
from .client import Session, call, login, request
from .generate import build, sqlite_path
from .pages import PAGES, Page, available, missing_routes
from .server import Server

ROOT = Path(__file__).resolve().parent.parent
SMALL_FACTOR = 0.1  #: the default run's second dataset is 10× smaller (statements must not differ)
WARM_SAMPLES = 5  #: one-at-a-time requests right after another (what the app kept is used)
COLD_SAMPLES = 3  #: one-at-a-time requests right after a data change (nothing kept can be used)
SAMPLE_BOX = 10  #: seconds a page's one-at-a-time samples may take (at least one of each is taken)
DOC_SAMPLE_BOX = 5  #: the same for a document
SETTLE_SECONDS = 10
DOC_SETTLE_SECONDS = 3  #: a document run leaves up to 16 renders queued: quicker to restart than to wait
LOAD_MIN_ANSWERS = 4  #: a document is loaded only when one request takes under seconds ÷ this
HEAVY_LOOPS = 8  #: parallel loops on the heaviest document, by one user
DOC_LOAD_TIMEOUT = 30  #: wrk's timeout for a document request under load, in seconds
REFERENCE = Page("reference", REFERENCE_PATH, "methodologist")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def doc_timeout() -> float:
    """How long one document may take before the bench stops waiting for it (BENCH_DOC_TIMEOUT, s)."""
    return float(os.environ.get("BENCH_DOC_TIMEOUT", "10"))


# ---- set-up --------------------------------------------------------------------------------------------------


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
    """Every bench account the pages use: the first of each role draws the pages."""
    pw = targets["password"]
    return {
        "librarian": [login(port, targets["librarian"], pw)],
        "methodologist": [login(port, u, pw) for u in targets["methodologists"]],
        "signup": [login(port, u, pw) for u in targets["signup_users"]],
    }


# ---- one request at a time -------------------------------------------------------------------------------------


def change_data(port: int, targets: dict, sessions: dict) -> bool:
    """A committed change the way a user makes one (a sign-up and its cancel): whatever the app kept for the
    old data cannot serve the next request."""
    user = sessions["signup"][-1]
    event = targets["signup_event_id"]
    call(port, user, "POST", f"/events/{event}/cancel")  # a clean start (404 when there is nothing to cancel)
    done = call(port, user, "POST", f"/events/{event}/register")
    undone = call(port, user, "POST", f"/events/{event}/cancel")
    return done.status < 400 and undone.status < 400


def probe(srv: Server, page: Page, targets: dict, sessions: dict, times: int = 1, timeout: float = 60) -> dict:
    """Request the page (and its undo) `times` times; the last status and the statement count."""
    session = sessions[page.role][0]
    statuses, queries = [], []
    try:
        if page.method != "GET":  # a clean start, as wrk_page makes: an earlier run may have ended between do and undo
            call(srv.port, session, page.method, page.paths(targets)[1], timeout=timeout)
        for _ in range(times):
            for path in page.paths(targets):
                resp = call(srv.port, session, page.method, path, timeout=timeout)
                statuses.append(resp.status)
                queries.append(resp.queries)
    except TimeoutError:
        log(f"  {page.name}: no answer in {timeout:g} s (restarting the server)")
        srv.restart()
        return {"ok": False, "status": f"no answer in {timeout:g} s", "queries": None}
    ok_codes = (200,) if page.method == "GET" else tuple(range(200, 400))
    bad = [s for s in statuses if s not in ok_codes]
    return {"ok": not bad, "status": bad[0] if bad else statuses[-1], "queries": max(q or 0 for q in queries)}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def time_page(srv: Server, page: Page, targets: dict, sessions: dict, timeout: float = 60,
              box: float = SAMPLE_BOX) -> dict:
    """The page one request at a time: `ms` right after another request (what the app kept serves it), `cold_ms`
    right after a data change (rendered afresh); medians, within SAMPLE_BOX seconds. Also the status and the
    statements (the most of any sample: a fresh render's)."""
    session = sessions[page.role][0]
    paths = page.paths(targets)
    warm: list[float] = []
    cold: list[float] = []
    queries: list[int] = []
    started = time.monotonic()
    out = {"ok": True, "status": 200, "timed_out_s": None}
    try:
        if page.method != "GET":  # time the action, undo it untimed; a clean start first
            call(srv.port, session, page.method, paths[1], timeout=timeout)
            while len(warm) < WARM_SAMPLES and (not warm or time.monotonic() - started < box):
                resp = call(srv.port, session, page.method, paths[0], timeout=timeout)
                undo = call(srv.port, session, page.method, paths[1], timeout=timeout)
                if not (resp.status < 400 and undo.status < 400):
                    out.update(ok=False, status=resp.status if resp.status >= 400 else undo.status)
                    break
                warm.append(resp.ms)
                queries += [resp.queries or 0, undo.queries or 0]
        else:
            can_change = True
            while len(warm) < WARM_SAMPLES or (can_change and len(cold) < COLD_SAMPLES):
                if can_change and len(cold) < COLD_SAMPLES:
                    can_change = change_data(srv.port, targets, sessions)
                    if can_change:
                        resp = call(srv.port, session, "GET", paths[0], timeout=timeout)
                        if resp.status != 200:
                            out.update(ok=False, status=resp.status)
                            break
                        cold.append(resp.ms)
                        queries.append(resp.queries or 0)
                if len(warm) < WARM_SAMPLES:
                    resp = call(srv.port, session, "GET", paths[0], timeout=timeout)
                    if resp.status != 200:
                        out.update(ok=False, status=resp.status)
                        break
                    warm.append(resp.ms)
                    queries.append(resp.queries or 0)
                if warm and (cold or not can_change) and time.monotonic() - started > box:
                    break
    except TimeoutError:
        log(f"  {page.name}: no answer in {timeout:g} s (restarting the server)")
        srv.restart()
        out.update(ok=False, status=f"no answer in {timeout:g} s", timed_out_s=timeout)
    out.update(ms=_median(warm), cold_ms=_median(cold), queries=max(queries) if queries else None,
               samples={"warm": len(warm), "cold": len(cold)})
    return out


def timings(srv: Server, pages: list[Page], targets: dict, sessions: dict, documents: bool = True) -> dict:
    """time_page for every page (documents with BENCH_DOC_TIMEOUT; without `documents`, documents only probed
    once for their status and statements)."""
    out = {}
    for page in pages:
        if page.document and not documents:  # rendered afresh: all its statements
            change_data(srv.port, targets, sessions)
            pr = probe(srv, page, targets, sessions, timeout=doc_timeout())
            out[page.name] = {"ok": pr["ok"], "status": pr["status"], "queries": pr["queries"], "ms": None,
                              "cold_ms": None}
            continue
        if page.document:
            out[page.name] = time_page(srv, page, targets, sessions, doc_timeout(), DOC_SAMPLE_BOX)
        else:
            out[page.name] = time_page(srv, page, targets, sessions)
        t = out[page.name]
        log(f"  {page.name}: {t['ms']} ms, after a change {t['cold_ms']} ms, {t['queries']} statements"
            + ("" if t["ok"] else f" — {t['status']}"))
    return out


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


# ---- under load ----------------------------------------------------------------------------------------------


def ready(srv: Server, limit: float = SETTLE_SECONDS) -> None:
    """The server idle again: restarted when the previous run's queued requests are not served in `limit` s."""
    if not settle(srv.port, limit):
        log(f"  (server still busy with the previous run's queued requests after {limit:g} s: restarting it)")
        srv.restart()


def wrk_page(srv: Server, page: Page, targets: dict, sessions: dict, seconds: float) -> dict:
    """wrk on the page once the server is idle again (restarted when a slow page left a long queue). A document
    is loaded by every bench methodologist, two connections each."""
    ready(srv, DOC_SETTLE_SECONDS if page.document else SETTLE_SECONDS)
    paths = page.paths(targets)
    session = sessions[page.role][0]
    if page.document:  # warm: what the app keeps for unchanged data is what repeated requests get
        call(srv.port, session, "GET", paths[0], timeout=doc_timeout())
        script = load.users_get_script(sessions[page.role], paths[0])
        return load.run(srv.port, script, paths[0], seconds, threads=load.CONNECTIONS, timeout=DOC_LOAD_TIMEOUT)
    if page.method == "GET":
        call(srv.port, session, "GET", paths[0])  # warm (after a restart, the first request imports more)
        return load.run(srv.port, load.get_script(session, paths[0]), paths[0], seconds)
    for user in sessions[page.role]:  # a clean start: nobody half-way (a run ends between do and undo)
        call(srv.port, user, page.method, paths[1])
    script = load.alternate_script(sessions[page.role], paths[0], paths[1])
    return load.run(srv.port, script, paths[0], seconds, threads=load.CONNECTIONS)


def wrk_bare(srv: Server, seconds: float) -> dict:
    ready(srv)
    return load.run(srv.port, load.get_script(None, bare.PATH), bare.PATH, seconds)


def sequential(port: int, session: Session, path: str, seconds: float, least: int = 5,
               limit: float = 10) -> tuple[list[float], bool]:
    """One request after another for `seconds` (and until `least` answers, within `limit` s): times in ms, and
    whether the last one was cut short at `limit` (its time then counts as what was waited)."""
    out: list[float] = []
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        if (elapsed >= seconds and len(out) >= least) or elapsed >= limit:
            return out, False
        sent = time.perf_counter()
        try:
            out.append(call(port, session, "GET", path, timeout=max(0.5, limit - elapsed)).ms)
        except OSError:
            out.append((time.perf_counter() - sent) * 1000)
            return out, True


def _percentiles(times: list[float]) -> dict:
    if not times:
        return {"p50_ms": None, "p95_ms": None, "samples": 0}
    cuts = statistics.quantiles(times, n=20, method="inclusive") if len(times) > 1 else [times[0]] * 19
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(cuts[-1], 1), "samples": len(times)}


def heavy_document_case(srv: Server, pages: list[Page], targets: dict, sessions: dict, timing: dict,
                        seconds: float) -> dict | None:
    """HEAVY_LOOPS parallel loops on the heaviest document by one user while a librarian opens /events one
    request after another: /events p95 under that load against idle."""
    docs = [p for p in pages if p.document and (timing[p.name]["ms"] is not None or timing[p.name].get("timed_out_s"))]
    events = next((p for p in pages if p.name == "events"), None)
    if not docs or events is None:
        return None

    def weight(p: Page) -> float:  # what it costs to make: afresh (after a change), not as kept
        t = timing[p.name]
        return float("inf") if t.get("timed_out_s") else max(t["ms"], t.get("cold_ms") or 0)

    heaviest = max(docs, key=weight)
    doc_path = heaviest.paths(targets)[0]
    user = sessions[heaviest.role][0]
    reader = sessions[events.role][0]
    events_path = events.paths(targets)[0]
    ready(srv)
    call(srv.port, reader, "GET", events_path)
    idle, _ = sequential(srv.port, reader, events_path, seconds)
    # the loops run in a process of their own (bench/loops.py), not in the probe's interpreter
    loops = subprocess.Popen([sys.executable, "-m", "bench.loops"], cwd=ROOT, text=True,  # noqa: S603
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    loops.stdin.write(json.dumps({"port": srv.port, "login": user.login, "cookie": user.cookie, "csrf": user.csrf,
                                  "path": doc_path, "loops": HEAVY_LOOPS}) + "\n")
    loops.stdin.flush()
    loops.stdout.readline()  # "started"
    time.sleep(1)  # the loops' requests are in
    started = time.monotonic()
    loaded, cut = sequential(srv.port, reader, events_path, seconds)
    window = time.monotonic() - started
    loops.stdin.close()  # stop
    during = {int(k) if k.isdigit() else k: n for k, n in json.loads(loops.stdout.readline() or "{}").items()}
    ready(srv, DOC_SETTLE_SECONDS)  # a restart drops the loops' queued requests
    try:
        loops.wait(timeout=30)
    except subprocess.TimeoutExpired:
        loops.kill()
    idle_p, loaded_p = _percentiles(idle), _percentiles(loaded)
    ratio = round(loaded_p["p95_ms"] / idle_p["p95_ms"], 2) if loaded_p["p95_ms"] and idle_p["p95_ms"] else None
    log(f"heavy document {heaviest.name} × {HEAVY_LOOPS} loops: /events p95 {idle_p['p95_ms']} → "
        f"{'≥ ' if cut else ''}{loaded_p['p95_ms']} ms ({ratio}×); the loops' answers meanwhile: {during}")
    return {
        "document": heaviest.document, "path": doc_path, "loops": HEAVY_LOOPS, "user": user.login,
        "events_path": events_path, "events_idle": idle_p, "events_loaded": {**loaded_p, "cut_short": cut},
        "ratio": ratio,
        "window_s": round(window, 1),
        "document_answers": {str(k): v for k, v in during.items()},
        "document_rps": round(sum(v for k, v in during.items() if isinstance(k, int) and k < 400) / window, 2),
    }


def _loadable(timing: dict, seconds: float) -> str | None:
    """Why a document is not loaded with wrk (None: it is): failed, or one request outlasts the run."""
    if not timing["ok"]:
        return f"status {timing['status']}"
    ms = timing["ms"] if timing["ms"] is not None else timing.get("cold_ms")
    if ms is not None and ms * LOAD_MIN_ANSWERS > seconds * 1000:
        return f"one request takes {ms / 1000:.1f} s: too slow for a {seconds:g} s run"
    return None


def _ratio(value: float | None, reference: float | None) -> float | None:
    """value ÷ reference: two decimals, three below 0.1 (a document's 0.004 is not 0)."""
    if not value or not reference:
        return None
    r = value / reference
    return round(r, 2) if r >= 0.1 else round(r, 3)


def _load_row(srv: Server, page: Page, targets: dict, sessions: dict, seconds: float, info: dict, timing: dict,
              small: dict) -> dict:
    """wrk on one page: its row of the load table (not loaded: why)."""
    queries = timing[page.name]["queries"]  # the most of any one-at-a-time request: a fresh render's
    row = {"name": page.name, "path": " | ".join(page.paths(targets)), "role": page.role, "method": page.method,
           "document": page.document, "queries": queries if queries is not None else info["queries"],
           "queries_small": small.get(page.name, {}).get("queries")}
    skip = f"status {info['status']}" if not info["ok"] else (
        _loadable(timing[page.name], seconds) if page.document else None)
    if skip:
        log(f"{page.name}: {skip}, not loaded")
        return {**row, "rps": None, "p50_ms": None, "p95_ms": None, "p99_ms": None, "error": skip}
    res = wrk_page(srv, page, targets, sessions, seconds)
    odd = {s: n for s, n in res["statuses"].items() if not 200 <= s < 400}
    log(f"{page.name}: {res['rps']} req/s, p95 {res['p95_ms']} ms, {row['queries']} statements"
        + (f"; statuses {odd}, {res['errors']} errors" if odd or res["errors"] else ""))
    row.update({k: res[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "errors", "statuses")})
    if not res["rps"]:
        row["error"] = f"no answer succeeded in {seconds:g} s"
    return row


def run_server(kind: str, url: str, targets: dict, pages: list[Page], small: dict, seconds: float,
               timing: dict | None, sessions: dict | None) -> tuple[dict, dict, dict]:
    """One server on the large dataset, beside the bare reference under the same server: probes, one-at-a-time
    times (`timing` None: measured here), the bare and the in-app reference, every page, both references again,
    memory, then the documents under load and the heavy-document case. `sessions` from an earlier server on
    the same database stay valid (signed cookies, the same secret key); None: log in here."""
    with Server(kind, url, app="bare") as bare_srv, Server(kind, url) as srv:
        log(f"{srv.label} on port {srv.port} (bare reference on {bare_srv.port})")
        if sessions is None:
            log(f"logging in {1 + len(targets['methodologists']) + len(targets['signup_users'])} accounts")
            sessions = login_all(srv.port, targets)
        ref_probe = probe(srv, REFERENCE, targets, sessions, times=3)
        bare_resp = request(bare_srv.port, "GET", bare.PATH)
        if bare_resp.status != 200 or bare_resp.body.count(b"<tr>") < 2:
            raise RuntimeError(f"the bare reference answered {bare_resp.status}: see {bare_srv.log_path}")
        probes = {p.name: probe(srv, p, targets, sessions, times=2) for p in pages if not p.document}
        timing_s = 0.0
        if timing is None:
            log("one request at a time (after a data change, and again)")
            started = time.perf_counter()
            timing = timings(srv, pages, targets, sessions)
            timing_s = time.perf_counter() - started
        log(f"references: bare {bare.PATH}, in-app {REFERENCE_PATH}")
        bare_runs = [wrk_bare(bare_srv, seconds)]
        ref_runs = [wrk_page(srv, REFERENCE, targets, sessions, seconds)]
        rows = {p.name: _load_row(srv, p, targets, sessions, seconds, probes[p.name], timing, small)
                for p in pages if not p.document}
        ref_runs.append(wrk_page(srv, REFERENCE, targets, sessions, seconds))
        bare_runs.append(wrk_bare(bare_srv, seconds))
        rss = srv.rss_mb()  # after every page under load and every document once
        bare_rss = bare_srv.rss_mb()
        log("documents under load, by the bench's methodologists")
        rows.update({p.name: _load_row(srv, p, targets, sessions, seconds, timing[p.name], timing, small)
                     for p in pages if p.document})
        heavy = heavy_document_case(srv, pages, targets, sessions, timing, seconds)
        peak = srv.rss_mb()["peak"]
    reference_rps = round(statistics.mean(r["rps"] for r in ref_runs), 1)
    bare_rps = round(statistics.mean(r["rps"] for r in bare_runs), 1)
    rows = [rows[p.name] for p in pages]
    for row in rows:
        row["ratio"] = _ratio(row.get("rps"), reference_rps)
        row["ratio_bare"] = _ratio(row.get("rps"), bare_rps)
    overhead = _ratio(reference_rps, bare_rps)
    log(f"bare reference {bare_rps} req/s, in-app reference {reference_rps} req/s: overhead ratio {overhead}")

    def summary(runs: list[dict]) -> dict:
        return {"runs_rps": [r["rps"] for r in runs], "p50_ms": runs[0]["p50_ms"], "p95_ms": runs[0]["p95_ms"],
                "p99_ms": runs[0]["p99_ms"]}

    return {
        "server": srv.label,
        "reference_rps": reference_rps,
        "bare_reference_rps": bare_rps,
        "overhead_ratio": overhead,
        "reference": {**summary(ref_runs), "queries": ref_probe["queries"]},
        "bare_reference": {**summary(bare_runs), "path": bare.PATH, "rss_mb_per_worker": bare_rss["peak"],
                           "rss_mb_after_run": bare_rss["now"], "pss_mb_after_run": bare_rss["pss"]},
        "pages": rows,
        "heavy_document": heavy,
        "rss_mb_after_run": rss["now"],
        "pss_mb_after_run": rss["pss"],
        "rss_mb_per_worker": max(peak, rss["peak"]),
        "workers": rss["workers"],
        "restarts": srv.restarts,
        "timing_seconds": round(timing_s, 1),
    }, timing, sessions


# ---- a database ------------------------------------------------------------------------------------------------


def measure_set(kind: str, url: str, targets: dict, pages: list[Page], documents: bool) -> dict:
    """One dataset under one server: statements and one-at-a-time times of every page."""
    with Server(kind, url) as srv:
        sessions = login_all(srv.port, targets)
        return timings(srv, pages, targets, sessions, documents=documents)


def _urls(database: str, url: str | None, names: tuple[str, str]) -> tuple[str, str]:
    """SQLite: a file per dataset under bench/data/; PostgreSQL: the one database, rebuilt for each."""
    if database == "sqlite":
        return tuple(f"sqlite:///{sqlite_path(n)}" for n in names)
    return url, url


def _stamp() -> dict:
    """When, what code and where: each database's and scaling set's figures carry it (results.json keeps sets
    from earlier runs)."""
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit(),
            "machine": machine()["text"], "load_average": load_average()}


def run_database(database: str, url: str | None, scale: float, seconds: float, servers: list[str],
                 pages: list[Page], budget: float, notes: list[str]) -> dict:
    """The default run on one database: the 10× smaller set (statements, page times), then the large one under
    every server (the first also times every page and document one at a time)."""
    started = time.perf_counter()
    small_url, large_url = _urls(database, url, ("small", "large"))
    log(f"{database}: small set (scale {scale * SMALL_FACTOR:g})")
    small_targets, small_s = build(small_url, scale * SMALL_FACTOR)
    log(f"small set built in {small_s:.1f} s; statements and one-at-a-time times on it")
    small = measure_set(servers[0], small_url, small_targets, pages, documents=False)
    log(f"{database}: large set (scale {scale:g})")
    targets, large_s = build(large_url, scale)
    log(f"large set built in {large_s:.1f} s: {targets['counts']}")
    by_server: dict[str, dict] = {}
    timing = sessions = None
    last = 0.0
    for kind in servers:
        elapsed = time.perf_counter() - started
        if by_server and elapsed + last > budget:
            notes.append(f"{database}: {kind} not run: {elapsed:.0f} s gone and a server takes {last:.0f} s "
                         f"(budget {budget:.0f} s a database; BENCH_BUDGET changes it)")
            log(notes[-1])
            continue
        by_server[kind], timing, sessions = run_server(kind, large_url, targets, pages, small, seconds, timing,
                                                       sessions)
        # the next server will not time the pages one at a time
        last = time.perf_counter() - started - elapsed - by_server[kind]["timing_seconds"]
    rows = []
    for page in pages:
        t, s = timing[page.name], small[page.name]
        rows.append({"name": page.name, "path": " | ".join(page.paths(targets)), "document": page.document,
                     "grows": page.grows, "queries": t["queries"], "queries_small": s["queries"],
                     "ms": t["ms"], "cold_ms": t["cold_ms"], "ms_small": s["ms"], "cold_ms_small": s["cold_ms"],
                     "timed_out_s": t.get("timed_out_s"), "status": None if t["ok"] else str(t["status"])})
    return {
        **_stamp(),
        "version": db_version(large_url),
        "dataset": targets["counts"],
        "dataset_small": small_targets["counts"],
        "data_seconds": {"small": round(small_s, 1), "large": round(large_s, 1)},
        "timing": {"server": by_server[servers[0]]["server"], "pages": rows},
        "servers": by_server,
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_scaling(database: str, url: str | None, factor: float, kind: str, pages: list[Page],
                base: float = 1.0) -> dict:
    """The city (`base` × a city: 1 but while developing) against a set `factor` times larger, under one server:
    statements and one-at-a-time times."""
    started = time.perf_counter()
    city_url, large_url = _urls(database, url, ("city", f"x{factor:g}"))
    sets = {}
    for name, u, scale in (("city", city_url, base), ("large", large_url, base * factor)):
        log(f"{database}: {name} (scale {scale:g})")
        targets, built_s = build(u, scale)
        log(f"built in {built_s:.1f} s: {targets['counts']}")
        with Server(kind, u) as srv:
            label = srv.label
            sessions = login_all(srv.port, targets)
            sets[name] = {"targets": targets, "seconds": built_s,
                          "timing": timings(srv, pages, targets, sessions)}
    rows = []
    for page in pages:
        c, g = sets["city"]["timing"][page.name], sets["large"]["timing"][page.name]

        def ratio(key: str, c=c, g=g) -> float | None:
            return round(g[key] / c[key], 2) if g.get(key) and c.get(key) else None

        rows.append({"name": page.name, "path": " | ".join(page.paths(sets["large"]["targets"])),
                     "document": page.document, "grows": page.grows,
                     "queries_city": c["queries"], "queries_large": g["queries"],
                     "ms_city": c["ms"], "ms_large": g["ms"], "ratio": ratio("ms"),
                     "cold_ms_city": c["cold_ms"], "cold_ms_large": g["cold_ms"], "cold_ratio": ratio("cold_ms"),
                     "timed_out_s": g.get("timed_out_s") or c.get("timed_out_s"),
                     "status": None if c["ok"] and g["ok"] else str(g["status"] if not g["ok"] else c["status"])})
    return {
        **_stamp(),
        "factor": factor,
        "base": base,
        "server": label,
        "version": db_version(large_url),
        "dataset_city": sets["city"]["targets"]["counts"],
        "dataset_large": sets["large"]["targets"]["counts"],
        "data_seconds": {"city": round(sets["city"]["seconds"], 1), "large": round(sets["large"]["seconds"], 1)},
        "pages": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }


# ---- the machine ---------------------------------------------------------------------------------------------


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


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def commit() -> str | None:
    """The code measured: the commit, `+dirty` when the worktree has changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except OSError:
        return None
    return (head + ("+dirty" if dirty else "")) if head else None


def db_version(url: str) -> str:
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return f"PostgreSQL {version.split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("Flask", "SQLAlchemy", "Flask-SQLAlchemy", "Jinja2", "waitress", "gunicorn", "granian", "weasyprint",
                 "typst", "python-docx", "openpyxl", "psycopg"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    wrk = subprocess.run([load.wrk_path() or "wrk", "-v"], capture_output=True, text=True, check=False)
    out["wrk"] = (wrk.stdout or wrk.stderr).split("[")[0].replace("wrk", "").strip() or None
    return out


# ---- the run -------------------------------------------------------------------------------------------------


def _pages() -> tuple[list[Page], list[dict]]:
    routes_app = create_bench_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    pages = [p for p in PAGES if available(routes_app, p)]
    missing = [{"name": p.name, "routes": missing_routes(routes_app, p)} for p in PAGES if not available(routes_app, p)]
    for m in missing:
        log(f"{m['name']}: not available yet ({', '.join(m['routes'])})")
    return pages, missing


def run(scale: float, seconds: float, servers: list[str], databases: list[tuple[str, str | None]]) -> dict:
    """Every database of `databases` ((name, url) pairs; SQLite's url is None): the default run, or the scaling
    run when `scale` > 1. Returns results.json's content for what was measured."""
    started = time.perf_counter()
    ensure_wrk()
    notes: list[str] = []
    if "gunicorn" in servers and (sys.platform != "linux" or not ensure_gunicorn()):
        servers = [s for s in servers if s != "gunicorn"]
        notes.append("gunicorn not run (not Linux, or not installable)")
    if "granian" in servers and not importlib.util.find_spec("granian"):
        servers = [s for s in servers if s != "granian"]
        notes.append("granian not run (not installed: .venv/bin/pip install granian)")
    for name, url in databases:
        if url:
            log(f"{name}: {url.rsplit('@', 1)[-1]} (its tables are dropped and rebuilt)")
    pages, missing = _pages()
    load_before = load_average()
    out = {**_stamp(), "machine": machine()["text"], "cores": os.cpu_count(), "versions": versions(),
           "connections": load.CONNECTIONS, "seconds_per_page": seconds, "not_available": [m["name"] for m in missing],
           "missing": missing, "notes": notes}
    if scale > 1:
        base = float(os.environ.get("BENCH_SCALING_BASE", "1"))  # the city; smaller only to try the run out
        out["scaling"] = {name: run_scaling(name, url, scale, servers[0], pages, base) for name, url in databases}
    else:
        # `make bench` on a fresh clone must stay under 10 minutes, the venv's ~1 minute included
        budget = float(os.environ.get("BENCH_BUDGET", "500"))
        out["databases"] = {name: run_database(name, url, scale, seconds, servers, pages, budget, notes)
                            for name, url in databases}
        out["primary"] = {"database": databases[0][0], "server": servers[0]}
    out["load_average"] = {"before": load_before, "after": load_average()}
    out["total_seconds"] = round(time.perf_counter() - started, 1)
    return out

