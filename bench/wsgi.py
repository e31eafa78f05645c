"""WSGI entry of the bench app (gunicorn bench.wsgi:app); configuration from the environment."""

from mo_app.serve import prepare_process

from .app import create_bench_app

app = create_bench_app(migrations=False)
prepare_process()  # as wsgi.py and mo_app.serve do
