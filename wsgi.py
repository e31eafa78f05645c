"""WSGI entry point for waitress or gunicorn: `waitress-serve wsgi:app`."""

from mo_app import create_app

app = create_app(migrations=False)  # no `flask db` in a server: see create_app
