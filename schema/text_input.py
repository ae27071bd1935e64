"""Text PostgreSQL cannot store, refused where it enters: U+0000 and lone surrogates.

PostgreSQL's ``text`` refuses U+0000 and UTF-8 has no encoding for a lone surrogate (JSON
lets a client send ``"\\ud800"``), so such a value would reach the database and end the
request as an internal error. Mutations check their decoded inputs in the mutation layer
(``schema.mutations.base.check_input``, which answers in the payload); reads are checked
here, once per request before execution: every string in the variables and every string
literal in the document, named by the variable or argument it is in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from models.errors import ErrorCode
from models.i18n import N_
from resolvers.errors import ClientError

__all__ = ["TextInputs", "storable", "text_problem"]


def text_problem(value: str) -> str | None:
    """What is wrong with this text for storage, or ``None``."""
    if "\x00" in value:
        return N_("must not contain the character U+0000")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return N_("must be valid Unicode text")
    return None


def storable(variables: dict[str, Any] | None) -> bool:
    """Is every string in these variables text PostgreSQL can store?"""
    return all(text_problem(value) is None for _, value in _strings(variables or {}, "$"))


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, path)
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


def _literals(node: ValueNode, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, StringValueNode):
        yield path, node.value
    elif isinstance(node, ListValueNode):
        for index, item in enumerate(node.values):
            yield from _literals(item, f"{path}.{index}")
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _literals(field.value, f"{path}.{field.name.value}")


class _Arguments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.found.extend(_literals(node.value, node.name.value))


class TextInputs(SchemaExtension):
    """Refuse a read whose arguments carry text PostgreSQL cannot store: ``INVALID_INPUT``
    naming the argument (or ``$variable.path``), before any resolver runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.operation_type is OperationType.QUERY:
            arguments = _Arguments()
            visit(document, arguments)
            candidates = [
                *_strings(context.variables or {}, "$"),
                *arguments.found,
            ]
            for path, value in candidates:
                problem = text_problem(value)
                if problem is not None:
                    field = path.replace("$.", "$", 1)
                    raise ClientError(
                        ErrorCode.INVALID_INPUT, "{field} {problem}.", field=field, problem=problem
                    )
        yield
