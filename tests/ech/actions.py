"""Every action a right of the external case handler gates: the `viewerCan` flag, the
right, and the mutation that does it on a staged case (tests/ech/stage.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from permissions.rights import Right
from tests.ech.stage import Stage

TASK_ADD = """
mutation ($input: TaskAddInput!) { taskAdd(input: $input) { errors { code message } } }"""
TASK_REMOVE = """
mutation ($input: TaskInput!) { taskRemove(input: $input) { errors { code message } } }"""
TASK_ASSIGN_OFFICE = """
mutation ($input: TaskAssignOfficeInput!) {
  taskAssignOffice(input: $input) { errors { code message } }
}"""
TASK_ASSIGN_RESPONSIBLE = """
mutation ($input: TaskAssignResponsibleInput!) {
  taskAssignResponsible(input: $input) { errors { code message } }
}"""
TASK_APPROVE = """
mutation ($input: TaskInput!) { taskApprove(input: $input) { errors { code message } } }"""
TASK_START = """
mutation ($input: TaskInput!) { taskStart(input: $input) { errors { code message } } }"""
CASE_DECIDE = """
mutation ($input: CaseCompensationDecisionInput!) {
  caseSetCompensationDecision(input: $input) { errors { code message } }
}"""
ACCESS_GRANT = """
mutation ($input: CustomerAccessGrantInput!) {
  customerAccessGrant(input: $input) { errors { code message } }
}"""
ACCESS_REVOKE = """
mutation ($input: CustomerAccessRevokeInput!) {
  customerAccessRevoke(input: $input) { errors { code message } }
}"""
DOCUMENT_SHARE = """
mutation ($input: DocumentShareInput!) { documentShare(input: $input) { errors { code message } } }"""
MESSAGE_SEND = """
mutation ($input: MessageSendInput!) { messageSend(input: $input) { errors { code message } } }"""


@dataclass(frozen=True)
class Action:
    flag: str  # the CaseViewerCan field
    right: Right
    field: str  # the mutation
    document: str
    input: Callable[[Stage], dict[str, Any]]

    def variables(self, stage: Stage) -> dict[str, Any]:
        return {"input": self.input(stage)}


ACTIONS = [
    Action(
        "addTasks",
        Right.MANAGE_TASKS,
        "taskAdd",
        TASK_ADD,
        lambda s: {"caseId": s.case_gid, "kind": "REPAIR", "title": "Roofing"},
    ),
    Action(
        "removeTasks",
        Right.MANAGE_TASKS,
        "taskRemove",
        TASK_REMOVE,
        lambda s: {"taskId": s.gid("Task", "to_remove")},
    ),
    Action(
        "assignTasks",
        Right.ASSIGN_TASKS,
        "taskAssignOffice",
        TASK_ASSIGN_OFFICE,
        lambda s: {"taskId": s.gid("Task", "unassigned"), "officeId": s.office_gid},
    ),
    Action(
        "assignTasks",
        Right.ASSIGN_TASKS,
        "taskAssignResponsible",
        TASK_ASSIGN_RESPONSIBLE,
        lambda s: {"taskId": s.gid("Task", "for_responsible"), "userId": s.user_gid},
    ),
    Action(
        "decideCompensation",
        Right.DECIDE_COMPENSATION,
        "caseSetCompensationDecision",
        CASE_DECIDE,
        lambda s: {"caseId": s.case_gid, "decision": "ACCEPTED"},
    ),
    Action(
        "approveTasks",
        Right.APPROVE_TASKS,
        "taskApprove",
        TASK_APPROVE,
        lambda s: {"taskId": s.gid("Task", "completed")},
    ),
    Action(
        "startInspection",
        Right.START_INSPECTION,
        "taskStart",
        TASK_START,
        lambda s: {"taskId": s.gid("Task", "inspection")},
    ),
    Action(
        "manageCustomerAccess",
        Right.CUSTOMER_CONTACT,
        "customerAccessGrant",
        ACCESS_GRANT,
        lambda s: {"caseId": s.case_gid, "contactId": s.gid("CaseContact", "contact")},
    ),
    Action(
        "manageCustomerAccess",
        Right.CUSTOMER_CONTACT,
        "customerAccessRevoke",
        ACCESS_REVOKE,
        lambda s: {"caseId": s.case_gid, "contactId": s.gid("CaseContact", "granted_contact")},
    ),
    Action(
        "shareDocuments",
        Right.CUSTOMER_CONTACT,
        "documentShare",
        DOCUMENT_SHARE,
        lambda s: {"documentIds": [s.gid("Document", "document")], "shared": True},
    ),
    Action(
        "sendMessages",
        Right.CUSTOMER_CONTACT,
        "messageSend",
        MESSAGE_SEND,
        lambda s: {"caseId": s.case_gid, "body": "We will call you tomorrow."},
    ),
]
