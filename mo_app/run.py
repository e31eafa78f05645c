"""`python -m mo_app.run` (what `make run` starts): the web server (`python -m mo_app.serve`) and one worker
(`python -m mo_app.worker`) as two processes under one command.

Ctrl-C or SIGTERM stops both (the worker finishes the job it is running; after 15 s both are killed). A
worker that exits is started again after 1, 2, 4 … 60 seconds while the web server goes on serving, and the
log says so. When the web server exits, the worker is stopped and this command exits with the server's code.
"""

from __future__ import annotations

import signal
import subprocess  # noqa: S404 - our own modules, with this interpreter
import sys
import threading
import time
from datetime import datetime

GRACE = 15  #: seconds the children get to stop before they are killed
MAX_DELAY = 60  #: longest wait before starting a dead worker again


def say(text: str) -> None:
    print(f"{datetime.now():%Y-%m-%d %H:%M:%S} [run] {text}", flush=True)


def _start(module: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module])  # noqa: S603


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + GRACE
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> int:
    stopping = threading.Event()

    def _on_signal(signum, frame):
        if stopping.is_set():  # a second Ctrl-C: no more waiting
            for child in (web, worker):
                if child.poll() is None:
                    child.kill()
        stopping.set()

    web = _start("mo_app.serve")
    worker = _start("mo_app.worker")
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    say(f"веб-сервер (pid {web.pid}) и фоновый процесс (pid {worker.pid}) запущены")
    delay, started, restart_at = 1, time.monotonic(), None
    while not stopping.wait(0.5):
        if web.poll() is not None:
            say(f"веб-сервер остановился (код {web.returncode}); останавливаю фоновый процесс")
            break
        if restart_at is None and worker.poll() is not None:
            if time.monotonic() - started > MAX_DELAY:
                delay = 1  # it had been running well: start again quickly
            say(f"фоновый процесс остановился (код {worker.returncode}); веб-сервер работает, "
                f"перезапуск через {delay} с")
            restart_at = time.monotonic() + delay
            delay = min(delay * 2, MAX_DELAY)
        if restart_at is not None and time.monotonic() >= restart_at:
            worker, started, restart_at = _start("mo_app.worker"), time.monotonic(), None
            say(f"фоновый процесс перезапущен (pid {worker.pid})")
    _stop([worker, web])
    say("остановлено")
    return web.returncode if web.returncode and web.returncode > 0 else 0


if __name__ == "__main__":
    sys.exit(main())
