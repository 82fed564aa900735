"""jira link and notes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:43:31.906343
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('arr_at_risk', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('jira_comment_id', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_problem_id'), ['problem_id'], unique=False)

    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jira_key', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.add_column(sa.Column('jira_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('jira_status', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('jira_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('jira_content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('jira_merge_notice_for', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_problem_jira_key'), ['jira_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_jira_key'))
        batch_op.drop_column('jira_merge_notice_for')
        batch_op.drop_column('jira_content_hash')
        batch_op.drop_column('jira_error')
        batch_op.drop_column('jira_status')
        batch_op.drop_column('jira_url')
        batch_op.drop_column('jira_key')

    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_problem_id'))

    op.drop_table('note')
