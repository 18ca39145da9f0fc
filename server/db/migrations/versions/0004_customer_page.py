"""customer page: settings and per-case overrides, SMS codes, notification outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.add_column("companies", sa.Column("logo_url", sa.String(500), nullable=True))
    op.add_column(
        "cases", sa.Column("customer_activity_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "documents",
        sa.Column("sharing_set_by_person", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column(
        "customer_access_grants",
        sa.Column("link_sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "customer_page_settings",
        sa.Column("insurer_id", sa.BigInteger(), sa.ForeignKey("companies.id"), primary_key=True),
        sa.Column("settings", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_by_user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "case_customer_page_overrides",
        sa.Column(
            "case_id",
            sa.BigInteger(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("insurer_id", sa.BigInteger(), sa.ForeignKey("companies.id"), nullable=False),
        sa.Column("settings", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_by_user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_index(
        "ix_case_customer_page_overrides_insurer_id", "case_customer_page_overrides", ["insurer_id"]
    )
    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, primary_key=True),
        sa.Column("insurer_id", sa.BigInteger(), sa.ForeignKey("companies.id"), nullable=False),
        sa.Column(
            "grant_id",
            sa.BigInteger(),
            sa.ForeignKey("customer_access_grants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            sa.BigInteger(),
            sa.ForeignKey("case_contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    for column in ("insurer_id", "grant_id", "contact_id"):
        op.create_index(f"ix_one_time_codes_{column}", "one_time_codes", [column])
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), autoincrement=True, primary_key=True),
        sa.Column("insurer_id", sa.BigInteger(), sa.ForeignKey("companies.id"), nullable=False),
        sa.Column(
            "case_id", sa.BigInteger(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_insurer_id", "notifications", ["insurer_id"])
    op.create_index(
        "ix_notifications_pending",
        "notifications",
        ["next_attempt_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("one_time_codes")
    op.drop_table("case_customer_page_overrides")
    op.drop_table("customer_page_settings")
    op.drop_column("customer_access_grants", "link_sent_at")
    op.drop_column("documents", "sharing_set_by_person")
    op.drop_column("cases", "customer_activity_at")
    op.drop_column("companies", "logo_url")
