"""The bench app (or the bare reference) as a separate process on 127.0.0.1 (bench/serve.py): gunicorn as `make run`
serves it (WORKERS gthread workers, default one per core, × THREADS threads), waitress with THREADS threads (what
`make run` served before; Windows still), or granian (WORKERS × THREADS)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mo_app.serve import workers

from .client import request

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "bench" / "data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def waitress_threads() -> int:
    """Threads (of waitress, or of each worker): THREADS, default 4 (as mo_app.serve reads it)."""
    return int(os.environ.get("THREADS", "4"))


def gunicorn_workers() -> int:
    """Worker processes (gunicorn, granian): WORKERS, default one per core (as mo_app.serve reads it)."""
    return workers()


class Server:
    """Start, wait for /healthz, measure the workers' peak RSS, stop. `app` is "app" (the bench app: mo_app plus
    the in-app reference) or "bare" (bench/bare.py), served the same way."""

    def __init__(self, kind: str, database_url: str, env: dict | None = None, app: str = "app"):
        self.kind = kind
        self.app = app
        self.port = free_port()
        self.env = {**os.environ, **(env or {}), "DATABASE_URL": database_url, "HOST": "127.0.0.1",
                    "PORT": str(self.port)}
        self.proc: subprocess.Popen | None = None
        self.log_path = LOGS / f"server-{kind}{'-bare' if app == 'bare' else ''}.log"
        self.restarts = 0
        self._peak_before = 0.0

    @property
    def label(self) -> str:
        if self.kind == "waitress":
            return f"waitress, {waitress_threads()} threads"
        return f"{self.kind}, {gunicorn_workers()} workers × {waitress_threads()} threads"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.serve", self.kind, self.app]

    def __enter__(self) -> Server:
        self.start()
        return self

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "a" if self.restarts else "w")
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} ({self.app}) exited: see {self.log_path}")
            try:
                if request(self.port, "GET", "/healthz", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.kind} did not answer /healthz in 60 s: see {self.log_path}")

    def restart(self) -> None:
        """Stop and start again (sessions stay valid: same secret key): drops requests still queued."""
        self._peak_before = self.rss_mb()["peak"]
        self.__exit__()
        self.restarts += 1
        self.start()

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            # gunicorn: SIGQUIT is its quick shutdown (SIGTERM waits up to 30 s for requests in progress)
            self.proc.send_signal(signal.SIGQUIT if self.kind == "gunicorn" else signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this runner started, by its id
                self.proc.wait()

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: waitress itself, or gunicorn's (granian's) workers."""
        if self.kind == "waitress":
            return [self.proc.pid]
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def rss_mb(self) -> dict:
        """Peak (VmHWM) and current (VmRSS) resident memory of the largest worker, in MB; and its PSS now (pages
        shared with gunicorn's master and the other workers counted in part: what each worker costs)."""
        peak = now = pss = 0.0
        for pid in self.worker_pids():
            pss = max(pss, pss_mb(pid))
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            peak = max(peak, int(fields["VmHWM"].split()[0]) / 1024)
            now = max(now, int(fields["VmRSS"].split()[0]) / 1024)
        peak = max(peak, self._peak_before)
        return {"peak": round(peak, 1), "now": round(now, 1), "pss": round(pss, 1), "workers": len(self.worker_pids())}


def pss_mb(pid: int) -> float:
    """A process's proportional set size in MB (Linux; 0 elsewhere)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    fields = dict(line.split(":", 1) for line in text.splitlines()[1:] if ":" in line)
    return int(fields["Pss"].split()[0]) / 1024
