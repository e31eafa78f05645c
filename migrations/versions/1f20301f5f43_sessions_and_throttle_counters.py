"""server-side sessions and throttle counters

Revision ID: 1f20301f5f43
Revises: b8e2f4a6c1d0
Create Date: 2026-12-07 02:31:56.658318

- `user_session`: one row per login; its key (hashed here) rides in the session and remember-me cookies, so
  logout, «Выйти на всех устройствах», a password change and deactivation end sessions by deleting rows.
  That replaces `user.session_version`, which is dropped (every browser logs in again once).
- `throttle_counter`: failed-attempt counters shared by every process (mo_app/throttle.py).

Both are in cache.UNWATCHED_TABLES (no cached page shows them): no data_version triggers, so a login, a
renewed last_seen or a counted attempt keeps the data stamp. `session_version` is dropped with a plain
ALTER TABLE (SQLite ≥ 3.35, PostgreSQL), not a batch copy of `user`, which would lose its triggers.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f20301f5f43'
down_revision = 'b8e2f4a6c1d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_counter',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counter'))
    )
    op.create_index(op.f('ix_throttle_counter_expires_at'), 'throttle_counter', ['expires_at'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_session_key_hash'))
    )
    op.create_index(op.f('ix_user_session_expires_at'), 'user_session', ['expires_at'], unique=False)
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'], unique=False)

    op.execute('ALTER TABLE "user" DROP COLUMN session_version')


def downgrade():
    op.add_column('user', sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_index(op.f('ix_user_session_expires_at'), table_name='user_session')
    op.drop_table('user_session')
    op.drop_index(op.f('ix_throttle_counter_expires_at'), table_name='throttle_counter')
    op.drop_table('throttle_counter')
