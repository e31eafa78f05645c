"""the mail outbox and the kinds of letters a user turned off (#15)

Revision ID: f3a9c1e7b5d2
Revises: a7c2e9d4f1b3
Create Date: 2026-12-07 13:00:00

- mail_outbox: one letter to one address, written in the transaction of the change that causes it; the worker
  sends it (status queued → sending → sent | failed; unconfigured while SMTP_HOST is unset).
- mail_preference: a kind of letter a user turned off (no row: on).
No cached page shows either table: they are in cache.UNWATCHED_TABLES (no stamp triggers).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c1e7b5d2'
down_revision = 'a7c2e9d4f1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('sender_name', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('attachment_name', sa.String(length=200), nullable=True),
    sa.Column('attachment_type', sa.String(length=100), nullable=True),
    sa.Column('attachment', sa.LargeBinary(), nullable=True),
    sa.Column('unsubscribe_url', sa.String(length=600), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('locked_by', sa.String(length=120), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_mail_outbox_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_outbox_message_id'))
    )
    op.create_index('ix_mail_outbox_due', 'mail_outbox', ['status', 'next_attempt_at'])
    op.create_index(op.f('ix_mail_outbox_user_id'), 'mail_outbox', ['user_id'])
    op.create_table('mail_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_mail_preference_user_id_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_preference')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_mail_preference_user_id'))
    )
    op.create_index(op.f('ix_mail_preference_user_id'), 'mail_preference', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_mail_preference_user_id'), table_name='mail_preference')
    op.drop_table('mail_preference')
    op.drop_index(op.f('ix_mail_outbox_user_id'), table_name='mail_outbox')
    op.drop_index('ix_mail_outbox_due', table_name='mail_outbox')
    op.drop_table('mail_outbox')
