"""No "Did you mean …?" where introspection is off.

graphql-core appends suggestions to validation and coercion errors: a mistyped field is
answered with the real field, type, argument and enum value names next to it, which lets a
stranger read the schema one guess at a time. With introspection off (production) the
suggestion is cut from every error message; the rest of the message stays.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

__all__ = ["HideSuggestions", "without_suggestion"]

_SUGGESTION = " Did you mean "


def without_suggestion(message: str) -> str:
    head, found, _ = message.partition(_SUGGESTION)
    return head if found else message


def _plain(error: GraphQLError) -> GraphQLError:
    if _SUGGESTION not in error.message:
        return error
    return GraphQLError(
        without_suggestion(error.message),
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )


class HideSuggestions(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_plain(error) for error in result.errors]
