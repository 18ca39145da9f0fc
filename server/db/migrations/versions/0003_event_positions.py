"""transaction ids on feed entries and messages: a gap-free position across cases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The 64-bit id of the inserting transaction (xid8 as bigint). Rows are final once their
# transaction is older than every running one (pg_snapshot_xmin), so ordering by
# (txid, id) below that horizon never lets a later commit land before a delivered row.
TXID_DEFAULT = sa.text("(pg_current_xact_id())::text::bigint")
TABLES = ("feed_entries", "messages")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("txid", sa.BigInteger(), server_default=TXID_DEFAULT, nullable=False),
        )
        op.create_index(f"ix_{table}_insurer_txid", table, ["insurer_id", "txid", "id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_insurer_txid", table_name=table)
        op.drop_column(table, "txid")
