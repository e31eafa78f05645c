"""`python -m bench.serve SERVER [app|bare]`: the bench app (or the bare reference) under SERVER on HOST:PORT.

- `waitress`: one process, THREADS threads (default 4) — what `make run` served before, and still does on Windows;
- `gunicorn`: exactly as `make run` serves (mo_app.serve: WORKERS gthread workers × THREADS threads, the app built
  once and forked), only with warnings alone in the log;
- `granian` (not installed by `make bench`: `.venv/bin/pip install granian`): WORKERS processes, THREADS blocking
  threads each, its WSGI interface; each worker imports the app itself.
"""

import os
import sys

from mo_app.serve import serve_gunicorn, threads, workers


def _app(which: str):
    if which == "bare":
        from .bare import create_app

        return create_app()
    from .wsgi import app  # built and prepared (mo_app.serve.prepare_process) as a server process

    return app


def main(server: str, which: str) -> None:
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    if server == "waitress":
        from waitress import serve

        serve(_app(which), host=host, port=port, threads=threads(), ident="mo_app")
    elif server == "gunicorn":
        app = _app(which)
        if which != "bare":
            from mo_app.serve import _forget_connections

            _forget_connections(app)
        serve_gunicorn(app, host, port, {"loglevel": "warning"})
    elif server == "granian":
        from granian.constants import Interfaces
        from granian.server import Server

        target = "bench.bare:create_app" if which == "bare" else "bench.wsgi:app"
        Server(target, address=host, port=port, interface=Interfaces.WSGI, workers=workers(),
               blocking_threads=threads(), factory=which == "bare", log_level="warning").serve()
    else:
        raise SystemExit(f"unknown server {server!r}: waitress, gunicorn, granian")


if __name__ == "__main__":
    main(sys.argv[1], (sys.argv[2:] or ["app"])[0])
