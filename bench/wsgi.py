"""WSGI entry of the bench app (gunicorn bench.wsgi:app); configuration from the environment."""

from .app import create_bench_app

app = create_bench_app(migrations=False)
