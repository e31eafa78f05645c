"""`python -m bench.servers [gunicorn,granian,waitress] [--rounds 3] [--seconds 3] [--scale 0.1]`: the servers side by
side on the bare reference, the in-app reference and /events only, in alternating rounds (a busy machine's noise
falls on each in turn), medians printed as a Markdown table with each worker's proportional memory (PSS: pages
shared with gunicorn's master counted by their share). A few minutes; `make bench` is the full measure."""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
from pathlib import Path

os.environ.setdefault("MO_INSTANCE_PATH", str(Path(__file__).resolve().parent / "data" / "instance"))
os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))
os.environ["RATELIMIT_ENABLED"] = "0"

from .generate import build, sqlite_path  # noqa: E402
from .pages import PAGES  # noqa: E402
from .runner import REFERENCE, login_all, wrk_bare, wrk_page  # noqa: E402
from .server import Server, pss_mb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("servers", nargs="?", default="gunicorn,granian,waitress")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--scale", type=float, default=0.1)
    args = parser.parse_args()
    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    url = f"sqlite:///{sqlite_path('servers')}"
    targets, _ = build(url, args.scale)
    events = next(p for p in PAGES if p.name == "events")
    runs: dict[str, dict[str, list]] = {k: {"bare": [], "reference": [], "events": [], "events_p95": [],
                                            "pss": [], "label": []} for k in kinds}
    for n in range(args.rounds):
        for kind in kinds:
            with Server(kind, url, app="bare") as bare_srv, Server(kind, url) as srv:
                sessions = login_all(srv.port, targets)
                r = runs[kind]
                r["label"] = srv.label
                r["bare"].append(wrk_bare(bare_srv, args.seconds)["rps"])
                r["reference"].append(wrk_page(srv, REFERENCE, targets, sessions, args.seconds)["rps"])
                ev = wrk_page(srv, events, targets, sessions, args.seconds)
                r["events"].append(ev["rps"])
                r["events_p95"].append(ev["p95_ms"] or 0)
                r["pss"].append(max(pss_mb(p) for p in srv.worker_pids()))
                print(f"round {n + 1} {kind}: bare {r['bare'][-1]}, in-app {r['reference'][-1]}, /events "
                      f"{r['events'][-1]} req/s (p95 {r['events_p95'][-1]} ms), worker PSS {r['pss'][-1]:.0f} MB",
                      flush=True)
    print(f"\nload average now: {os.getloadavg()}; {args.rounds} rounds × {args.seconds:g} s, medians\n")
    print("| server | bare req/s | in-app reference req/s | ÷ bare | /events req/s | /events p95 ms | worker PSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in kinds:
        r = runs[kind]
        med = {k: statistics.median(v) for k, v in r.items() if k != "label"}
        print(f"| {r['label']} | {med['bare']:.0f} | {med['reference']:.0f} | {med['reference'] / med['bare']:.2f} | "
              f"{med['events']:.0f} | {med['events_p95']:.0f} | {med['pss']:.0f} |")


if __name__ == "__main__":
    main()
