"""bench/results.json (merged with what it held: a run replaces the databases and scaling sets it measured) and
bench/RESULTS.md, rendered from results.json alone; the table on screen."""

from __future__ import annotations

import json
from pathlib import Path

from .pages import DOCUMENTS

HERE = Path(__file__).resolve().parent
NOTES_MARK = "<!-- notes: written by hand below this line; `make bench` keeps them -->"
# Targets (issues 16 and 19)
MAX_QUERIES = 12
MIN_RATIO_BARE = 0.5  #: every page ÷ the bare reference
MIN_OVERHEAD = 0.8  #: the in-app reference ÷ the bare reference
MAX_P95_MS = 100
MAX_DOC_MS = 50  #: a document one at a time, rendered afresh
MIN_DOC_RATIO = 0.25  #: a document under load ÷ the in-app reference
MAX_HEAVY_RATIO = 3  #: /events p95 under the heavy-document loops ÷ idle
MAX_RSS_MB = 100  #: per worker, after the run
MAX_SCALING = 1.5  #: a page's time on the 10× city ÷ on the city
DB_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PAGE_KEYS = ("name", "path", "method", "document", "rps", "ratio", "ratio_bare", "p50_ms", "p95_ms", "p99_ms",
             "queries", "queries_small", "error")


def merge(new: dict, old: dict | None) -> dict:
    """results.json after this run: its databases and scaling sets replace the same ones of `old`, the others
    stay (each carries its own date and commit). A scaling run keeps the rest of `old` as it was."""
    old = old if old and "databases" in old else {}
    if "databases" not in new:  # the scaling run
        out = dict(old) if old else {k: v for k, v in new.items() if k != "scaling"}
        out["scaling"] = {**(old.get("scaling") or {}), **new["scaling"]}
        return out
    out = dict(new)
    out["databases"] = {**(old.get("databases") or {}), **new["databases"]}
    out["scaling"] = old.get("scaling") or {}
    return flatten(out)


def flatten(doc: dict) -> dict:
    """The primary database and server's figures at the top (the issues' shape): reference_rps,
    bare_reference_rps, overhead_ratio, pages (with ratio and ratio_bare), documents_ms and the rest."""
    primary = doc["primary"]
    database = doc["databases"][primary["database"]]
    server = database["servers"][primary["server"]]
    docs = [r for r in database["timing"]["pages"] if r["document"]]
    doc["database"] = primary["database"]
    doc["server"] = server["server"]
    doc["dataset"] = database["dataset"]
    for key in ("reference_rps", "bare_reference_rps", "overhead_ratio"):
        doc[key] = server[key]
    doc["pages"] = [{k: row.get(k) for k in PAGE_KEYS} for row in server["pages"]]
    doc["documents_ms"] = {**dict.fromkeys(DOCUMENTS), **{r["document"]: r["ms"] for r in docs}}
    doc["documents_cold_ms"] = {**dict.fromkeys(DOCUMENTS), **{r["document"]: r["cold_ms"] for r in docs}}
    doc["documents_under_load"] = {r["document"]: {"rps": r.get("rps"), "ratio": r.get("ratio"),
                                                   "error": r.get("error")}
                                   for r in server["pages"] if r["document"]}
    doc["heavy_document"] = server["heavy_document"]
    doc["rss_mb_per_worker"] = server["rss_mb_per_worker"]
    doc["rss_mb_after_run"] = server["rss_mb_after_run"]
    return doc


# ---- rendering -----------------------------------------------------------------------------------------------


def _fmt(v, suffix: str = "") -> str:
    return "—" if v is None else f"{v}{suffix}"


def _is_page(row: dict) -> bool:
    return row["method"] == "GET" and not row.get("document")


def misses(row: dict) -> list[str]:
    """The targets a row of the load table misses."""
    out = []
    q, qs = row.get("queries"), row.get("queries_small")
    if q is not None and q > MAX_QUERIES:
        out.append(f"SQL {q} > {MAX_QUERIES}")
    if q is not None and qs is not None and q != qs:
        out.append(f"SQL grows {qs}→{q}")
    if row.get("error"):
        out.append(row["error"])
    if _is_page(row):
        if row.get("ratio_bare") is not None and row["ratio_bare"] < MIN_RATIO_BARE:
            out.append(f"÷ bare < {MIN_RATIO_BARE}")
        if row.get("p95_ms") is not None and row["p95_ms"] > MAX_P95_MS:
            out.append(f"p95 > {MAX_P95_MS} ms")
    if row.get("document") and row.get("ratio") is not None and row["ratio"] < MIN_DOC_RATIO:
        out.append(f"÷ in-app < {MIN_DOC_RATIO}")
    if row.get("errors"):
        out.append(f"{row['errors']} errors")
    return out


def load_table(server: dict) -> list[str]:
    ref, bare = server["reference"], server["bare_reference"]
    lines = [
        "| page | path | req/s | ÷ in-app | ÷ bare | p50 ms | p95 ms | p99 ms | SQL | SQL small | targets |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| **bare reference** | `{bare['path']}` (bench/bare.py) | {server['bare_reference_rps']} | | 1.00 | "
        f"{bare['p50_ms']} | {bare['p95_ms']} | {bare['p99_ms']} | 1 | | |",
        f"| **in-app reference** | `/_bench/reference` | {server['reference_rps']} | 1.00 | "
        f"{_fmt(server['overhead_ratio'])} | {ref['p50_ms']} | {ref['p95_ms']} | {ref['p99_ms']} | "
        f"{ref['queries']} | | "
        + ("ok" if (server["overhead_ratio"] or 0) >= MIN_OVERHEAD else f"overhead: ÷ bare < {MIN_OVERHEAD}")
        + " |",
    ]
    for row in server["pages"]:
        miss = misses(row)
        method = row["method"] + " " if row["method"] != "GET" else ""
        lines.append(
            f"| {row['name']} | `{method}{row['path']}` | {_fmt(row.get('rps'))} | {_fmt(row.get('ratio'))} "
            f"| {_fmt(row.get('ratio_bare'))} | {_fmt(row.get('p50_ms'))} | {_fmt(row.get('p95_ms'))} "
            f"| {_fmt(row.get('p99_ms'))} | {_fmt(row.get('queries'))} | {_fmt(row.get('queries_small'))} "
            f"| {'; '.join(miss) if miss else 'ok'} |"
        )
    return lines


def server_notes(server: dict) -> list[str]:
    bare = server["bare_reference"]
    after = server["rss_mb_after_run"]
    lines = [
        f"Memory per worker after the run (every page under load, every document rendered): **{after} MB** "
        f"(target ≤ {MAX_RSS_MB} MB: {'ok' if after <= MAX_RSS_MB else 'MISSED'}); peak {server['rss_mb_per_worker']}"
        f" MB, documents under load included ({server['workers']} worker process(es)); PSS after the run "
        f"{server.get('pss_mb_after_run', '—')} MB (pages shared with the master and the other worker counted in "
        f"part). Large papers are typeset in short-lived child processes, not counted here. The bare reference: "
        f"{bare['rss_mb_after_run']} MB after the run (PSS {bare.get('pss_mb_after_run', '—')} MB), peak "
        f"{bare['rss_mb_per_worker']} MB. Reference runs (before, "
        f"after the pages): in-app {server['reference']['runs_rps']}, bare {bare['runs_rps']} req/s."
        + (f" The server was restarted {server['restarts']} time(s) (a slow document left a queue)."
           if server.get("restarts") else ""),
    ]
    heavy = server.get("heavy_document")
    if heavy:
        ratio = heavy["ratio"]
        verdict = "—" if ratio is None else ("ok" if ratio <= MAX_HEAVY_RATIO else "MISSED")
        idle, loaded = heavy["events_idle"], heavy["events_loaded"]
        at_least = "≥ " if loaded.get("cut_short") else ""
        if at_least and ratio is not None:
            verdict = "MISSED" if ratio > MAX_HEAVY_RATIO else "—"
        answers = ", ".join(f"{n}× {k}" for k, n in heavy["document_answers"].items()) or "none"
        lines += ["", f"Heavy document: {heavy['loops']} parallel loops on `{heavy['path']}` ({heavy['document']}, "
                  f"the slowest one at a time) by one methodologist while a librarian opens `{heavy['events_path']}` "
                  f"one request after another: p95 {idle['p95_ms']} ms idle ({idle['samples']} requests) → "
                  f"**{at_least}{_fmt(loaded['p95_ms'])} ms** under the loops ({loaded['samples']} requests in "
                  f"{heavy['window_s']} s{'; the last one given up' if at_least else ''}): **{at_least}{_fmt(ratio)}×**"
                  f" (target ≤ {MAX_HEAVY_RATIO}×: {verdict}); p50 "
                  f"{idle['p50_ms']} → {_fmt(loaded['p50_ms'])} ms. The loops' answers meanwhile: {answers}."]
    return lines


def timing_table(database: dict) -> list[str]:
    timing = database["timing"]
    small = database["dataset_small"]
    lines = [
        f"Under {timing['server']}, one request at a time: **ms** right after another request (what the app "
        "kept serves it), **new** right after a data change (a sign-up and its cancel: rendered afresh); medians "
        f"of up to 5 and 3. `small`: the 10× smaller set ({small['schools']} schools, {small['registrations']} "
        "registrations; documents only probed there). Documents: target ≤ "
        f"{MAX_DOC_MS} ms rendered afresh.",
        "",
        "| page | SQL | SQL small | ms | new, ms | small: ms | small: new, ms | targets |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in timing["pages"]:
        miss = []
        if r["queries"] is not None and r["queries"] > MAX_QUERIES:
            miss.append(f"SQL {r['queries']} > {MAX_QUERIES}")
        if r["queries"] is not None and r["queries_small"] is not None and r["queries"] != r["queries_small"]:
            miss.append(f"SQL grows {r['queries_small']}→{r['queries']}")
        if r.get("status"):
            miss.append(r["status"])
        if r["document"]:
            doc_ms = r["cold_ms"] if r["cold_ms"] is not None else r["ms"]
            if doc_ms is not None and doc_ms > MAX_DOC_MS:
                miss.append(f"> {MAX_DOC_MS} ms")
        name = f"{r['name']} (document)" if r["document"] else r["name"]
        lines.append(f"| {name} | {_fmt(r['queries'])} | {_fmt(r['queries_small'])} | {_fmt(r['ms'])} "
                     f"| {_fmt(r['cold_ms'])} | {_fmt(r['ms_small'])} | {_fmt(r['cold_ms_small'])} "
                     f"| {'; '.join(miss) if miss else 'ok'} |")
    return lines


def summary_table(doc: dict) -> list[str]:
    """Every page ÷ the bare reference, per database and server, side by side."""
    cols = [(db, kind) for db, d in (doc.get("databases") or {}).items() for kind in d["servers"]]
    if not cols:
        return []
    head = " | ".join(f"{DB_TITLES.get(db, db)}, {doc['databases'][db]['servers'][k]['server']}" for db, k in cols)
    lines = [f"| ÷ bare reference | {head} |", "|---|" + "---:|" * len(cols)]

    def cell(db: str, kind: str, key: str | None, name: str | None = None) -> str:
        server = doc["databases"][db]["servers"][kind]
        if key:
            return _fmt(server[key])
        row = next((r for r in server["pages"] if r["name"] == name), None)
        return _fmt(row.get("ratio_bare") if row else None)

    lines.append("| bare reference, req/s | " + " | ".join(cell(d, k, "bare_reference_rps") for d, k in cols) + " |")
    lines.append("| in-app reference (overhead) | " + " | ".join(cell(d, k, "overhead_ratio") for d, k in cols)
                 + " |")
    first = doc["databases"][cols[0][0]]["servers"][cols[0][1]]
    for row in first["pages"]:
        lines.append(f"| {row['name']} | " + " | ".join(cell(d, k, None, row["name"]) for d, k in cols) + " |")
    return lines


def scaling_section(doc: dict) -> list[str]:
    lines = ["## Scaling: the city against a 10× city", ""]
    scaling = doc.get("scaling") or {}
    if not scaling:
        return lines + ["Not measured yet: `BENCH_SCALE=10 make bench` (on demand, not part of `make bench`).", ""]
    for db, s in scaling.items():
        c, g = s["dataset_city"], s["dataset_large"]
        base = "" if s.get("base", 1) == 1 else f" — NOT the city: a {s['base']:g} slice (BENCH_SCALING_BASE)"
        lines += [
            f"### {DB_TITLES.get(db, db)} ({s['version']}), ×{s['factor']:g}{base}", "",
            f"Measured {s['date']} at {s['commit']} under {s['server']} on {s.get('machine', 'this machine')}; "
            f"{s['seconds']} s. The city: {c['schools']} schools, {c['registrations']} registrations, "
            f"{c['visits']} visits (built in {s['data_seconds']['city']} s); ×{s['factor']:g}: {g['schools']} "
            f"schools, {g['registrations']} registrations, {g['visits']} visits (built in "
            f"{s['data_seconds']['large']} s). Times one request at a time, as above (ms: after another request; "
            f"new: after a data change). Targets: the same statements; a page's time ≤ {MAX_SCALING}× the "
            "city's (whole-year documents grow with the data by nature: their time is shown, not judged).",
            "",
            "| page | SQL city | SQL ×10 | ms city | ms ×10 | × | new, ms city | new, ms ×10 | × | targets |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in s["pages"]:
            miss = []
            if None not in (r["queries_city"], r["queries_large"]) and r["queries_city"] != r["queries_large"]:
                miss.append(f"SQL {r['queries_city']}→{r['queries_large']}")
            if r.get("status"):
                miss.append(r["status"])
            if not r["grows"]:
                worst = max((x for x in (r["ratio"], r["cold_ratio"]) if x is not None), default=None)
                if worst is not None and worst > MAX_SCALING:
                    miss.append(f"time × {worst} > {MAX_SCALING}")
            verdict = "; ".join(miss) if miss else ("ok (grows by nature)" if r["grows"] else "ok")
            lines.append(f"| {r['name']} | {_fmt(r['queries_city'])} | {_fmt(r['queries_large'])} "
                         f"| {_fmt(r['ms_city'])} | {_fmt(r['ms_large'])} | {_fmt(r['ratio'])} "
                         f"| {_fmt(r['cold_ms_city'])} | {_fmt(r['cold_ms_large'])} | {_fmt(r['cold_ratio'])} "
                         f"| {verdict} |")
        lines.append("")
    return lines


def markdown(doc: dict) -> str:
    v = doc["versions"]
    load = doc.get("load_average") or {}
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` on {doc['date']} at {doc.get('commit')} — {doc['total_seconds']} s in all; "
        f"load average before/after: {load.get('before')} / {load.get('after')} (a busy machine makes every "
        "figure lower: compare the ratios).",
        "",
        f"- **Machine**: {doc['machine']}",
        "- **Versions**: " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
        f"- **Load**: wrk, {doc['connections']} connections, {doc['seconds_per_page']} s per page, logged-in "
        "sessions; sign-up + cancel alternate POSTs (htmx headers, CSRF) over 32 librarians; documents by 8 "
        "methodologists, two connections each. req/s counts answers that succeeded (2xx, 3xx).",
        "- **Bare reference**: bench/bare.py — Flask + Flask-SQLAlchemy only (no login, no extension, no app "
        "code) on the same database, 50 sign-ups joined with librarian, school and event in a 50-row table on a "
        "plain page, under the same server and worker count: what the stack costs. `÷ bare` = page ÷ it.",
        "- **In-app reference**: `/_bench/reference` (bench mode only) — 50 organizations through the ORM on "
        "`base.html`, logged in, through all of the app's request machinery. `÷ in-app` = page ÷ it; its own "
        "`÷ bare` is the **overhead ratio**: what every request of the app pays. Both references are measured "
        "before and after the pages, averaged.",
        "- **SQL**: statements per request (SQLAlchemy `before_cursor_execute`, transaction control not counted), "
        "on the large set and on the 10× smaller one (`SQL small`).",
        "",
        f"Targets: overhead ratio ≥ {MIN_OVERHEAD}; every page ≥ {MIN_RATIO_BARE} of the bare reference and p95 "
        f"≤ {MAX_P95_MS} ms; SQL ≤ {MAX_QUERIES} and the same on both sizes; every document ≤ {MAX_DOC_MS} ms "
        f"one at a time and ≥ {MIN_DOC_RATIO} of the in-app reference under load; /events p95 under {8} loops on "
        f"the heaviest document ≤ {MAX_HEAVY_RATIO}× idle; ≤ {MAX_RSS_MB} MB per worker after the run; on the "
        f"10× city the same statements and ≤ {MAX_SCALING}× the time.",
        "",
    ]
    summary = summary_table(doc)
    if summary:
        lines += ["## Every page against the bare reference", "", *summary, ""]
    for db, d in (doc.get("databases") or {}).items():
        ds = d["dataset"]
        lines += [
            f"## {DB_TITLES.get(db, db)} ({d['version']})", "",
            f"Measured {d['date']} at {d['commit']}; {d['seconds']} s. Dataset: {ds['schools']} schools, "
            f"{ds['librarians']} librarians, {ds['events']} events, {ds['registrations']} registrations, "
            f"{ds['visits']} visits with finalised reports, {ds['recommendations']} recommendations, "
            f"{ds['best_practice']} best-practice entries, 3 school years (built in {d['data_seconds']['large']} s; "
            f"the 10× smaller set in {d['data_seconds']['small']} s).", "",
        ]
        for server in d["servers"].values():
            lines += [f"### {server['server']}", "", *load_table(server), "", *server_notes(server), ""]
        lines += [f"### One request at a time ({DB_TITLES.get(db, db)})", "", *timing_table(d), ""]
    lines += scaling_section(doc)
    if doc.get("missing"):
        lines += ["## Not available yet", "", "Listed in `bench/pages.py` but not routed in this build:", ""]
        lines += [f"- {m['name']}: {', '.join(m['routes'])}" for m in doc["missing"]]
        lines.append("")
    for note in doc.get("notes") or []:
        lines += [f"Note: {note}", ""]
    lines += ["## Reproduce", "", "```sh",
              "make bench                                   # SQLite (bench/data/): gunicorn (as make run), waitress",
              "DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_bench make bench"
              "  # SQLite, then PostgreSQL (its tables are dropped and rebuilt)",
              "BENCH_SCALE=10 make bench                    # on demand: the city against a 10× city",
              "BENCH_SECONDS=2 BENCH_SCALE=0.1 BENCH_SERVERS=gunicorn make bench   # a quick try while developing",
              "```", ""]
    return "\n".join(lines)


def write(results: dict) -> dict:
    """Merge into bench/results.json, render bench/RESULTS.md from it (keeping the hand-written notes), print."""
    json_path, md_path = HERE / "results.json", HERE / "RESULTS.md"
    old = None
    if json_path.exists():
        try:
            old = json.loads(json_path.read_text())
        except ValueError:
            old = None
    doc = merge(results, old)
    notes = ""
    if md_path.exists() and NOTES_MARK in (text := md_path.read_text()):
        notes = text.split(NOTES_MARK, 1)[1]
    md_path.write_text(markdown(doc) + "\n" + NOTES_MARK + (notes or "\n\n## Profiling notes (before/after)\n"))
    json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    print()
    for db, d in (results.get("databases") or {}).items():
        for server in d["servers"].values():
            print(f"== {DB_TITLES.get(db, db)}, {server['server']} ==")
            print("\n".join(load_table(server)))
            print("\n".join(server_notes(server)))
            print()
        print("\n".join(timing_table(d)))
        print()
    if "scaling" in results:
        print("\n".join(scaling_section(results)))
    if results.get("missing"):
        print("Not available yet: " + ", ".join(m["name"] for m in results["missing"]))
    print(f"Written bench/RESULTS.md and bench/results.json ({results['total_seconds']} s).")
    return doc
