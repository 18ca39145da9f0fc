"""The external case handler's rights as GraphQL: the enum, and the portal's role."""

from __future__ import annotations

import enum
from collections.abc import Iterable

import strawberry

from permissions.rights import RIGHT_DESCRIPTIONS, Right
from resolvers.services import external_case_handler as ech
from schema.types.people import Office

# Built from `Right`, so the schema and the rules never drift; each value carries its
# description from RIGHT_DESCRIPTIONS.
ExternalCaseHandlerRight = strawberry.enum(
    enum.Enum(  # type: ignore[misc]  # functional API: members come from Right
        "ExternalCaseHandlerRight",
        [
            (right.name, strawberry.enum_value(right.value, description=RIGHT_DESCRIPTIONS[right]))
            for right in Right
        ],
    ),
    description="A right the portal can give the external case handler role. It applies "
    "only on the cases where a user is the external case handler; the chat, all documents "
    "and the reported information of those cases they have whatever the rights.",
)


def to_rights(values: Iterable[object]) -> list[Right]:
    """GraphQL enum members (or Right values) as `Right`."""
    return [Right(getattr(value, "value", value)) for value in values]


def of_rights(rights: Iterable[Right]) -> list[object]:
    """`Right`s as members of the GraphQL enum."""
    return [ExternalCaseHandlerRight(right.value) for right in rights]


@strawberry.type(description="One of the 16 rights, and whether the portal's role has it.")
class ExternalCaseHandlerRightGrant:
    right: ExternalCaseHandlerRight = strawberry.field(  # type: ignore[valid-type]
        description="The right."
    )
    description: str = strawberry.field(description="What the right lets the role do.")
    granted: bool = strawberry.field(description="Whether the portal's role has it.")


@strawberry.type(
    description="The portal's definition of the external case handler role: which rights "
    "a partner user has on the cases where they are the external case handler."
)
class ExternalCaseHandlerRole:
    rights: list[ExternalCaseHandlerRight] = strawberry.field(  # type: ignore[valid-type]
        description="The rights the role has."
    )
    all_rights: list[ExternalCaseHandlerRightGrant] = strawberry.field(
        description="Every right with its description and whether the role has it, in a "
        "fixed order (for a settings screen)."
    )

    @classmethod
    def of(cls, granted: Iterable[Right]) -> ExternalCaseHandlerRole:
        granted = set(granted)
        return cls(
            rights=of_rights(right for right in Right if right in granted),
            all_rights=[
                ExternalCaseHandlerRightGrant(
                    right=ExternalCaseHandlerRight(right.value),
                    description=RIGHT_DESCRIPTIONS[right],
                    granted=right in granted,
                )
                for right in Right
            ],
        )


async def external_case_handler_role(info: strawberry.Info) -> ExternalCaseHandlerRole:
    """The portal's role definition (resolver of `Query.externalCaseHandlerRole`)."""
    principal = info.context.require_principal()
    ech.ensure_may_read_role(principal)
    async with info.context.engine.connect() as conn:
        return ExternalCaseHandlerRole.of(await ech.role_rights(conn, principal.insurer_id))


async def external_case_handler_offices(info: strawberry.Info) -> list[Office]:
    """Offices that may hold the role (resolver of `Query.externalCaseHandlerOffices`)."""
    principal = info.context.require_principal()
    async with info.context.sessions() as session:
        offices = await ech.eligible_offices(session=session, actor=principal)
    return [Office.from_row(office) for office in offices]
