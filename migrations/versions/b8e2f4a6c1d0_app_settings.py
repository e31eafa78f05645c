"""app_settings: the association, its centre, who signs documents, the demo marker (one row)

Revision ID: b8e2f4a6c1d0
Revises: a3f8d2c61b07
Create Date: 2026-12-07 10:00:00.000000

The row is written by /setup (a real database) or by `flask load-demo` (is_demo). A database already in use
(it has accounts) gets its row here, so that it is never mistaken for an empty one: the association's name
from the ASSOCIATION_NAME variable that named it until now (else the old default), the first active
methodologist as signatory, and is_demo when every account in it is one load-demo made.

The stamp triggers (mo_app/cache.py): documents and cached pages show the association and the signatory.
"""
import os
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8e2f4a6c1d0'
down_revision = 'a3f8d2c61b07'
branch_labels = None
depends_on = None

OLD_DEFAULT_NAME = "Методическое объединение библиотечных работников образовательных учреждений"
SQLITE_RENEW = (
    "UPDATE data_version SET stamp = lower(hex(randomblob(16))) WHERE id = 1; "
    "INSERT INTO data_version (id, stamp) SELECT 1, lower(hex(randomblob(16))) "
    "WHERE NOT EXISTS (SELECT 1 FROM data_version WHERE id = 1)"
)


def upgrade():
    table = op.create_table('app_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('association_name', sa.String(length=300), nullable=False),
    sa.Column('centre_name', sa.String(length=300), nullable=False),
    sa.Column('signatory_id', sa.Integer(), nullable=True),
    sa.Column('setup_done_at', sa.DateTime(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_app_settings_single_row')),
    sa.ForeignKeyConstraint(['signatory_id'], ['user.id'], name=op.f('fk_app_settings_signatory_id_user'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_settings'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            'CREATE CONSTRAINT TRIGGER mo_data_version AFTER INSERT OR UPDATE OR DELETE ON "app_settings" '
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mo_data_version_renew()"
        )
    else:
        for suffix, what in (("ins", "INSERT"), ("upd", "UPDATE"), ("del", "DELETE")):
            op.execute(f'CREATE TRIGGER "mo_dv_app_settings_{suffix}" AFTER {what} ON "app_settings" '
                       f"BEGIN {SQLITE_RENEW}; END")

    users = op.get_bind().execute(sa.text('SELECT id, role, active, is_sample FROM "user" ORDER BY id')).all()
    if users:
        signatory = next((u.id for u in users if u.role == "methodologist" and u.active), None)
        op.bulk_insert(table, [{
            "id": 1,
            "association_name": os.environ.get("ASSOCIATION_NAME") or OLD_DEFAULT_NAME,
            "centre_name": "",
            "signatory_id": signatory,
            "setup_done_at": datetime.now(UTC).replace(tzinfo=None),
            "is_demo": all(u.is_sample for u in users),
        }])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute('DROP TRIGGER IF EXISTS mo_data_version ON "app_settings"')
    else:
        for suffix in ("ins", "upd", "del"):
            op.execute(f'DROP TRIGGER IF EXISTS "mo_dv_app_settings_{suffix}"')
    op.drop_table('app_settings')
