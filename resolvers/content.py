"""Thin resolvers for what content objects point at (loaded through the request's loaders)."""

from __future__ import annotations

from strawberry.types import Info

from models import Meeting

__all__ = ["meeting_organisation_name"]


async def meeting_organisation_name(root: Meeting, info: Info) -> str | None:
    if root.organisation_id is None:
        return None
    organisation = await info.context.loaders.organisation.load(root.organisation_id)
    return None if organisation is None else organisation.name
