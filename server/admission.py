"""Admission: what every operation passes before either read path or the resolvers run.

In order: the document (a persisted-query hash resolved to its text; customers limited to
registered documents when so configured), parse with the token limit and validation with
the depth and alias limits (both cached per document text), introspection for customers,
the static cost against MAX_COST, and the client's points bucket. A refusal is an
AppError with its code; the caller words it (HTTP: 429 for RATE_LIMITED).

HTTP requests are admitted by the view (and the lean path) before the compiled path or
Strawberry run; WebSocket operations by `schema.gate.SocketGate` through the socket
context. Documents that do not parse or validate are charged one point and left to
Strawberry, which reports their errors (the limit rules are among its own).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    specified_rules,
)
from graphql.utilities import get_operation_ast
from graphql.validation import NoDeprecatedCustomRule, validate
from strawberry.schema.schema import validate_document

from permissions.principal import Principal, Role
from schema.cost import MAX_COST, CostEstimates, actual_cost, actual_cost_of_json
from schema.limits import LIMIT_RULES, parse_limited
from server.errors import AppError, ErrorCode, forbidden
from server.ratelimit import Buckets, Budget, rate_limited
from server.settings import Settings
from server.trusted_documents import TrustedDocuments

deprecation_log = logging.getLogger("casegraph.deprecated")
VALIDATION_RULES = (*specified_rules, *LIMIT_RULES)  # what Strawberry validates with
_INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_COORDINATE = re.compile(r"\w+\.\w+")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What is known about one document text, whoever sends it."""

    document: DocumentNode | None
    valid: bool
    introspection: bool
    deprecated: tuple[str, ...]  # "Type.field" used although deprecated


@dataclass(slots=True)
class Ticket:
    """An admitted operation: the text to run, its estimated cost and the budget after."""

    query: str | None
    valid: bool  # parsed and validated: the compiled path may answer it
    cost: int
    budget: Budget | None
    operation_type: OperationType | None = None
    root_fields: int = 0

    def report(self, data: Any) -> dict[str, Any]:
        """`extensions.cost` of the response whose data is `data`."""
        actual = actual_cost(data, self.operation_type, self.root_fields) if self.valid else 0
        return self._report(actual)

    def report_json(self, body: bytes) -> dict[str, Any]:
        """`extensions.cost` of a response that is still JSON text (`{"data": ...}`)."""
        valid = self.valid
        actual = actual_cost_of_json(body, self.operation_type, self.root_fields) if valid else 0
        return self._report(actual)

    def _report(self, actual: int) -> dict[str, Any]:
        budget = self.budget
        return {
            "requested": self.cost,
            "actual": actual,
            "maximum": MAX_COST,
            "budget": None
            if budget is None
            else {
                "limit": budget.capacity,
                "remaining": budget.remaining,
                "resetAt": dt.datetime.fromtimestamp(budget.reset_at, dt.UTC).isoformat(),
            },
        }


def client_key(principal: Principal | None, client_ip: str | None) -> str:
    """Whose bucket an operation draws from: the principal, else the address."""
    return principal.label() if principal is not None else f"ip:{client_ip or 'unknown'}"


class Admission:
    def __init__(
        self,
        schema: GraphQLSchema,
        settings: Settings,
        buckets: Buckets,
        documents: TrustedDocuments,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.buckets = buckets
        self.documents = documents
        self.analyse = functools.lru_cache(maxsize=1000)(self._analyse)
        self.estimates = CostEstimates(schema)

    async def admit(
        self,
        *,
        query: str | None,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None,
        principal: Principal | None,
        client_ip: str | None,
    ) -> Ticket:
        customer = principal is not None and principal.role is Role.CUSTOMER
        registered_only = customer and self.settings.trusted_documents_only_for_customers
        text = await self.documents.resolve(query, extensions, registered_only=registered_only)
        analysis = self.analyse(text) if text is not None else None
        if analysis is None or not analysis.valid or analysis.document is None:
            budget = await self.charge(principal, client_ip, 1)
            return Ticket(query=text, valid=False, cost=1, budget=budget)
        operation = get_operation_ast(analysis.document, operation_name)
        if operation is None:  # Strawberry words the missing or ambiguous operation
            return Ticket(query=text, valid=False, cost=1, budget=None)
        if analysis.introspection and customer and not self.settings.introspection_for_customers:
            raise forbidden("Introspection is turned off for customer sessions.")
        cost = self.estimates.estimate(analysis.document, operation_name, variables)
        if cost > MAX_COST:
            raise AppError(
                ErrorCode.COST_LIMIT,
                f"This operation may cost {cost} points; the maximum is {MAX_COST}. "
                "Ask for smaller pages (first/last) or fewer nested lists.",
                cost={"requested": cost, "maximum": MAX_COST},
            )
        # At least a point per operation: introspection and `{ __typename }` estimate 0,
        # and must not be free to repeat without limit.
        budget = await self.charge(principal, client_ip, max(1, cost))
        if analysis.deprecated:
            deprecation_log.info(
                "deprecated fields used",
                extra={"client": client_key(principal, client_ip), "fields": analysis.deprecated},
            )
        root_fields = sum(1 for s in operation.selection_set.selections)
        return Ticket(text, True, cost, budget, operation.operation, root_fields)

    async def charge(
        self, principal: Principal | None, client_ip: str | None, cost: int
    ) -> Budget | None:
        """Take `cost` from the client's bucket; RATE_LIMITED when it does not fit."""
        settings = self.settings
        if settings.rate_limit_points <= 0:
            return None
        budget = await self.buckets.charge(
            client_key(principal, client_ip),
            cost,
            capacity=settings.rate_limit_points,
            refill=settings.rate_limit_refill_per_second,
        )
        if not budget.allowed:
            raise rate_limited(budget, f"This operation costs {cost} points")
        return budget

    def _analyse(self, text: str) -> Analysis:
        try:
            document = parse_limited(text)
        except GraphQLError:
            return Analysis(None, False, False, ())
        errors = validate_document(self.schema, document, VALIDATION_RULES)
        if errors:
            return Analysis(document, False, False, ())
        deprecated = tuple(
            sorted({_deprecated_name(e) for e in validate(self.schema, document, [_Deprecated])})
        )
        return Analysis(document, True, _introspects(document), deprecated)


class _Deprecated(NoDeprecatedCustomRule):
    """graphql-core's rule that reports every deprecated field, argument and enum value."""


def _deprecated_name(error: GraphQLError) -> str:
    # "The field Case.x is deprecated. …", "The enum value 'E.V' is deprecated. …"
    found = _COORDINATE.search(error.message)
    return found.group(0) if found else error.message


def _introspects(document: DocumentNode) -> bool:
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if getattr(node, "kind", None) == "field" and node.name.value in _INTROSPECTION_FIELDS:
            return True
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return False
