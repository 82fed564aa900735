"""money columns hold any realistic amount; UI sessions live on the server

Account.mrr, Problem.mrr and Note.arr_at_risk were NUMERIC(14, 2): two accounts near the
intake limit (10^10 a month each) summed past it and stopped processing. NUMERIC(20, 2)
holds 10^18. `uisession` lets sign-out end a session on the server: the cookie only names
a row, and a row that has ended (or whose token was revoked) signs nobody in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 03:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_MONEY = (("account", "mrr", True), ("problem", "mrr", False), ("note", "arr_at_risk", True))


def upgrade() -> None:
    for table, column, nullable in _MONEY:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.Numeric(14, 2),
                type_=sa.Numeric(20, 2),
                existing_nullable=nullable,
            )
    op.create_table(
        "uisession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["token_id"], ["apitoken.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_hash"),
    )
    op.create_index("ix_uisession_token_id", "uisession", ["token_id"])


def downgrade() -> None:
    op.drop_index("ix_uisession_token_id", table_name="uisession")
    op.drop_table("uisession")
    for table, column, nullable in _MONEY:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.Numeric(20, 2),
                type_=sa.Numeric(14, 2),
                existing_nullable=nullable,
            )
