"""a tally's count moves in place: `n` leaves the suggestions' index, pages keep room

Each processing batch moves the counts `n` of a few thousand `impactmember` tallies. `n` was
the last column of `ix_impactmember_member` (kind, member_id, owner_id, n), so PostgreSQL
wrote every such update as a new row version with new entries in both of the table's
indexes, and the dead versions piled up in the heap and the indexes until vacuumed. The
suggestions' index now stops at `owner_id` (`ix_impactmember_shared`): a tally only exists
while its count is above zero, so nothing needs `n` from the index. With `n` in no index
and a fifth of each page kept free (fillfactor 80), an update is a heap-only tuple on the
same page while the page has room: no index entry is written, and the page is pruned of
dead versions as it fills (244,779 of 245,667 updates over 200,000 deliveries,
docs/benchmarks.md section 2).

On PostgreSQL the indexes are built and dropped CONCURRENTLY (`online_index`); the new
fillfactor applies to pages written from now on.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 02:30:00
"""

from alembic import op

from voice_router.platform import online_index

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

FILLFACTOR = 80


def upgrade() -> None:
    online_index.create("ix_impactmember_shared", "impactmember", ["kind", "member_id", "owner_id"])
    online_index.drop("ix_impactmember_member", "impactmember")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE impactmember SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE impactmember RESET (fillfactor)")
    online_index.create(
        "ix_impactmember_member", "impactmember", ["kind", "member_id", "owner_id", "n"]
    )
    online_index.drop("ix_impactmember_shared", "impactmember")
