"""Abuse limits every operation passes before it runs: depth, aliases and tokens of the
document (Strawberry's own limiters, built once so validation stays cached), and a static
cost estimate (`schema/cost.py`).

The validators are created once at import: Strawberry's `QueryDepthLimiter(...)` builds a
new rule class per instance, and a new class per request would miss the validation cache.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSyntaxError, parse
from graphql.validation import ValidationContext
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

# Fields from the root to the deepest leaf (`{ viewer { role } }` is 1). Introspection
# fields do not count.
MAX_DEPTH = 9
MAX_ALIASES = 20  # in the whole document
MAX_TOKENS = 2000  # lexer tokens; the full introspection query has about 200
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"


def _coded(rule: type[ASTValidationRule], limit: str, maximum: int) -> type[ASTValidationRule]:
    """The rule, with its errors carrying `extensions.code` and which limit was hit.
    (Strawberry's limiters report everything from `__init__`.)"""

    class Coded(rule):  # type: ignore[valid-type, misc]
        def __init__(self, context: ValidationContext) -> None:
            report = context.report_error

            def coded(error: GraphQLError) -> None:
                extensions = {"code": QUERY_TOO_COMPLEX, "limit": limit, "max": maximum}
                report(GraphQLError(error.message, error.nodes, extensions=extensions))

            context.report_error = coded  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                context.report_error = report  # type: ignore[method-assign]

    Coded.__name__ = f"{limit.title()}Limit"
    return Coded


DEPTH_RULE = _coded(depth_validator(MAX_DEPTH, None), "depth", MAX_DEPTH)
ALIASES_RULE = _coded(aliases_validator(MAX_ALIASES), "aliases", MAX_ALIASES)
LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (DEPTH_RULE, ALIASES_RULE)


class QueryLimits(AddValidationRules):
    """Depth and alias limits as validation rules (validated once per document, cached)."""

    def __init__(self) -> None:
        super().__init__(list(LIMIT_RULES))


@functools.lru_cache(maxsize=1000)
def parse_limited(query: str) -> DocumentNode:
    """Parse with the token limit; a document over it fails with QUERY_TOO_COMPLEX."""
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if "tokens" not in error.message or "Parsing aborted" not in error.message:
            raise
        extensions = {"code": QUERY_TOO_COMPLEX, "limit": "tokens", "max": MAX_TOKENS}
        raise GraphQLError(
            f"The document has more than {MAX_TOKENS} tokens.", extensions=extensions
        ) from None


class LimitedParserCache(SchemaExtension):
    """Strawberry's ParserCache, with the token limit (MaxTokensLimiter's job) applied by
    the same cached parse the admission step uses: one parse per document text."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = parse_limited(context.query)
        yield
