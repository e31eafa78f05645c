"""data_version: a stamp that triggers renew on every committed change (the plan and results fragment cache)

Revision ID: c4d7a1e2f9b3
Revises: 0dcde543b9a8
Create Date: 2026-11-27 10:30:00.000000

The tables and the `user` columns are those of this revision (a later table gets its triggers in its own
migration: see mo_app/cache.py, `trigger_ddl`). PostgreSQL: deferred constraint triggers, so the stamp's row
is written and locked only at COMMIT, once per transaction. SQLite: plain triggers.
"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4d7a1e2f9b3'
down_revision = '0dcde543b9a8'
branch_labels = None
depends_on = None

TABLES = [
    "organization", "school_year", "checklist_item", "goal", "user", "visit_purpose", "event", "visit",
    "visit_target", "best_practice", "consultation_request", "registration", "visit_date_change",
    "visit_purpose_link", "visit_report", "best_practice_file", "recommendation", "report_check_item",
    "report_version",
]
#: `user`: not last_login_at, previous_login_at, session_version, password_hash, must_change_password,
#: calendar_token (login bookkeeping that no cached page shows)
USER_COLUMNS = [
    "id", "login", "last_name", "initials", "first_name", "middle_name", "role", "organization_id", "position",
    "is_beginner", "email", "phone", "active", "created_at", "is_sample",
]
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mo_data_version_renew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- deferred: runs at COMMIT, once per transaction (the setting is local to it)
    IF current_setting('mo.data_version_renewed', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('mo.data_version_renewed', 'on', true);
        INSERT INTO data_version (id, stamp) VALUES (1, md5(random()::text || clock_timestamp()::text))
        ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp;
    END IF;
    RETURN NULL;
END $$
"""
#: no conflict can arise, so an outer `INSERT OR IGNORE` (whose policy a trigger's statements inherit) cannot skip it
SQLITE_RENEW = (
    "UPDATE data_version SET stamp = lower(hex(randomblob(16))) WHERE id = 1; "
    "INSERT INTO data_version (id, stamp) SELECT 1, lower(hex(randomblob(16))) "
    "WHERE NOT EXISTS (SELECT 1 FROM data_version WHERE id = 1)"
)


def _update(table):
    if table != "user":
        return "UPDATE"
    return "UPDATE OF " + ", ".join(f'"{c}"' for c in USER_COLUMNS)


def upgrade():
    table = op.create_table('data_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.bulk_insert(table, [{'id': 1, 'stamp': secrets.token_hex(16)}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for name in TABLES:
            op.execute(
                f'CREATE CONSTRAINT TRIGGER mo_data_version AFTER INSERT OR {_update(name)} OR DELETE ON "{name}" '
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mo_data_version_renew()"
            )
    else:
        for name in TABLES:
            for suffix, what in (("ins", "INSERT"), ("upd", _update(name)), ("del", "DELETE")):
                op.execute(f'CREATE TRIGGER "mo_dv_{name}_{suffix}" AFTER {what} ON "{name}" BEGIN {SQLITE_RENEW}; END')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS mo_data_version ON "{name}"')
        op.execute("DROP FUNCTION IF EXISTS mo_data_version_renew()")
    else:
        for name in TABLES:
            for suffix in ("ins", "upd", "del"):
                op.execute(f'DROP TRIGGER IF EXISTS "mo_dv_{name}_{suffix}"')
    op.drop_table('data_version')
