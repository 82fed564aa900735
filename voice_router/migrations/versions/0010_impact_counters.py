"""impact kept by difference: per-group customer and account tallies, new tickets per day

`impactmember` holds, for each problem's merge group, how many active pain points name each
customer and account; `impactday` how many of the group's tickets were first reported on
each UTC day. Processing updates both (and the problem's counts) by difference instead of
recounting every pain point of a touched problem; trends read `impactday`. Both are filled
here from the pain points, the way `voice-router recompute --fix` would.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Each problem with itself and every problem it is merged into (at any depth): a pain point
# of `problem_id` counts for every `owner_id`.
OWNERS = """
WITH RECURSIVE owners(problem_id, owner_id) AS (
    SELECT id, id FROM problem
    UNION ALL
    SELECT owners.problem_id, problem.merged_into_id FROM owners
    JOIN problem ON problem.id = owners.owner_id
    WHERE problem.merged_into_id IS NOT NULL
)
"""

ACTIVE = "FROM painpoint JOIN owners ON owners.problem_id = painpoint.problem_id " + (
    "WHERE painpoint.removed_at IS NULL"
)


def upgrade() -> None:
    op.create_table(
        "impactmember",
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("problem.id"), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "kind", "member_id"),
    )
    op.create_table(
        "impactday",
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("problem.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "day"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    day = "CAST((first AT TIME ZONE 'UTC') AS date)" if postgres else "substr(first, 1, 10)"
    op.execute(
        OWNERS + "INSERT INTO impactmember (owner_id, kind, member_id, n) "
        f"SELECT owner_id, 'c', customer_id, count(*) {ACTIVE} GROUP BY owner_id, customer_id"
    )
    op.execute(
        OWNERS + "INSERT INTO impactmember (owner_id, kind, member_id, n) "
        f"SELECT owner_id, 'a', account_id, count(*) {ACTIVE} "
        "AND painpoint.account_id IS NOT NULL GROUP BY owner_id, account_id"
    )
    op.execute(
        OWNERS + "INSERT INTO impactday (owner_id, day, tickets) "
        f"SELECT owner_id, {day}, count(*) FROM ("
        f"SELECT owner_id, min(painpoint.reported_at) AS first {ACTIVE} "
        "GROUP BY owner_id, painpoint.source, painpoint.ticket_id) AS firsts "
        f"GROUP BY owner_id, {day}"
    )


def downgrade() -> None:
    op.drop_table("impactday")
    op.drop_table("impactmember")
