"""Health check with a real database round-trip."""

from mo_app.extensions import db


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path):
    from .conftest import make_app

    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    with app.app_context():
        db.engine.dispose()
