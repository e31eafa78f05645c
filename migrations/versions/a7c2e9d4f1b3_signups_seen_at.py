"""user.signups_seen_at: «Новые записи» count from the methodologist's «Просмотрено», not her last login (#17 §5)

Revision ID: a7c2e9d4f1b3
Revises: f1a9c3e5b7d2
Create Date: 2026-12-07 13:35:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c2e9d4f1b3'
down_revision = 'f1a9c3e5b7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signups_seen_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('signups_seen_at')
