"""partners: case coordinates, office categories, the external case handler role's rights,
budgets, and their feed events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_EVENTS = [
    "call_history", "inspector_assigned", "main_inspection_started",
    "main_inspection_completed", "compensation_decision", "task_started_or_ended",
    "case_closed", "main_inspection_office_changed", "new_tasks_added",
    "repair_task_responsible_changed", "repair_task_office_changed", "case_reopened",
    "project_manager_changed", "project_management_office_changed",
    "customer_meeting_time_changed", "repair_task_schedule_changed",
    "communication_to_customer", "document_shared", "document_sharing_revoked",
    "case_created", "case_updated", "case_put_on_hold", "task_removed", "task_approved",
    "document_uploaded", "message_from_customer", "comment_added", "case_resumed",
    "task_schedule_changed",
]  # fmt: skip
NEW_EVENTS = [
    *OLD_EVENTS,
    "external_case_handler_office_assigned", "external_case_handler_assigned",
    "budget_submitted", "budget_approved", "budget_rejected",
]  # fmt: skip


def _event_check(values: list[str]) -> None:
    op.drop_constraint("ck_feedeventtype", "feed_entries", type_="check")
    quoted = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint("ck_feedeventtype", "feed_entries", f"type IN ({quoted})")


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.add_column("cases", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("cases", sa.Column("longitude", sa.Float(), nullable=True))
    op.create_table(
        "office_categories",
        sa.Column("id", sa.BigInteger(), autoincrement=True, primary_key=True),
        sa.Column("insurer_id", sa.BigInteger(), sa.ForeignKey("companies.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.UniqueConstraint("insurer_id", "name", name="uq_office_categories_name"),
    )
    op.create_index("ix_office_categories_insurer_id", "office_categories", ["insurer_id"])
    op.create_table(
        "office_category_links",
        sa.Column(
            "office_id",
            sa.BigInteger(),
            sa.ForeignKey("offices.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "category_id",
            sa.BigInteger(),
            sa.ForeignKey("office_categories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index(
        "ix_office_category_links_category_id", "office_category_links", ["category_id"]
    )
    op.create_table(
        "external_case_handler_roles",
        sa.Column("insurer_id", sa.BigInteger(), sa.ForeignKey("companies.id"), primary_key=True),
        sa.Column("rights", sa.ARRAY(sa.String(48)), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_by_user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "budgets",
        sa.Column("id", sa.BigInteger(), autoincrement=True, primary_key=True),
        sa.Column("insurer_id", sa.BigInteger(), sa.ForeignKey("companies.id"), nullable=False),
        sa.Column(
            "case_id",
            sa.BigInteger(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "task_id",
            sa.BigInteger(),
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("office_id", sa.BigInteger(), sa.ForeignKey("offices.id"), nullable=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "document_id",
            sa.BigInteger(),
            sa.ForeignKey("documents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                name="ck_budgetstatus",
                native_enum=False,
                create_constraint=True,
                length=48,
            ),  # fmt: skip
            server_default="submitted",
            nullable=False,
        ),
        sa.Column(
            "submitted_by_user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=True
        ),
        sa.Column("decided_by_user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )
    for column in ("insurer_id", "case_id", "task_id"):
        op.create_index(f"ix_budgets_{column}", "budgets", [column])
    _event_check(NEW_EVENTS)


def downgrade() -> None:
    _event_check(OLD_EVENTS)
    op.drop_table("budgets")
    op.drop_table("external_case_handler_roles")
    op.drop_table("office_category_links")
    op.drop_table("office_categories")
    op.drop_column("cases", "longitude")
    op.drop_column("cases", "latitude")
