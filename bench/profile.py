"""`python -m bench.profile /events [--role librarian] [--db large] [-n 20] [--post] [--sort tottime]`: where a
page's time goes.

Runs the page in-process against a dataset `make bench` built (bench/data/<db>.sqlite3: large and small; city
and x10 after `BENCH_SCALE=10 make bench`; or DATABASE_URL),
prints the statements it runs and the slowest functions (cProfile, sorted by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import time

from .generate import sqlite_path

os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--role", default="methodologist", choices=["librarian", "methodologist"])
    parser.add_argument("--db", default="large",
                        help="bench/data/<db>.sqlite3: large, small (make bench), city, x10 (BENCH_SCALE=10)")
    parser.add_argument("-n", type=int, default=20, help="requests to profile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"],
                        help="cumulative (where the time goes) or tottime (the functions that spend it)")
    parser.add_argument("--post", action="store_true", help="POST as htmx does (CSRF checks off)")
    parser.add_argument("--time", action="store_true", help="only time the requests (median, no profiler)")
    parser.add_argument("--login", help="another bench login than the role's (e.g. bench_lib2 for sign-ups)")
    args = parser.parse_args()

    from mo_app.extensions import db
    from mo_app.models import User

    from .app import create_bench_app
    from .queries import count_statements

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{sqlite_path(args.db)}"
    app = create_bench_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                            "WTF_CSRF_ENABLED": not args.post})
    from mo_app.serve import prepare_process

    prepare_process()  # as a server process does (the garbage collector stops walking what is loaded)
    client = app.test_client()
    login = args.login or ("bench_metodist" if args.role == "methodologist" else "bench_lib1")
    method = "POST" if args.post else "GET"
    headers = {"HX-Request": "true"} if args.post else {}
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.login == login))
        if user is None:
            raise SystemExit(f"no {login} in {url}: run `make bench` (or bench.generate.build) first")
        from mo_app.auth.sessions import open_session

        ident = open_session(user)  # a server-side session, as a real login opens one
    with client.session_transaction() as sess:
        sess["_user_id"] = ident
        sess["_fresh"] = True
    with app.app_context(), count_statements(db.engine) as seen:
        resp = client.open(args.path, method=method, headers=headers)
    print(f"{method} {args.path} as {login}: {resp.status_code}, {len(resp.data)} bytes, {len(seen)} statements")
    for i, statement in enumerate(seen, 1):
        print(f"  {i:2}. {' '.join(statement.split())[:160]}")
    if args.time:
        took = []
        for _ in range(args.n):
            started = time.perf_counter()
            client.open(args.path, method=method, headers=headers)
            took.append((time.perf_counter() - started) * 1000)
        took.sort()
        print(f"{took[len(took) // 2]:.1f} ms a request (in-process, median of {args.n}, min {took[0]:.1f})")
        return
    started = time.perf_counter()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.n):
        client.open(args.path, method=method, headers=headers)
    profiler.disable()
    print(f"{(time.perf_counter() - started) / max(args.n, 1) * 1000:.1f} ms a request (in-process, profiled)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    print(json.dumps({"path": args.path, "statements": len(seen)}))


if __name__ == "__main__":
    main()
