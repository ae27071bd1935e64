"""The root query shared by every audience; ``schema.build`` cuts it per audience."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from models.i18n import Language
from resolvers import archive as archive_packages
from resolvers import query as q
from resolvers import transfer as transfers
from resolvers.log_lists import my_logs_request
from resolvers.pagination import Page
from schema.actor import Actor, Organisation, StaffAccount
from schema.archive import ArchiveRecord
from schema.content import Evaluation, Measure, Meeting, Note, PointOfAttention, Sparkle
from schema.control import ControlQuery
from schema.enums import LogOrder, RelayLogStatus
from schema.labels import Labels, resolve_labels
from schema.node import VALUE_TYPE, Node, decode_global_id, encode_global_id
from schema.notifications import NotificationPreferences
from schema.pagination import PageInfo
from schema.permissions import audiences
from schema.person import Guardian
from schema.relay_log import Consent, RelayLog
from schema.statistics import StatisticsQueryFields
from schema.tasks import TaskQuery
from schema.transfer import Transfer

__all__ = ["FAMILY_NODE_TYPES", "STAFF_NODE_TYPES", "Query"]

LOGS = [Audience.STAFF, Audience.FAMILY]
FAMILY_NODE_TYPES: list[type] = [
    RelayLog,
    PointOfAttention,
    Measure,
    Evaluation,
    Meeting,
    Note,
    Sparkle,
    Consent,
    Actor,
    Guardian,
]
STAFF_NODE_TYPES: list[type] = [*FAMILY_NODE_TYPES, Organisation, StaffAccount]


@strawberry.type(
    description="Who is asking: an entity with its id on the staff and family endpoints. In "
    "the reporting schema, which shows no person, it has none." + VALUE_TYPE
)
class Viewer:
    id: strawberry.ID = audiences(
        LOGS,
        description="Stable for this person on this endpoint (for client caches; not in the "
        "reporting schema, which names no one).",
    )
    kind: str
    audience: str

    @audiences(LOGS, description="The viewer's own name (not in the reporting schema).")
    async def name(self, info: Info) -> str | None:
        return await q.viewer_name(info)

    @audiences(
        LOGS,
        description="How you are told of news in the logs you follow (staff and guardians; "
        "change it with setNotificationPreferences).",
    )
    async def notification_preferences(self, info: Info) -> NotificationPreferences | None:
        chosen = await q.viewer_notification_preferences(info)
        if chosen is None:
            return None
        return NotificationPreferences(delivery=chosen[0], language=chosen[1])


@strawberry.type(description="Whether the service can answer." + VALUE_TYPE)
class Health:
    @strawberry.field(description="Whether the database answers.")
    async def database(self, info: Info) -> bool:
        return await q.database_ok(info)


@strawberry.type(description="A colleague as the staff directory shows them.")
class DirectoryEntry:
    id: strawberry.ID = strawberry.field(description="The StaffAccount id addActor takes.")
    name: str
    position: str
    organisation_name: str


@strawberry.type(description="A staff member in a page, with its cursor." + VALUE_TYPE)
class DirectoryEdge:
    cursor: str
    node: DirectoryEntry


@strawberry.type(description="A page of the staff directory, by name." + VALUE_TYPE)
class DirectoryConnection:
    edges: list[DirectoryEdge]
    page: strawberry.Private[Page[Any]]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return PageInfo.of(self.page)


@strawberry.type(description="A log in a page, with its cursor." + VALUE_TYPE)
class RelayLogEdge:
    cursor: str
    node: RelayLog


@strawberry.type(description="A page of logs, in the order asked for." + VALUE_TYPE)
class RelayLogConnection:
    edges: list[RelayLogEdge]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return PageInfo.of(self)


@strawberry.type(description="An archive package in a page, with its cursor." + VALUE_TYPE)
class ArchiveRecordEdge:
    cursor: str
    node: ArchiveRecord


@strawberry.type(description="A page of your unit's archive packages, newest first." + VALUE_TYPE)
class ArchiveRecordConnection:
    edges: list[ArchiveRecordEdge]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return PageInfo.of(self)


@strawberry.type
class Query(ControlQuery, TaskQuery, StatisticsQueryFields):
    @strawberry.field(description="The signed-in person, or null without a valid token.")
    def viewer(self, info: Info) -> Viewer | None:
        v = info.context.viewer
        if v is None:
            return None
        person = v.person_id or uuid.UUID(int=0)  # every viewer has one; the type says maybe
        viewer_id = encode_global_id(f"Viewer{v.audience.value.title()}", person)
        return Viewer(id=strawberry.ID(viewer_id), kind=v.kind.value, audience=v.audience.value)

    @strawberry.field(description="Liveness of the API and its database.")
    def health(self) -> Health:
        return Health()

    @audiences(
        LOGS,
        description="Every enumeration's labels in a language: the argument, else the "
        "request's Accept-Language, else English (front ends hard-code no label).",
    )
    def labels(self, info: Info, language: Language | None = None) -> Labels:
        return resolve_labels(info, language)

    @audiences(
        LOGS,
        description="Logs the viewer may see, in the order asked for (first/after forward, "
        "last/before backward; 20 when neither first nor last is given). search finds a "
        "child's name, a guardian's name or the child's national id, each only where the "
        "viewer may read it.",
    )
    async def my_logs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: RelayLogStatus | None = None,
        level: int | None = None,
        organisation_id: strawberry.ID | None = None,
        order_by: LogOrder = LogOrder.LAST_ACTIVITY,
        search: str | None = None,
    ) -> RelayLogConnection:
        request = my_logs_request(
            first=first,
            last=last,
            after=after,
            before=before,
            order=order_by,
            search=search,
            maximum=info.context.page_size_max,
        )
        org = decode_global_id(organisation_id) if organisation_id is not None else None
        page = await q.my_logs(info, request, status, level, org.object_id if org else None)
        return page  # type: ignore[return-value]

    @audiences(LOGS, description="Any object by global id; null when absent or not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        gid = decode_global_id(id)
        if gid is None:
            return None
        return await q.node(info, gid.type_name, gid.object_id, gid.log_id)

    @audiences(
        [Audience.STAFF],
        description="Transfers of the holder role waiting for an answer, to you or from you.",
    )
    async def my_transfers(self, info: Info) -> list[Transfer]:
        return await transfers.my_transfers(info)  # type: ignore[return-value]

    @audiences(
        [Audience.STAFF],
        description=(
            "The archive packages your unit filed, newest first, for the holder of the log "
            "at the time and the unit manager (also once the log moved away or closed). "
            "received: false lists those the archive has not received yet."
        ),
    )
    async def archive_packages(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        received: bool | None = None,
    ) -> ArchiveRecordConnection:
        page = await archive_packages.archive_packages(info, first, after, received)
        return page  # type: ignore[return-value]

    @audiences([Audience.STAFF], description="The municipality's units.")
    async def organisations(self, info: Info) -> list[Organisation]:
        return await q.organisations(info)  # type: ignore[return-value]

    @audiences(
        [Audience.STAFF],
        description="Colleagues in the municipality (name, position, unit), to add as actors "
        "or to transfer a log to.",
    )
    async def staff_directory(
        self,
        info: Info,
        organisation_id: strawberry.ID | None = None,
        name_contains: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> DirectoryConnection:
        org = decode_global_id(organisation_id) if organisation_id is not None else None
        page = await q.staff_directory(
            info, org.object_id if org else None, name_contains, first, after
        )
        edges = [
            DirectoryEdge(
                cursor=edge.cursor,
                node=DirectoryEntry(
                    id=strawberry.ID(encode_global_id("StaffAccount", staff.id)),
                    name=staff.name,
                    position=staff.position,
                    organisation_name=unit.name,
                ),
            )
            for edge in page.edges
            for staff, unit in [edge.node]
        ]
        return DirectoryConnection(edges=edges, page=page)

    @audiences([Audience.STAFF], description="Staff accounts (municipal admin only).")
    async def staff_accounts(
        self, info: Info, organisation_id: strawberry.ID | None = None
    ) -> list[StaffAccount]:
        org = decode_global_id(organisation_id) if organisation_id is not None else None
        return await q.staff_accounts(info, org.object_id if org else None)  # type: ignore[return-value]
