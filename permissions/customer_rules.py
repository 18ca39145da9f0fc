"""Field rules of the customers area (issue 7): customer records are the insurer's."""

from __future__ import annotations

from permissions.fields import Audience, FieldRule
from permissions.principal import Role

CUSTOMER_RECORD = FieldRule(
    "customerRecord",
    [Audience.STAFF],
    "the insurer's staff only (customer records carry the portal's personal data); never "
    "partners, customers or API keys.",
    lambda principal, source, info: principal.role is Role.STAFF,
)
