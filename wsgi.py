"""WSGI entry point for waitress or gunicorn: `waitress-serve wsgi:app`."""

from mo_app import create_app
from mo_app.serve import prepare_process

app = create_app(migrations=False)  # no `flask db` in a server: see create_app
prepare_process()
