"""case number counters; feed events case_resumed and task_schedule_changed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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
    "document_uploaded", "message_from_customer", "comment_added",
]  # fmt: skip
NEW_EVENTS = [*OLD_EVENTS, "case_resumed", "task_schedule_changed"]


def _event_check(values: list[str]) -> None:
    op.drop_constraint("ck_feedeventtype", "feed_entries", type_="check")
    quoted = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint("ck_feedeventtype", "feed_entries", f"type IN ({quoted})")


def upgrade() -> None:
    op.create_table(
        "case_number_counters",
        sa.Column("insurer_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["insurer_id"], ["companies.id"]),
        sa.PrimaryKeyConstraint("insurer_id", "year"),
    )
    # Start each counter where the existing numbers left off.
    op.execute(
        """INSERT INTO case_number_counters (insurer_id, year, last_serial)
           SELECT insurer_id, split_part(number, '-', 1)::int, max(split_part(number, '-', 2)::int)
           FROM cases WHERE number ~ '^[0-9]{4}-[0-9]+$' GROUP BY 1, 2"""
    )
    _event_check(NEW_EVENTS)


def downgrade() -> None:
    _event_check(OLD_EVENTS)
    op.drop_table("case_number_counters")
