"""Who is asking: the principal every rule and scope is evaluated for."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from permissions.customer_page import CustomerView


class Role(enum.StrEnum):
    STAFF = "staff"
    PARTNER = "partner"
    CUSTOMER = "customer"
    INTEGRATION = "integration"


class Scope(enum.StrEnum):
    """What an API key may do. A key acts for its company and never beyond its portal."""

    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    BUDGETS_READ = "budgets:read"
    MESSAGES_READ = "messages:read"
    MESSAGES_WRITE = "messages:write"
    COMMENTS_READ = "comments:read"
    COMMENTS_WRITE = "comments:write"
    DOCUMENTS_WRITE = "documents:write"


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in caller. `insurer_id` is the portal and bounds everything it can reach."""

    role: Role
    insurer_id: int
    user_id: int | None = None
    company_id: int | None = None
    office_id: int | None = None
    authority_level: int = 0
    # Customers: bound to one case through one access grant.
    case_id: int | None = None
    contact_id: int | None = None
    grant_id: int | None = None
    # What the customer page shows at the case's current milestone (customers only).
    customer: CustomerView | None = None
    # Partner users: the rights the portal gives the external case handler role; they
    # apply only on cases where this user is the external case handler (rules.ech_may).
    ech_rights: frozenset[str] = field(default_factory=frozenset)
    # Integration clients.
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # Integration key of a partner company (not the insurer's own systems).
    partner_integration: bool = False

    @property
    def acts_as_insurer(self) -> bool:
        """Staff, and the insurer's own integration keys, see the whole portal."""
        return self.role is Role.STAFF or (
            self.role is Role.INTEGRATION and not self.partner_integration
        )

    @property
    def view(self) -> CustomerView:
        """The customer's view of their case; only for customer principals."""
        assert self.customer is not None, "only customer principals carry a view"
        return self.customer

    def has_scope(self, scope: Scope) -> bool:
        return self.role is not Role.INTEGRATION or scope.value in self.scopes

    def label(self) -> str:
        """A short id for logs: never a name or an email."""
        match self.role:
            case Role.CUSTOMER:
                return f"customer:{self.grant_id}"
            case Role.INTEGRATION:
                return f"apikey:{self.api_key_id}"
            case _:
                return f"{self.role.value}:{self.user_id}"
