"""Refuse a hostile document before anything walks it more than once.

graphql-core's validation and strawberry's depth and alias limiters expand every fragment
spread where it appears, and the rule that checks that fields can be merged compares fields
pairwise. So a 600-byte document of fragments each spreading the next twice costs 2^20 steps,
and 300 copies of ``viewer { kind }`` cost 300² comparisons: seconds of CPU, unauthenticated.
``check_document`` walks each definition once, combining fragments by their memoised
figures, and answers before those rules run:

* **Size** of the document text (the lexer is Python: 40 MB of whitespace costs seconds).
* **Cost**: selections (fields, fragment spreads, inline fragments) after every fragment is
  expanded, computed per fragment once and multiplied by how often it is spread.
* **Nesting** of selection sets, each inline fragment and fragment spread counted as a level
  (the limiters recurse through them: a chain of 500 fragments overflows the stack).
* **Field merging** (``OverlappingFieldsCanBeMergedRule``) is quadratic in repeated fields
  and fragments and exponential in their nesting (``myLogs { edges {…} ×20 }`` with 20
  ``node {id}`` in each: 2 s). graphql-core meters that rule's work with a budget (500 000
  units by default, about 2 s); the budget here is ``field_merge_budget``, and a document
  that exhausts it is refused as too complex.
* **Spec rules the limiters rely on**: every spread names a defined fragment, no fragment
  spreads itself, and a document with several operations names the one to run
  (``operationName``) instead of running the first.
* **Variables** of any operation but the file uploads (``createLog``, ``uploadConsent``) stay
  small; the HTTP edge has already bounded their count and depth.

Errors carry ``extensions.code`` and fixed messages (a fragment name the client sent is the
only input echoed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
)
from graphql.validation import OverlappingFieldsCanBeMergedRule
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension, ValidationCache

__all__ = [
    "UPLOAD_OPERATIONS",
    "CheckedValidation",
    "DocumentLimits",
    "Limits",
    "budgeted_field_merging",
    "check_document",
]

log = logging.getLogger("relaylog.graphql")

# The only mutations whose variables carry files (signed consent forms, base64-encoded).
UPLOAD_OPERATIONS = frozenset({"createLog", "uploadConsent"})

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
TOO_LARGE = "DOCUMENT_TOO_LARGE"
VARIABLES_TOO_LARGE = "VARIABLES_TOO_LARGE"
INVALID_DOCUMENT = "GRAPHQL_VALIDATION_FAILED"
OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"


@dataclass(frozen=True, slots=True)
class Limits:
    max_document_bytes: int = 16 * 1024
    max_cost: int = 1000
    max_nesting: int = 36
    max_variables_bytes: int = 64 * 1024
    field_merge_budget: int = 10_000


def _error(message: str, code: str, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code})


@dataclass(frozen=True, slots=True)
class _Figures:
    """What one definition contributes wherever it is used."""

    cost: int
    nesting: int


@dataclass
class _Walk:
    """One definition, walked once: its own selections and where it spreads fragments."""

    own_cost: int = 0
    own_nesting: int = 0
    spreads: list[tuple[FragmentSpreadNode, int]] = field(default_factory=list)


def _walk(selection_set: SelectionSetNode) -> _Walk:
    """Count without recursion (a selection set nested 1 000 deep is fine here)."""
    walk = _Walk()
    stack: list[tuple[SelectionSetNode, int]] = [(selection_set, 1)]
    while stack:
        node, level = stack.pop()
        walk.own_nesting = max(walk.own_nesting, level)
        for selection in node.selections:
            walk.own_cost += 1
            if isinstance(selection, FieldNode | InlineFragmentNode):
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, level + 1))
            elif isinstance(selection, FragmentSpreadNode):
                walk.spreads.append((selection, level))
    return walk


def _fragment_order(
    fragments: Mapping[str, FragmentDefinitionNode], walks: Mapping[str, _Walk]
) -> list[str] | GraphQLError:
    """Fragments with the ones they spread first; an unknown or circular spread is an error."""
    order: list[str] = []
    state: dict[str, str] = {}  # "open" while on the path, "done" once ordered
    for start in fragments:
        if state.get(start) == "done":
            continue
        path: list[tuple[str, Iterator[tuple[FragmentSpreadNode, int]]]] = [
            (start, iter(walks[start].spreads))
        ]
        state[start] = "open"
        while path:
            name, pending = path[-1]
            spread = next(pending, None)
            if spread is None:
                path.pop()
                state[name] = "done"
                order.append(name)
                continue
            node = spread[0]
            target = node.name.value
            if target not in fragments:
                return _error(f"Unknown fragment '{target}'.", INVALID_DOCUMENT, node)
            if state.get(target) == "open":
                return _error(
                    f"Cannot spread fragment '{target}' within itself.", INVALID_DOCUMENT, node
                )
            if state.get(target) is None:
                state[target] = "open"
                path.append((target, iter(walks[target].spreads)))
    return order


def _figures(walk: _Walk, known: Mapping[str, _Figures], cap: int) -> _Figures | GraphQLError:
    """A definition's cost and nesting with every spread expanded, from the spread fragments'
    memoised figures. Costs are capped: they only need comparing with the limit."""
    cost = walk.own_cost
    nesting = walk.own_nesting
    for spread, level in walk.spreads:
        target = known.get(spread.name.value)
        if target is None:
            return _error(f"Unknown fragment '{spread.name.value}'.", INVALID_DOCUMENT, spread)
        cost = min(cap, cost + target.cost)
        # A spread counts as a level, like an inline fragment: the limiters recurse into it.
        nesting = max(nesting, level + target.nesting)
    return _Figures(min(cap, cost), nesting)


def check_document(
    document: DocumentNode,
    limits: Limits,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None = None,
) -> GraphQLError | None:
    """The first limit this document passes, as a typed error; ``None`` when it is fine."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    if len(operations) > 1 and operation_name is None:
        return _error(
            "Must provide operation name if query contains multiple operations.",
            OPERATION_NAME_REQUIRED,
        )
    walks = {name: _walk(f.selection_set) for name, f in fragments.items()}
    order = _fragment_order(fragments, walks)
    if isinstance(order, GraphQLError):
        return order
    cap = limits.max_cost + 1
    known: dict[str, _Figures] = {}
    for name in order:
        figures = _figures(walks[name], known, cap)
        if isinstance(figures, GraphQLError):
            return figures
        known[name] = figures
    for operation in operations:
        figures = _figures(_walk(operation.selection_set), known, cap)
        if isinstance(figures, GraphQLError):
            return figures
        if figures.cost > limits.max_cost:
            return _error(
                f"The operation is too complex: more than {limits.max_cost} selections "
                "once its fragments are expanded.",
                TOO_COMPLEX,
            )
        if figures.nesting > limits.max_nesting:
            return _error(
                f"The operation nests selections deeper than {limits.max_nesting} levels.",
                TOO_COMPLEX,
            )
    for name, figures in known.items():  # a fragment no operation uses is still validated
        if figures.cost > limits.max_cost or figures.nesting > limits.max_nesting:
            return _error(f"The fragment '{name}' is too complex.", TOO_COMPLEX)
    chosen = _chosen(operations, operation_name)
    carries_files = chosen is not None and _uploads(chosen)
    if not carries_files and (
        _json_size(variables, limits.max_variables_bytes) > limits.max_variables_bytes
    ):
        return _error(
            f"The variables are larger than {limits.max_variables_bytes} bytes; only "
            "createLog and uploadConsent carry files.",
            VARIABLES_TOO_LARGE,
        )
    return None


def _chosen(
    operations: list[OperationDefinitionNode], operation_name: str | None
) -> OperationDefinitionNode | None:
    if operation_name is None:
        return operations[0] if operations else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def _uploads(operation: OperationDefinitionNode) -> bool:
    """Is this a mutation of nothing but file uploads?"""
    if operation.operation is not OperationType.MUTATION:
        return False
    selections = operation.selection_set.selections
    return bool(selections) and all(
        isinstance(s, FieldNode) and s.name.value in UPLOAD_OPERATIONS for s in selections
    )


def _json_size(value: Any, stop_after: int) -> int:
    """About how many bytes ``value`` takes as JSON; the count stops once past ``stop_after``."""
    size = 0
    stack = [value]
    while stack and size <= stop_after:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, Mapping):
            size += 2
            for key, child in item.items():
                size += len(str(key)) + 4
                stack.append(child)
        elif isinstance(item, list | tuple):
            size += 2 + len(item)
            stack.extend(item)
        else:
            size += 8
    return size


def budgeted_field_merging(budget: int) -> type[ASTValidationRule]:
    """graphql-core's field-merging rule with its work budget set to ``budget``."""

    class BudgetedFieldMerging(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.rule_context.remaining_complexity_budget = budget

    return BudgetedFieldMerging


class DocumentLimits(SchemaExtension):
    """``check_document`` between parsing and validation; the document size before parsing;
    the field-merging rule with its budget in place of graphql-core's."""

    def __init__(self, limits: Limits, field_merging: type[ASTValidationRule]) -> None:
        self.limits = limits
        self.field_merging = field_merging

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            self.field_merging if rule is OverlappingFieldsCanBeMergedRule else rule
            for rule in context.validation_rules
        )
        yield

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        limit = self.limits.max_document_bytes
        # Characters first: a 40 MB text is refused without encoding it.
        if len(query) > limit or len(query.encode("utf-8", "surrogatepass")) > limit:
            raise _error(f"The document is larger than {limit} bytes.", TOO_LARGE)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            error = check_document(
                context.graphql_document,
                self.limits,
                # The name the request gave, not the one strawberry falls back to (the first
                # operation's): the spec wants an error when a document has several.
                operation_name=getattr(context, "_provided_operation_name", None),
                variables=context.variables,
            )
            if error is not None:
                context.pre_execution_errors = [error]
        yield


class CheckedValidation(ValidationCache):
    """The validation cache, skipped when ``DocumentLimits`` already refused the document
    (strawberry's own cache would validate it anyway). Validation that ran out of budget is
    a typed "too complex", and a rule that crashes (on a document no limit foresaw) a typed
    error instead of its exception's text."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None:
            try:
                errors = self.cached_validate_document(
                    context.schema._schema, context.graphql_document, context.validation_rules
                )
            except Exception as exc:
                log.warning("validation failed", extra={"error": type(exc).__name__})
                errors = [_error("The document could not be validated.", INVALID_DOCUMENT)]
            context.pre_execution_errors = [_typed(error) for error in errors]
        yield


def _typed(error: GraphQLError) -> GraphQLError:
    if isinstance(error, ValidationAbortedError):
        return _error("The document is too complex to validate (validation aborted).", TOO_COMPLEX)
    return error
