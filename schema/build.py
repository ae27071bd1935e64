"""One schema per audience, cut from the same types by the policy table (as Hasura does per
role): a parent app's introspection never shows a field only staff may read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from auth.policy import Audience, PolicyField, audience_may_ever
from resolvers.errors import is_unexpected
from schema.document_limits import (
    CheckedValidation,
    DocumentLimits,
    Limits,
    budgeted_field_merging,
)
from schema.mutations import build_mutation
from schema.permissions import AUDIENCES_KEY, POLICY_KEY
from schema.query import FAMILY_NODE_TYPES, STAFF_NODE_TYPES, Query
from schema.subscription import Subscription
from schema.suggestions import HideSuggestions
from schema.text_input import TextInputs
from schema.unit_of_work import UnitOfWork

__all__ = ["SDL_DIR", "AudienceSchema", "build_schema", "field_is_in", "sdl_path"]

SDL_DIR = Path(__file__).parent / "sdl"
errors_log = logging.getLogger("relaylog.graphql")


ExtensionFactory = Callable[[], SchemaExtension]


def field_is_in(audience: Audience, field: StrawberryField) -> bool:
    """Does this field belong in this audience's schema?"""
    policy: PolicyField | None = field.metadata.get(POLICY_KEY) if field.metadata else None
    if policy is not None:
        return audience_may_ever(audience, policy)
    allowed = field.metadata.get(AUDIENCES_KEY) if field.metadata else None
    return allowed is None or audience in allowed


class AudienceSchema(strawberry.Schema):
    audience: Audience

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what failed and where, never the error's text: a database error's text can
        carry the values of the statement (names, notes) that failed."""
        for error in errors:
            original = error.original_error
            errors_log.log(
                logging.WARNING if is_unexpected(error) else logging.INFO,
                "graphql error",
                extra={
                    "error": type(original).__name__ if original else "GraphQLError",
                    "path": ".".join(str(p) for p in error.path or []),
                },
            )

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        return [f for f in type_definition.fields if field_is_in(self.audience, f)]


def _should_mask(error: GraphQLError) -> bool:
    return is_unexpected(error)


def hardening(
    *,
    max_depth: int,
    max_aliases: int,
    max_tokens: int,
    introspection: bool,
    limits: Limits | None = None,
) -> list[ExtensionFactory]:
    """Everything that protects the executor, assembled in one place.

    In the order a request meets them: the document's size before the lexer runs
    (``DocumentLimits``) and its token count while it does; then, before any validation rule
    walks it, its cost with fragments expanded, its nesting and the spec rules the limiters
    rely on (``DocumentLimits`` again); then validation, cached, with the field-merging rule
    on a work budget and the depth and alias limits (all built here once: every request uses
    the same rule classes, so the cache keyed by document and rules answers a repeated query
    without validating it again).
    Without introspection (production) there is no schema to read from error messages
    either: "Did you mean …" is cut. Unexpected errors are masked last.
    """
    document_limits = limits or Limits()
    field_merging = budgeted_field_merging(document_limits.field_merge_budget)
    depth_rules = QueryDepthLimiter(max_depth=max_depth).validation_rules
    alias_rules = MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules
    extensions: list[ExtensionFactory] = [
        lambda: DocumentLimits(document_limits, field_merging),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(depth_rules),
        lambda: AddValidationRules(alias_rules),
        lambda: ParserCache(maxsize=256),
        lambda: CheckedValidation(maxsize=256),
        lambda: MaskErrors(should_mask_error=_should_mask, error_message="Internal error"),
        UnitOfWork,
        TextInputs,
    ]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
        extensions.append(HideSuggestions)
    return extensions


@cache
def build_schema(
    audience: Audience,
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 4000,
    introspection: bool = True,
    limits: Limits | None = None,
    extra_extensions: tuple[ExtensionFactory, ...] = (),
) -> AudienceSchema:
    """The schema of one audience, built once per process for each set of limits: a schema
    holds no request state, and building one walks every type (each app, and each test's
    app, would otherwise pay for it again)."""
    schema_class = type(
        f"{audience.value.title()}Schema", (AudienceSchema,), {"audience": audience}
    )
    types = {
        Audience.STAFF: STAFF_NODE_TYPES,
        Audience.FAMILY: FAMILY_NODE_TYPES,
        Audience.REPORTING: [],
    }[audience]
    extensions = hardening(
        max_depth=max_depth,
        max_aliases=max_aliases,
        max_tokens=max_tokens,
        introspection=introspection,
        limits=limits,
    ) + list(extra_extensions)
    mutation = None if audience is Audience.REPORTING else build_mutation()
    # Reporting reads aggregates on request; nothing about a person is ever pushed to it.
    subscription = None if audience is Audience.REPORTING else Subscription
    return schema_class(
        query=Query,
        mutation=mutation,
        subscription=subscription,
        types=types,
        extensions=extensions,
    )


@cache
def printed_schema(audience: Audience) -> str:
    return build_schema(audience).as_str() + "\n"


def sdl_path(audience: Audience) -> Path:
    return SDL_DIR / f"{audience.value.lower()}.graphql"
