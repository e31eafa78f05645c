"""`python -m mo_app.serve` (the web half of `make run`): serve the app on every core.

On Linux and macOS: gunicorn, WORKERS processes (default: one per core this process may run on), each with THREADS
threads (gthread workers, default 4). The app is built once in gunicorn's master and the workers are forked from
it, sharing its memory until they write to it. On Windows, where gunicorn does not run: waitress, one process with
THREADS threads. HOST and PORT as before (127.0.0.1:5000).

Everything a worker keeps for itself is either shared through the database or safe to keep apart: sessions are
`user_session` rows (auth/sessions.py), failed-login counters are `throttle_counter` rows (throttle.py), the
fragment cache (cache.py) is keyed by the data stamp every process reads from the database, document render
slots are rows (documents/slots.py). tests/test_serve.py checks it with two workers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import signal
import sys

from . import create_app

M_ARENA_MAX = -8  # glibc's mallopt() parameters
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024  #: bytes from which an allocation gets pages of its own, given back when freed
PR_SET_PDEATHSIG = 1  # Linux prctl(): a signal the kernel sends this process when its parent ends
GRACEFUL_TIMEOUT = 10  #: seconds a worker gets to finish its requests on SIGTERM (mo_app.run waits 15)
REQUEST_TIMEOUT = 120  #: a worker silent this long is restarted (gthread: its main loop, not one request)


def threads() -> int:
    """Threads per worker process (THREADS, default 4). The GIL runs one at a time in a process; the threads
    let a slow document or a slow client not hold the whole process. The benchmark measured 8 waitress threads
    slower than 4 (370 against 459 req/s on its reference page) and ~20 MB larger at peak."""
    return max(1, int(os.environ.get("THREADS") or "4"))


def cores() -> int:
    """The cores this process may run on (its affinity mask, so a container's or taskset's limit counts)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def workers() -> int:
    """Worker processes (WORKERS, default: one per core)."""
    return max(1, int(os.environ.get("WORKERS") or cores()))


def tune_malloc(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas and fix its mmap threshold before the server starts its threads (unless
    MALLOC_ARENA_MAX or MALLOC_MMAP_THRESHOLD_ say otherwise).

    glibc gives threads that allocate at the same time arenas of their own (up to 8 per core), and memory
    freed in one stays with it: under load, 8 threads kept ~10 MB more with 16 arenas than with 2. The threads take
    turns on the GIL anyway, so fewer arenas cost no speed.

    A block of MMAP_THRESHOLD or more gets pages of its own, returned to the system when it is freed. glibc
    raises that threshold by itself after the first large block is freed (up to 32 MB), and from then on a
    download's bytes (a 4 MB results PDF read from the document store) come from the heap, which keeps the
    pages: a worker grew ~12 MB after a few large downloads and kept it. Fixing the threshold stops that."""
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is None:
        return
    if "MALLOC_ARENA_MAX" not in os.environ:
        mallopt(M_ARENA_MAX, arenas)
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def prepare_process() -> None:
    """What a server process does once, after building the app and before serving: tune malloc, load
    python-docx, and freeze what is loaded so the garbage collector stops walking it.

    python-docx would load with the first DOCX anyway; loading it here makes that first document as quick as
    the others. `gc.freeze()` moves the objects alive now (modules, the app) out of the collector's reach: the
    full collection after each office document (mo_app/printing.py) walks only what came later, and gunicorn's
    workers, forked after it, do not write to those objects' pages when they collect (they stay shared with the
    master). Objects that live for the whole process lose nothing by it. (PDFs are Typst's, in Rust: nothing of
    theirs to load or collect here.)"""
    tune_malloc()
    import docx  # noqa: F401

    gc.collect()
    gc.freeze()


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when gunicorn's master ends, even by SIGKILL (no orphan keeps
    serving on the port). Elsewhere a worker notices its parent is gone within a second and exits."""
    name = ctypes.util.find_library("c")
    prctl = getattr(ctypes.CDLL(name), "prctl", None) if name and sys.platform.startswith("linux") else None
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _forget_connections(app) -> None:
    """Close the database connections the app opened while it was built: a forked worker must not share them."""
    from .extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def gunicorn_options(host: str, port: int) -> dict:
    """gunicorn's settings for `make run`: quiet (no access log; start, stop and worker restarts only)."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": [bind],
        "workers": workers(),
        "threads": threads(),
        "worker_class": "gthread",  # threads and keep-alive: serves browsers directly, no proxy needed in front
        "preload_app": True,  # built once in the master (gc-frozen), forked: shared pages, quick worker restarts
        "timeout": REQUEST_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "mo_app",
        "umask": 0o077,  # gunicorn sets it only around its own files; the app set 077 already (create_app)
        "control_socket_disable": True,  # its default path is shared by every gunicorn of the user
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108 - heartbeat files
        "post_fork": lambda server, worker: _die_with_parent(),
    }


def serve_gunicorn(app, host: str, port: int, options: dict | None = None) -> None:
    """Serve the built (and prepared) WSGI `app` with gunicorn; returns when gunicorn's master stops."""
    from gunicorn.app.base import BaseApplication

    settings = {**gunicorn_options(host, port), **(options or {})}

    class Server(BaseApplication):
        def load_config(self):
            for key, value in settings.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self):
            return app

    Server().run()


def serve_waitress(app, host: str, port: int) -> None:
    """Windows: waitress, one process with THREADS threads."""
    from waitress import serve

    serve(app, host=host, port=port, threads=threads(), ident="mo_app")


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    app = create_app(migrations=False)
    prepare_process()
    windows = sys.platform == "win32"
    how = (f"{threads()} потоков" if windows else f"процессов: {workers()}, потоков в каждом: {threads()}")
    print(f"\nМО библиотекарей: http://{host}:{port}/  (при первом запуске — страница настройки; {how}). "
          "Остановить: Ctrl-C.\n", flush=True)
    if windows:
        serve_waitress(app, host, port)
    else:
        _forget_connections(app)
        serve_gunicorn(app, host, port)


if __name__ == "__main__":
    main()
