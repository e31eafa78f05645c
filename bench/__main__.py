"""`make bench`: city-scale data, the app under waitress (and gunicorn), wrk on every page, a report.

Environment: DATABASE_URL (PostgreSQL; default: SQLite files under bench/data/), BENCH_SECONDS (wrk time
per page, default 5), BENCH_SERVERS (default "waitress,gunicorn"), BENCH_SCALE (default 1.0 = a city).
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
os.environ["RATELIMIT_ENABLED"] = "0"  # the bench logs in ~35 accounts from one address

from . import report, runner  # noqa: E402


def main() -> int:
    seconds = float(os.environ.get("BENCH_SECONDS", "5"))
    servers = [s.strip() for s in os.environ.get("BENCH_SERVERS", "waitress,gunicorn").split(",") if s.strip()]
    scale = float(os.environ.get("BENCH_SCALE", "1.0"))
    results = runner.run(scale=scale, seconds=seconds, servers=servers, database_url=os.environ.get("DATABASE_URL"))
    report.write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
