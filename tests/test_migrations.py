"""The migrations build the schema the models describe (the app never calls create_all)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from mo_app.extensions import db

from .conftest import PG_URL, make_app, schema_dropped


def test_migrations_match_models(tmp_path):
    url = PG_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()
    schema_dropped()
    assert diff == [], "models changed without a migration: run `flask --app mo_app db migrate`"
