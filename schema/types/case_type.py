"""Case types, their custom field definitions and task templates, and a case's values."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from permissions.case_types import INSURER_ONLY
from permissions.field_rules import NOT_FOR_CUSTOMERS
from permissions.fields import guarded
from permissions.principal import Role
from resolvers.queries.case_types import list_case_types
from resolvers.services.custom_fields import render
from schema.enums import TaskKind
from schema.node import Node, encode_global_id
from schema.types.loading import load_one
from schema.types.people import Office, User
from schema.types.sla import Priority
from server.db import enums

CustomFieldKind = strawberry.enum(
    enums.CustomFieldKind,
    description="What a custom field holds: TEXT, NUMBER (a decimal number), DATE (ISO "
    "date, YYYY-MM-DD) or CHOICE (one of the field's options).",
)
CaseOrigin = strawberry.enum(
    enums.CaseOrigin,
    description="Where a case came from: STAFF (opened by the insurer), CUSTOMER (reported "
    "by a signed-in customer), PUBLIC (reported through a case type's public id), "
    "RECURRING (opened by a recurring schedule).",
)


def _for_customer(info: strawberry.Info) -> bool:
    return info.context.require_principal().role is Role.CUSTOMER  # type: ignore[no-any-return]


@strawberry.type(description="A custom field of a case type.")
class CaseTypeField:
    key: str = strawberry.field(
        description="Stable key of the value (`customFields: [{key, value}]`)."
    )
    label: str = strawberry.field(description="What the field is called in forms.")
    kind: CustomFieldKind = strawberry.field(  # type: ignore[valid-type]
        description="What the field holds."
    )
    options: list[str] = strawberry.field(description="The choices of a CHOICE field, in order.")
    required: bool = strawberry.field(description="A case of the type needs a value.")
    visible_to_customer: bool = strawberry.field(
        description="Customers see (and reporters fill) this field; hidden fields never "
        "reach a customer."
    )

    @classmethod
    def from_row(cls, row: Any) -> CaseTypeField:
        return cls(
            key=row.key,
            label=row.label,
            kind=row.kind,
            options=list(row.options or []),
            required=row.required,
            visible_to_customer=row.visible_to_customer,
        )


@strawberry.type(description="A task opened with every new case of a type.")
class CaseTypeTaskTemplate:
    row: strawberry.Private[Any]
    kind: TaskKind = strawberry.field(description="The task's kind.")
    title: str = strawberry.field(description="The task's title.")
    description: str | None = strawberry.field(description="The task's description.")
    start_after_days: int | None = strawberry.field(
        description="The task's scheduled start, in days after the case is opened; null: "
        "unscheduled."
    )

    @strawberry.field(
        description="The office the task is assigned to (when it takes new tasks then)."
    )
    async def office(self, info: strawberry.Info) -> Office | None:
        return await load_one(info, "office_by_id", self.row.office_id, Office)

    @classmethod
    def from_row(cls, row: Any) -> CaseTypeTaskTemplate:
        return cls(
            row=row,
            kind=row.kind,
            title=row.title,
            description=row.description,
            start_after_days=row.start_after_days,
        )


@strawberry.type(description="A kind of case the insurer handles, with its own custom fields.")
class CaseType(Node):
    row: strawberry.Private[Any]
    name: str = strawberry.field(description="Name, unique in the portal.")
    description: str | None = strawberry.field(description="What the type is for.")
    active: bool = strawberry.field(description="New cases may be opened with this type.")
    customer_reporting: bool = strawberry.field(
        description="Signed-in customers may report cases of this type (`customerCaseReport`)."
    )
    public_reporting: bool = strawberry.field(
        description="Anyone with the public id may report cases of this type (`publicCaseReport`)."
    )
    public_id: str = guarded(
        INSURER_ONLY, "The id anonymous reporters give to `publicCaseReport` (not the node id)."
    )
    default_priority_id: strawberry.ID | None = guarded(
        NOT_FOR_CUSTOMERS,
        "The id of the priority new cases of the type get (a `Priority` id, as `priorities` "
        "lists them).",
    )
    default_deadline_days: int | None = guarded(
        NOT_FOR_CUSTOMERS, "New cases are due this many days after they are opened."
    )
    created_at: dt.datetime = strawberry.field(description="When the type was defined.")
    updated_at: dt.datetime = strawberry.field(description="When the type last changed.")

    @classmethod
    def from_row(cls, row: Any) -> CaseType:
        priority = row.default_priority_id
        return cls(
            row=row,
            id=encode_global_id("CaseType", row.id),
            name=row.name,
            description=row.description,
            active=row.active,
            customer_reporting=row.customer_reporting,
            public_reporting=row.public_reporting,
            public_id=row.public_id,
            default_priority_id=encode_global_id("Priority", priority) if priority else None,
            default_deadline_days=row.default_deadline_days,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @guarded(NOT_FOR_CUSTOMERS, "The priority new cases of the type get.")
    async def default_priority(self, info: strawberry.Info) -> Priority | None:
        priority_id = self.row.default_priority_id
        if priority_id is None:
            return None
        found = await info.context.loaders.priority_by_id.load(priority_id)
        return Priority.from_row(found) if found is not None else None

    @guarded(NOT_FOR_CUSTOMERS, "The case handler new cases get when none is named.")
    async def default_case_handler(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.default_case_handler_id, User)

    @strawberry.field(
        description="The custom fields, in order; customers get only those visible to them."
    )
    async def fields(self, info: strawberry.Info) -> list[CaseTypeField]:
        rows = await info.context.loaders.case_type_fields_by_type.load(self.row.id)
        hidden = _for_customer(info)
        return [CaseTypeField.from_row(r) for r in rows if r.visible_to_customer or not hidden]

    @guarded(NOT_FOR_CUSTOMERS, "The tasks every new case of the type opens with, in order.")
    async def task_templates(self, info: strawberry.Info) -> list[CaseTypeTaskTemplate]:
        rows = await info.context.loaders.case_type_templates_by_type.load(self.row.id)
        return [CaseTypeTaskTemplate.from_row(row) for row in rows]


@strawberry.type(description="A case's value of one custom field of its type.")
class CustomFieldValue:
    key: str = strawberry.field(description="The field's key.")
    label: str = strawberry.field(description="The field's label.")
    kind: CustomFieldKind = strawberry.field(  # type: ignore[valid-type]
        description="What the field holds."
    )
    value: str | None = strawberry.field(
        description="The value as text (numbers as decimals, dates as YYYY-MM-DD); null "
        "when the case has none."
    )


async def custom_field_values(info: strawberry.Info, case_row: Any) -> list[CustomFieldValue]:
    """Every field of the case's type with the case's value; a customer's only those
    visible to customers."""
    if case_row.case_type_id is None:
        return []
    rows = await info.context.loaders.case_type_fields_by_type.load(case_row.case_type_id)
    hidden = _for_customer(info)
    stored = case_row.custom_fields or {}
    return [
        CustomFieldValue(
            key=row.key, label=row.label, kind=row.kind, value=render(stored.get(row.key))
        )
        for row in rows
        if row.visible_to_customer or not hidden
    ]


async def case_types(
    info: strawberry.Info,
    include_inactive: Annotated[
        bool, strawberry.argument(description="Also types no longer used for new cases.")
    ] = False,
) -> list[CaseType]:
    """The case types the viewer reaches, by name."""
    rows = await list_case_types(
        engine=info.context.engine,
        principal=info.context.require_principal(),
        include_inactive=include_inactive,
    )
    return [CaseType.from_row(row) for row in rows]
