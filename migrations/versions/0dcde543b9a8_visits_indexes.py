"""visits indexes

Revision ID: 0dcde543b9a8
Revises: 48f88b380420
Create Date: 2026-11-26 10:36:09.079495

Indexes only, for the visits pages at city scale (20,000 recommendations, 6,000 visits):
- recommendation (deadline, id, status, report_id): the follow-up list is paged along it in SQL;
- recommendation (status, deadline, report_id): its counters are counted from the index alone;
- visit_report (status): «of a finalised report» reads the few drafts instead of every report;
- visit (year_id, date_start, id, organization_id): a year's visits in date order from the index alone.
The single-column indexes they start with (recommendation.deadline, recommendation.status, visit.year_id) go.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0dcde543b9a8'
down_revision = '48f88b380420'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_deadline'))
        batch_op.drop_index(batch_op.f('ix_recommendation_status'))
        batch_op.create_index('ix_recommendation_deadline_id', ['deadline', 'id', 'status', 'report_id'], unique=False)
        batch_op.create_index('ix_recommendation_status_deadline', ['status', 'deadline', 'report_id'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_year_id'))
        batch_op.create_index('ix_visit_year_date', ['year_id', 'date_start', 'id', 'organization_id'], unique=False)

    with op.batch_alter_table('visit_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_report_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('visit_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_report_status'))

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_year_date')
        batch_op.create_index(batch_op.f('ix_visit_year_id'), ['year_id'], unique=False)

    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendation_status_deadline')
        batch_op.drop_index('ix_recommendation_deadline_id')
        batch_op.create_index(batch_op.f('ix_recommendation_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_deadline'), ['deadline'], unique=False)
