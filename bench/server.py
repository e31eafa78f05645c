"""The bench app as a separate process on 127.0.0.1: waitress (as `make run`) or gunicorn with 2 workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mo_app.serve import threads

from .client import request

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "bench" / "data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """Start, wait for /healthz, measure the workers' peak RSS, stop."""

    def __init__(self, kind: str, database_url: str, env: dict):
        self.kind = kind
        self.port = free_port()
        self.env = {**os.environ, **env, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.proc: subprocess.Popen | None = None
        self.log_path = LOGS / f"server-{kind}.log"
        self.restarts = 0
        self._peak_before = 0.0

    @property
    def label(self) -> str:
        return f"waitress, {threads()} threads" if self.kind == "waitress" else "gunicorn, 2 sync workers"

    def command(self) -> list[str]:
        if self.kind == "waitress":
            return [sys.executable, "-m", "bench.serve"]
        return [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
                "--timeout", "120", "--log-level", "warning", "bench.wsgi:app"]

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
                raise RuntimeError(f"{self.kind} exited: see {self.log_path}")
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
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this runner started, by its id
                self.proc.wait()

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: waitress itself, or gunicorn's workers."""
        if self.kind == "waitress":
            return [self.proc.pid]
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def rss_mb(self) -> dict:
        """Peak (VmHWM) and current (VmRSS) resident memory of the largest worker, in MB."""
        peak = now = 0.0
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            peak = max(peak, int(fields["VmHWM"].split()[0]) / 1024)
            now = max(now, int(fields["VmRSS"].split()[0]) / 1024)
        peak = max(peak, self._peak_before)
        return {"peak": round(peak, 1), "now": round(now, 1), "workers": len(self.worker_pids())}
