"""participation certificates: an event's volume in hours, a speaker's talk, certificates kept as issued

Revision ID: c3e8a9f1d2b4
Revises: b8e2d4f6a1c3
Create Date: 2026-12-07 07:00:00

- event.hours: the volume in academic hours («Объём, ч.»), optional.
- registration.talk_title: set for a speaker («выступление»).
- issued_document.revoked_at: a revoked paper (/verify says «аннулирован»).
- certificate: one current per registration (partial unique index), its PDF as issued; no cached page shows it
  (no stamp triggers). Columns are added with plain ALTER TABLE (a batch copy on SQLite would drop the stamp
  triggers).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e8a9f1d2b4'
down_revision = 'b8e2d4f6a1c3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('event', sa.Column('hours', sa.Integer(), nullable=True))
    op.add_column('registration', sa.Column('talk_title', sa.String(length=300), nullable=True))
    op.add_column('issued_document', sa.Column('revoked_at', sa.DateTime(), nullable=True))
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('issued_document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('printed', sa.JSON(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['issued_document_id'], ['issued_document.id'],
                            name=op.f('fk_certificate_issued_document_id_issued_document')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                            name=op.f('fk_certificate_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('issued_document_id', name=op.f('uq_certificate_issued_document_id')),
    sa.UniqueConstraint('number', name=op.f('uq_certificate_number'))
    )
    op.create_index('ix_certificate_registration_id', 'certificate', ['registration_id'])
    op.create_index('uq_certificate_current', 'certificate', ['registration_id'], unique=True,
                    sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))


def downgrade():
    op.drop_index('uq_certificate_current', table_name='certificate')
    op.drop_index('ix_certificate_registration_id', table_name='certificate')
    op.drop_table('certificate')
    op.drop_column('issued_document', 'revoked_at')
    op.drop_column('registration', 'talk_title')
    op.drop_column('event', 'hours')
