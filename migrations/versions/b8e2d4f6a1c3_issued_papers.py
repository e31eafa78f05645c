"""issued papers: a справка version keeps its PDF and SHA-256; /verify records; render slots

Revision ID: b8e2d4f6a1c3
Revises: 1f20301f5f43
Create Date: 2026-12-07 12:00:00

- report_version: a version is now made when a справка is finalised (issued), with its PDF bytes, their
  SHA-256 and the code printed on it; reopening sets `reopened_at` and the reason. The versions kept before
  were made at reopening: their `reopened_at` is their `created_at`. Their PDF (and that of a справка final
  before this revision) is stored at its first download.
- issued_document: the public record /verify/<code> shows (no cached page shows it: no stamp triggers).
- render_slot: a user's document renders in progress (at most two, across processes; no stamp triggers).
Columns are added with plain ALTER TABLE (no batch copy on SQLite, which would drop the stamp triggers).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e2d4f6a1c3'
down_revision = '1f20301f5f43'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issued_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_document')),
    sa.UniqueConstraint('code', name=op.f('uq_issued_document_code'))
    )
    op.create_table('render_slot',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'slot', name=op.f('pk_render_slot'))
    )
    op.add_column('report_version', sa.Column('reopened_at', sa.DateTime(), nullable=True))
    op.add_column('report_version', sa.Column('pdf', sa.LargeBinary(), nullable=True))
    op.add_column('report_version', sa.Column('sha256', sa.String(length=64), nullable=True))
    op.add_column('report_version', sa.Column('code', sa.String(length=16), nullable=True))
    op.create_index('ix_report_version_code', 'report_version', ['code'], unique=True)
    op.execute("UPDATE report_version SET reopened_at = created_at")


def downgrade():
    op.drop_index('ix_report_version_code', table_name='report_version')
    for column in ('code', 'sha256', 'pdf', 'reopened_at'):
        op.drop_column('report_version', column)
    op.drop_table('render_slot')
    op.drop_table('issued_document')
