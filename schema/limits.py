"""Abuse limits every operation passes before it runs: depth, aliases and tokens of the
document (Strawberry's own limiters, built once so validation stays cached), and a static
cost estimate (`schema/cost.py`).

The validators are created once at import: Strawberry's `QueryDepthLimiter(...)` builds a
new rule class per instance, and a new class per request would miss the validation cache.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from graphql.validation import ValidationContext
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

# Fields from the root to the deepest leaf (`{ viewer { role } }` is 1). Introspection
# fields do not count.
MAX_DEPTH = 9
MAX_ALIASES = 20  # in the whole document
MAX_TOKENS = 2000  # lexer tokens; the full introspection query has about 200
MAX_QUERY_CHARS = 100_000  # characters of document text, comments included
MAX_EXPANDED_SELECTIONS = 10_000  # fields once fragments are expanded
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


def parse_limited(query: str) -> DocumentNode:
    """Parse with the size, token and expansion limits; a document over one fails with
    QUERY_TOO_COMPLEX. The size is checked before the cache: a huge text is neither
    parsed nor kept."""
    if len(query) > MAX_QUERY_CHARS:
        raise _too_complex(
            "size", MAX_QUERY_CHARS, f"The document has more than {MAX_QUERY_CHARS} characters."
        )
    return _parse_cached(query)


@functools.lru_cache(maxsize=1000)
def _parse_cached(query: str) -> DocumentNode:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if "tokens" not in error.message or "Parsing aborted" not in error.message:
            raise
        raise _too_complex(
            "tokens", MAX_TOKENS, f"The document has more than {MAX_TOKENS} tokens."
        ) from None
    if expanded_selections(document) > MAX_EXPANDED_SELECTIONS:
        raise _too_complex(
            "selections",
            MAX_EXPANDED_SELECTIONS,
            f"With its fragments expanded the document selects more than "
            f"{MAX_EXPANDED_SELECTIONS} fields.",
        )
    return document


def _too_complex(limit: str, maximum: int, message: str) -> GraphQLError:
    extensions = {"code": QUERY_TOO_COMPLEX, "limit": limit, "max": maximum}
    return GraphQLError(message, extensions=extensions)


def expanded_selections(document: DocumentNode) -> int:
    """How many fields the document selects once every fragment spread is expanded,
    counted in time linear in the document (each fragment once, memoised): a few hundred
    bytes of fragments spreading each other twice expand to millions of fields, which
    the depth, alias and cost walks would otherwise expand one by one."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}
    visiting: set[str] = set()

    def fragment(name: str) -> int:
        if name in sizes:
            return sizes[name]
        if name in visiting or name not in fragments:
            return 0  # a cycle or an unknown fragment: validation refuses it
        visiting.add(name)
        sizes[name] = count(fragments[name].selection_set)
        visiting.discard(name)
        return sizes[name]

    def count(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + count(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment(selection.name.value)
            if total > MAX_EXPANDED_SELECTIONS:
                return total  # enough to refuse; no need to finish
        return total

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return sum(count(operation.selection_set) for operation in operations)


class LimitedParserCache(SchemaExtension):
    """Strawberry's ParserCache, with the token limit (MaxTokensLimiter's job) applied by
    the same cached parse the admission step uses: one parse per document text."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = parse_limited(context.query)
        yield
