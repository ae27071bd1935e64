"""Field permissions: thin, synchronous lookups into the policy table.

Every field of a type that carries log data is declared with ``gated`` (checked here, at the
gate into that data) or ``covered`` (reachable only through a gate of the same policy row,
so checking again would only cost time). Both record the policy row in the field's metadata:
the per-audience schemas are cut from it and the exhaustive policy test walks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from auth.ownership import facts_for
from auth.policy import Audience, PolicyField, can_read, condition_for

__all__ = ["AUDIENCES_KEY", "POLICY_KEY", "PolicyPermission", "audiences", "covered", "gated"]

POLICY_KEY = "relaylog.policy"
AUDIENCES_KEY = "relaylog.audiences"


class PolicyPermission(BasePermission):
    """May this viewer read this kind of data of the source object's log?"""

    message = "Not visible"

    def __init__(self, field: PolicyField) -> None:
        self.field = field

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        ctx = info.context
        log_id = source.log_id
        access = ctx.access.get(log_id)
        if access is None:
            return False
        facts = None
        if condition_for(self.field, access.relation) is not None:
            facts = facts_for(ctx.viewer, access.relation, source)
        allowed = can_read(access.relation, access.level, self.field, facts)
        if allowed:
            ctx.record_read(log_id, self.field)
        return allowed


def gated(field: PolicyField, resolver: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """A nullable field (or list) hidden unless the policy lets this viewer read ``field``."""
    extension = PermissionExtension(
        [PolicyPermission(field)], fail_silently=True, use_directives=False
    )
    metadata = {POLICY_KEY: field}
    if resolver is None:
        return strawberry.field(extensions=[extension], metadata=metadata, **kwargs)
    return strawberry.field(resolver=resolver, extensions=[extension], metadata=metadata, **kwargs)


def covered(field: PolicyField, resolver: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """A field behind a gate of the same policy row: declared for the schema cut and the tests."""
    metadata = {POLICY_KEY: field}
    if resolver is None:
        return strawberry.field(metadata=metadata, **kwargs)
    return strawberry.field(resolver=resolver, metadata=metadata, **kwargs)


def audiences(
    allowed: Iterable[Audience], resolver: Callable[..., Any] | None = None, **kwargs: Any
) -> Any:
    """A root or account field that exists only in the schemas of these audiences."""
    metadata = {AUDIENCES_KEY: frozenset(allowed)}
    if resolver is None:
        return strawberry.field(metadata=metadata, **kwargs)
    return strawberry.field(resolver=resolver, metadata=metadata, **kwargs)
