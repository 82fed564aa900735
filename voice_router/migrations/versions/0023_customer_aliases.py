"""the addresses a customer had before, hashed

New table `customeralias` (a customer, the sha256 of an address they had before): an address
change overwrote `customer.email`, so `voice-router forget OLD_ADDRESS` found the person only
through deliveries that still carried the old address with a helpdesk id, and a late
delivery naming the old address was not known to be theirs. Existing customers have none:
their next address change writes one.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 01:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customeralias",
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), primary_key=True),
        sa.Column("email_hash", sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
    )
    op.create_index("ix_customeralias_email_hash", "customeralias", ["email_hash"])


def downgrade() -> None:
    op.drop_index("ix_customeralias_email_hash", table_name="customeralias")
    op.drop_table("customeralias")
