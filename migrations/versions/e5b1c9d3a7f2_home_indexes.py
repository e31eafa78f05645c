"""home page indexes

Revision ID: e5b1c9d3a7f2
Revises: c4d7a1e2f9b3
Create Date: 2026-11-26 13:50:00

Indexes only, for the methodologist's desk at city scale (60,000 sign-ups, 6,000 reports):
- registration (created_at): «new sign-ups since your last login» reads the new ones, not every sign-up;
- visit_report (updated_at) of the drafts only: the drafts list reads the few drafts in order. A partial
  index, because the planner's statistics (ANALYZE) see one status on nearly every report and would scan
  them all rather than use ix_visit_report_status for the rare 'draft'.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b1c9d3a7f2'
down_revision = 'c4d7a1e2f9b3'
branch_labels = None
depends_on = None

DRAFTS = sa.text("status = 'draft'")


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_created_at', ['created_at'], unique=False)

    with op.batch_alter_table('visit_report', schema=None) as batch_op:
        batch_op.create_index('ix_visit_report_drafts', ['updated_at'], unique=False,
                              sqlite_where=DRAFTS, postgresql_where=DRAFTS)


def downgrade():
    with op.batch_alter_table('visit_report', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_report_drafts')

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_created_at')
