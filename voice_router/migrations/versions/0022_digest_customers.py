"""whom a digest named

New table `digestcustomer` (a sent digest of a shipped fix, a customer it named): an agent
told of a customer under a problem that was then merged heard of them again when the
survivor shipped.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digestcustomer",
        sa.Column("outbound_id", sa.Integer(), sa.ForeignKey("outbound.id"), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("digestcustomer")
