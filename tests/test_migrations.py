"""The migrations build the schema the models describe (the app never calls create_all)."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mo_app.extensions import db

from .conftest import migrated_app


def test_migrations_match_models(tmp_path):
    with migrated_app(tmp_path), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], "models changed without a migration: run `flask --app mo_app db migrate`"


def _upgraded_with_users(tmp_path, users: list[dict]):
    """A database at the revision before app_settings holding `users`, then upgraded to the head: its settings row."""
    from contextlib import suppress

    from flask_migrate import upgrade

    from mo_app.models import AppSettings

    from .conftest import PG_URL, _drop_schema, make_app, schema_dropped

    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=PG_URL or f"sqlite:///{tmp_path / 'legacy.sqlite3'}")
    with app.app_context():
        _drop_schema()
        try:
            upgrade(revision="a3f8d2c61b07")
            for user in users:
                defaults = {"last_name": "Иванова", "initials": "", "role": "librarian", "active": True,
                            "password_hash": "", "is_sample": False, "must_change_password": False,
                            "session_version": 1, "is_beginner": False, "created_at": db.func.now()}
                row = {**defaults, **user}
                # the table as it was at that revision (the model has moved on: no session_version now)
                legacy_user = sa.table("user", *(sa.column(name) for name in row))
                db.session.execute(sa.insert(legacy_user).values(row))
            db.session.commit()
            upgrade()
            row = db.session.get(AppSettings, 1)
            return None if row is None else (row.association_name, row.centre_name, row.signatory_id, row.is_demo)
        finally:
            db.session.remove()
            with suppress(Exception):
                _drop_schema()
            db.engine.dispose()
            schema_dropped()


def test_a_database_in_use_gets_a_real_settings_row_on_upgrade(tmp_path):
    """Accounts from before settings existed: set up (never offered /setup again), signed by the first active
    methodologist, named as ASSOCIATION_NAME's default named it; not the demo (load-demo refuses it)."""
    row = _upgraded_with_users(tmp_path, [
        {"id": 1, "login": "gone", "role": "methodologist", "active": False},
        {"id": 2, "login": "boss", "role": "methodologist"},
        {"id": 3, "login": "metodist", "role": "methodologist", "is_sample": True},
    ])
    assert row == ("Методическое объединение библиотечных работников образовательных учреждений", "", 2, False)


def test_a_database_holding_only_the_old_demo_is_marked_demo_on_upgrade(tmp_path):
    row = _upgraded_with_users(tmp_path, [{"id": 1, "login": "metodist", "role": "methodologist", "is_sample": True},
                                          {"id": 2, "login": "zhukova", "is_sample": True}])
    assert row is not None and row[2:] == (1, True)


def test_an_empty_database_gets_no_settings_row_on_upgrade(tmp_path):
    assert _upgraded_with_users(tmp_path, []) is None
