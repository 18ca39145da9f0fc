"""Field-level rules as Strawberry permission classes, visible in the schema.

Each guarded field carries `@visibleTo(roles: [...], rule: "...")` in the printed SDL, and
the same sentence in its description, which is what introspection shows. A denied field
raises FORBIDDEN naming the rule; it is never a silent null.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from permissions.principal import Principal
from server.errors import forbidden


@strawberry.enum(description="A kind of principal a field rule admits.")
class Audience(enum.Enum):
    STAFF = strawberry.enum_value("staff", description="Employees of the insurer.")
    PARTNER = strawberry.enum_value("partner", description="Partner users on their cases.")
    EXTERNAL_CASE_HANDLER = strawberry.enum_value(
        "external_case_handler", description="The partner user handling this case."
    )
    CUSTOMER = strawberry.enum_value("customer", description="The customer of this case.")
    INTEGRATION = strawberry.enum_value("integration", description="API keys, by scope.")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="visibleTo",
    description="Who may read this field; others get a FORBIDDEN error naming the rule.",
)
class VisibleTo:
    roles: list[Audience] = strawberry.field(description="Principals the rule can admit.")
    rule: str = strawberry.field(description="The rule, in one sentence.")


Check = Callable[[Principal, Any, Any], bool]
AsyncCheck = Callable[[Principal, Any, Any], Awaitable[bool]]


class FieldRule(BasePermission):
    """One named rule: `check(principal, source, info)` decides, the directive documents.

    Checks are synchronous (no I/O), so guarded fields stay on Strawberry's sync path.
    Without a principal the field fails closed with UNAUTHENTICATED.
    """

    def __init__(self, name: str, roles: list[Audience], rule: str, check: Check) -> None:
        self.name = name
        self.rule = rule
        self.check = check
        self._schema_directive = VisibleTo(roles=roles, rule=rule)

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(self.check(info.context.require_principal(), source, info))

    def on_unauthorized(self) -> None:
        raise forbidden(f"Not allowed to read this field ({self.name}): {self.rule}")

    def describe(self, description: str) -> str:
        return f"{description}\n\nVisible to: {self.rule}"


class AsyncFieldRule(FieldRule):
    """A rule that must load something (through the request's loaders) to decide."""

    def __init__(self, name: str, roles: list[Audience], rule: str, check: AsyncCheck) -> None:
        super().__init__(name, roles, rule, check)  # type: ignore[arg-type]

    async def has_permission(  # type: ignore[override]
        self, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> bool:
        return bool(await self.check(info.context.require_principal(), source, info))


def guarded(rule: FieldRule, description: str, **field_kwargs: Any) -> Any:
    """A `strawberry.field` behind `rule`; usable bare or as a resolver decorator."""
    return strawberry.field(
        description=rule.describe(description),
        extensions=[PermissionExtension([rule], use_directives=True)],
        **field_kwargs,
    )
