"""shipping and notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:59:31.154251
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('setting',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('outbound',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('problem_id', 'channel', 'target', name='uq_outbound')
    )
    with op.batch_alter_table('outbound', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_problem_id'), ['problem_id'], unique=False)

    op.create_table('customernotice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('notified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('notified_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('problem_id', 'customer_id', name='uq_notice')
    )
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jira_status_category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('jira_resolution', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('jira_event_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('jira_unlinked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('shipped_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('regressed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('regression_noticed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_column('regression_noticed_at')
        batch_op.drop_column('regressed_at')
        batch_op.drop_column('shipped_at')
        batch_op.drop_column('jira_unlinked_at')
        batch_op.drop_column('jira_event_at')
        batch_op.drop_column('jira_resolution')
        batch_op.drop_column('jira_status_category')

    op.drop_table('customernotice')
    with op.batch_alter_table('outbound', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_problem_id'))
        batch_op.drop_index('ix_outbound_due')

    op.drop_table('outbound')
    op.drop_table('setting')
