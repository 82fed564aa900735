"""merge suggestions read shared accounts and customers off `impactmember`

An index on `impactmember (kind, member_id, owner_id, n)`: the suggestions of one problem
find every other merge group that names one of its accounts or customers in one query
over the tallies, instead of two reads over the pain points.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:00:00
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_impactmember_member", "impactmember", ["kind", "member_id", "owner_id", "n"]
    )


def downgrade() -> None:
    op.drop_index("ix_impactmember_member", table_name="impactmember")
