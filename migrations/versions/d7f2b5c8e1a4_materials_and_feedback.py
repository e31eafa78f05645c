"""event materials (files and links) and feedback after an event (#18 §3–4)

Revision ID: d7f2b5c8e1a4
Revises: c3e8a9f1d2b4
Create Date: 2026-12-07 07:30:00

- event_material: a file (stored under UPLOAD_FOLDER/materials by a random name) or an http(s) link, with a title.
- event_feedback: one answer per participant and event (unique), usefulness 1–5 and three comments.
No cached page shows either table: they are in cache.UNWATCHED_TABLES (no stamp triggers).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7f2b5c8e1a4'
down_revision = 'c3e8a9f1d2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('content_type', sa.String(length=120), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('is_sample', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['user.id'], name=op.f('fk_event_material_added_by_id_user')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_material_event_id_event'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_material'))
    )
    op.create_index(op.f('ix_event_material_event_id'), 'event_material', ['event_id'])
    op.create_table('event_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('usefulness', sa.Integer(), nullable=False),
    sa.Column('most_useful', sa.Text(), nullable=True),
    sa.Column('to_improve', sa.Text(), nullable=True),
    sa.Column('topics_wanted', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_sample', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_feedback_event_id_event'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_feedback_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_feedback')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_event_feedback_event_id'))
    )
    op.create_index(op.f('ix_event_feedback_event_id'), 'event_feedback', ['event_id'])
    op.create_index(op.f('ix_event_feedback_user_id'), 'event_feedback', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_event_feedback_user_id'), table_name='event_feedback')
    op.drop_index(op.f('ix_event_feedback_event_id'), table_name='event_feedback')
    op.drop_table('event_feedback')
    op.drop_index(op.f('ix_event_material_event_id'), table_name='event_material')
    op.drop_table('event_material')
