"""`make bench`: the app under gunicorn and waitress beside a bare Flask reference, wrk on every page and
document, a report (bench/RESULTS.md, bench/results.json).

Environment:
- DATABASE_URL: a PostgreSQL database to measure as well, after SQLite (its tables are dropped and rebuilt;
  `make bench` starts no database server). BENCH_DATABASES (`sqlite`, `postgresql` or both, comma-separated)
  narrows it.
- BENCH_SECONDS: wrk's time per page (default 5).
- BENCH_SERVERS: default "gunicorn,waitress" (gunicorn as `make run` serves; waitress as it served before and
  still does on Windows; `granian` too when installed); the first one also times every page one request at a
  time. WORKERS (default one per core) and THREADS (default 4) as mo_app.serve reads them.
- BENCH_SCALE: the large dataset's size, 1.0 = a city (the second set is 10× smaller). Above 1 (BENCH_SCALE=10:
  7,000 schools, 600,000 registrations) it is the scaling run instead: the city against that set, statements
  and one-at-a-time times only, written into results.json's `scaling` (BENCH_SCALING_BASE, default 1, shrinks
  the "city" of that run to try it out quickly).
- BENCH_DOC_TIMEOUT: seconds a document may take one at a time before the bench gives up on it (default 10).
- BENCH_BUDGET: seconds a database's run may take before the second server is skipped (default 500).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
# Keep the bench away from the developer's instance/ folder and secret, before mo_app reads them.
os.environ.setdefault("MO_INSTANCE_PATH", str(DATA / "instance"))
os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))
os.environ["RATELIMIT_ENABLED"] = "0"  # the bench logs in ~40 accounts from one address

from . import report, runner  # noqa: E402


def databases(url: str | None, names: str | None) -> list[tuple[str, str | None]]:
    """(name, url) of each database to measure: SQLite always (unless BENCH_DATABASES leaves it out), then
    PostgreSQL when DATABASE_URL names one."""
    pg = None
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):  # psycopg 3 is the driver
        if url and url.startswith(prefix):
            pg = "postgresql+psycopg://" + url[len(prefix):]
    if url and not pg:
        raise SystemExit(f"DATABASE_URL must name PostgreSQL (SQLite files are the bench's own): {url}")
    wanted = [n.strip() for n in (names or ("sqlite,postgresql" if pg else "sqlite")).split(",") if n.strip()]
    out = []
    for name in wanted:
        if name == "sqlite":
            out.append(("sqlite", None))
        elif name == "postgresql":
            if not pg:
                raise SystemExit("BENCH_DATABASES names postgresql: set DATABASE_URL to a PostgreSQL database")
            out.append(("postgresql", pg))
        else:
            raise SystemExit(f"BENCH_DATABASES: unknown database {name!r} (sqlite, postgresql)")
    return out


def main() -> int:
    seconds = float(os.environ.get("BENCH_SECONDS", "5"))
    servers = [s.strip() for s in os.environ.get("BENCH_SERVERS", "gunicorn,waitress").split(",") if s.strip()]
    scale = float(os.environ.get("BENCH_SCALE", "1.0"))
    dbs = databases(os.environ.get("DATABASE_URL"), os.environ.get("BENCH_DATABASES"))
    # The servers the bench starts read DATABASE_URL: each gets its own (bench/server.py).
    results = runner.run(scale=scale, seconds=seconds, servers=servers, databases=dbs)
    report.write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
