"""GraphQL enums, built from the stored value sets so the two never drift."""

from __future__ import annotations

import strawberry

from server.db import enums

DamageType = strawberry.enum(enums.DamageType, description="What caused the damage.")
CaseStatus = strawberry.enum(
    enums.CaseStatus, description="OPEN, ON_HOLD (waiting), or CLOSED (can be reopened)."
)
CompensationDecision = strawberry.enum(
    enums.CompensationDecision, description="The insurer's decision on compensation."
)
ContactRole = strawberry.enum(enums.ContactRole, description="A contact's role on a case.")
TaskKind = strawberry.enum(
    enums.TaskKind, description="Main inspection, project management, or a repair task."
)
TaskStatus = strawberry.enum(
    enums.TaskStatus, description="NEW → ASSIGNED → STARTED → COMPLETED → APPROVED."
)
DocumentType = strawberry.enum(enums.DocumentType, description="What kind of document.")
MessageDirection = strawberry.enum(
    enums.MessageDirection, description="Whether the customer sent or received a message."
)
FeedEventType = strawberry.enum(
    enums.FeedEventType,
    description=(
        "What happened on a case. The first 19 values are the customer-facing events a "
        "customer page's feed filter can select; the rest are internal."
    ),
)
UserKind = strawberry.enum(enums.UserKind, description="Insurer staff or partner employee.")
CompanyKind = strawberry.enum(enums.CompanyKind, description="Insurer or partner company.")
