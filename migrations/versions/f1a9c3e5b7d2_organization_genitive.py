"""organization.name_genitive: the name after «на базе …» in the plan (#17 §4)

Revision ID: f1a9c3e5b7d2
Revises: d7f2b5c8e1a4
Create Date: 2026-12-07 13:15:00

Nullable: where it is empty the plan writes the short name, as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a9c3e5b7d2'
down_revision = 'd7f2b5c8e1a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_genitive', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('name_genitive')
