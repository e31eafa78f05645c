"""The migrations build the schema the models describe (the app never calls create_all)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mo_app.extensions import db

from .conftest import migrated_app


def test_migrations_match_models(tmp_path):
    with migrated_app(tmp_path), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], "models changed without a migration: run `flask --app mo_app db migrate`"
