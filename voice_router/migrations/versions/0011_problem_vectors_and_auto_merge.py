"""cached meaning vectors per problem; who merged a problem

New table `problemvector` (one row per problem: the sum of its words' vectors, the ticket
count it was computed at) for merge suggestions by meaning; new column
`problem.merged_by` ("auto" when the auto-merge job merged it).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "problemvector",
        sa.Column("problem_id", sa.Integer(), sa.ForeignKey("problem.id"), primary_key=True),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("problem") as batch:
        batch.add_column(sa.Column("merged_by", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.drop_column("merged_by")
    op.drop_table("problemvector")
