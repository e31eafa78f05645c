"""scheduled_job: the worker's schedule (mo_app/worker.py)

Revision ID: a3f8d2c61b07
Revises: e5b1c9d3a7f2
Create Date: 2026-12-07 03:00:00

No data_version triggers: no cached page shows it (cache.UNWATCHED_TABLES), and it changes every time a job
runs.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3f8d2c61b07'
down_revision = 'e5b1c9d3a7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduled_job',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('schedule', sa.String(length=80), nullable=False),
    sa.Column('next_run_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('locked_by', sa.String(length=120), nullable=True),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.String(length=10), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduled_job'))
    )


def downgrade():
    op.drop_table('scheduled_job')
