"""WSGI entry point for gunicorn or waitress: `gunicorn wsgi:app` (what `make run` does: `python -m mo_app.serve`)."""

from mo_app import create_app
from mo_app.serve import prepare_process

app = create_app(migrations=False)  # no `flask db` in a server: see create_app
prepare_process()
