"""Root queries: the viewer, lists of logs, node lookups, the admin's registers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    ARRAY,
    LargeBinary,
    Select,
    String,
    and_,
    literal,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import aliased
from strawberry.types import Info

from auth.node_types import NODE_POLICY, REGISTER_NODE_TYPES
from auth.notifications import may_choose_notifications
from auth.ownership import facts_for
from auth.policy import (
    PolicyField,
    Relation,
    can_read,
    may_list_units,
    may_manage_registers,
    may_use_staff_directory,
)
from auth.scoping import LogAccess, access_shape, log_access_statement, viewer_params
from auth.viewer import Viewer
from models import (
    ActorMembership,
    AttentionConversation,
    ChildGuardian,
    Consent,
    Evaluation,
    Guardian,
    Measure,
    Meeting,
    Note,
    Organisation,
    PointOfAttention,
    RelayLog,
    Sparkle,
    StaffAccount,
    notification,
)
from models.enums import RelayLogStatus, StaffRole
from models.notification import Delivery, Language
from resolvers.context import Context
from resolvers.log_lists import (
    SEARCHED,
    LogListFilter,
    LogOrder,
    MyLogsRequest,
    Search,
    my_logs_statement,
    search_pattern,
)
from resolvers.pagination import (
    Edge,
    Page,
    decode_order_cursor,
    encode_cursor,
    encode_order_cursor,
    validate_first,
)
from resolvers.views import ActorView, InLog

__all__ = [
    "database_ok",
    "my_logs",
    "node",
    "organisations",
    "staff_accounts",
    "staff_directory",
    "viewer_name",
]


def _ctx(info: Info) -> Context:
    return info.context


async def my_logs(
    info: Info,
    request: MyLogsRequest,
    status: RelayLogStatus | None,
    level: int | None,
    organisation_id: uuid.UUID | None,
) -> Page[RelayLog]:
    ctx = _ctx(info)
    if ctx.viewer is None:
        return Page([], False)
    shape = access_shape(ctx.viewer)
    page = LogListFilter(
        limit=literal(request.page.size + 1),
        status=None if status is None else literal(status, RelayLog.status.type),
        level=None if level is None else literal(level),
        organisation_id=None if organisation_id is None else literal(organisation_id),
        after=_cursor_values(request.after),
        before=_cursor_values(request.before),
        order=request.order,
        backward=request.page.backward,
        search=_search_values(request),
    )
    stmt = my_logs_statement(shape, page, RelayLog).params(viewer_params(ctx.viewer))
    rows = (await ctx.session.execute(stmt)).all()
    relations = {row[0].id: Relation(row[1]) for row in rows}
    result = request.page.page([Edge(_log_cursor(request.order, row[0]), row[0]) for row in rows])
    searched = SEARCHED if request.pattern is not None else ()
    for edge in result.edges:
        log: RelayLog = edge.node
        relation = relations[log.id]
        ctx.loaders.remember(LogAccess(log.id, relation, log.level, log.status))
        ctx.loaders.log.prime(log.id, log)
        ctx.record_read(log.id, PolicyField.LOG_SUMMARY)
        for policy_field in searched:
            if can_read(relation, log.level, policy_field):
                ctx.record_read(log.id, policy_field)
    return result


def _cursor_values(values: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    if values is None:
        return None
    if len(values) == 2:
        at, last_id = values
        return literal(at, RelayLog.last_activity_at.type), literal(last_id, RelayLog.id.type)
    return (literal(values[0], RelayLog.id.type),)


def _search_values(request: MyLogsRequest) -> Search | None:
    if request.pattern is None:
        return None
    hashes = request.national_id_hashes
    return Search(
        literal(request.pattern, String()),
        literal(list(hashes), ARRAY(LargeBinary())) if hashes else None,
    )


def _log_cursor(order: LogOrder, log: RelayLog) -> str:
    if order is LogOrder.LAST_ACTIVITY:
        return encode_cursor(log.last_activity_at, log.id)
    return encode_order_cursor(order.value, log.id)


_NODE_MODELS: dict[str, Any] = {
    "RelayLog": RelayLog,
    "PointOfAttention": PointOfAttention,
    "Measure": Measure,
    "Meeting": Meeting,
    "Evaluation": Evaluation,
    "Note": Note,
    "AttentionConversation": AttentionConversation,
    "Sparkle": Sparkle,
    "Consent": Consent,
    "Actor": ActorMembership,
    "Guardian": Guardian,
}


def _node_statement(
    viewer: Viewer, type_name: str, object_id: uuid.UUID, log_id: uuid.UUID | None
) -> Select[Any] | None:
    """The object joined with the viewer's access row of its log: ONE statement, so an
    object the viewer may not see costs what a missing one does (no timing oracle)."""
    model = _NODE_MODELS[type_name]
    access = log_access_statement(viewer).subquery("access")
    columns = [access.c.relation, access.c.level, access.c.status]
    if type_name == "Guardian":
        if log_id is None:
            return None
        link, log = aliased(ChildGuardian), aliased(RelayLog)
        return (
            select(model, access.c.id, *columns, link.parental_responsibility)
            .join(link, link.guardian_id == model.id)
            .join(log, and_(log.child_id == link.child_id, log.id == log_id))
            .join(access, access.c.id == log.id)
            .where(model.id == object_id)
        )
    log_column = model.id if model is RelayLog else model.log_id
    stmt = select(model, access.c.id, *columns)
    if type_name == "Actor":
        stmt = stmt.add_columns(StaffAccount, Organisation)
        stmt = stmt.join(StaffAccount, StaffAccount.id == model.staff_id).join(
            Organisation, Organisation.id == model.organisation_id
        )
    return stmt.join(access, access.c.id == log_column).where(model.id == object_id)


async def node(info: Info, type_name: str, object_id: uuid.UUID, log_id: uuid.UUID | None) -> Any:
    """The object, or ``None`` — the same for a hidden object as for one that does not exist,
    in answer and in work done."""
    ctx = _ctx(info)
    if ctx.viewer is None:
        return None
    if type_name in REGISTER_NODE_TYPES:
        return await _register_node(ctx, type_name, object_id)
    policy_field = NODE_POLICY.get(type_name)
    if policy_field is None:
        return None
    stmt = _node_statement(ctx.viewer, type_name, object_id, log_id)
    row = (await ctx.session.execute(stmt)).first() if stmt is not None else None
    if row is None:
        return None
    obj, found_log, relation_text, level, status = row[:5]
    access = LogAccess(found_log, Relation(relation_text), level, status)
    facts = facts_for(ctx.viewer, access.relation, obj)
    if not can_read(access.relation, access.level, policy_field, facts):
        return None
    ctx.loaders.remember(access)
    ctx.record_read(found_log, policy_field)
    if type_name == "Guardian":
        return InLog(obj, found_log, row[5])
    if type_name == "Actor":
        return ActorView.of(obj, row[5], row[6])
    if type_name == "RelayLog":
        ctx.loaders.log.prime(obj.id, obj)
    return obj


def _is_admin(viewer: Viewer | None) -> bool:
    return viewer is not None and may_manage_registers(viewer.kind)


async def _register_node(ctx: Context, type_name: str, object_id: uuid.UUID) -> Any:
    if not _is_admin(ctx.viewer):
        return None
    loader = ctx.loaders.organisation if type_name == "Organisation" else ctx.loaders.staff
    obj = await loader.load(object_id)
    if obj is None:
        return None
    org_id = obj.id if isinstance(obj, Organisation) else obj.organisation_id
    org = await ctx.loaders.organisation.load(org_id)
    assert ctx.viewer is not None
    return obj if org is not None and org.municipality_id == ctx.viewer.municipality_id else None


async def organisations(info: Info) -> list[Organisation]:
    ctx = _ctx(info)
    if ctx.viewer is None or not may_list_units(ctx.viewer.kind):
        return []
    rows = await ctx.session.scalars(
        select(Organisation)
        .where(Organisation.municipality_id == ctx.viewer.municipality_id)
        .order_by(Organisation.name)
    )
    return list(rows)


async def staff_accounts(info: Info, organisation_id: uuid.UUID | None) -> list[StaffAccount]:
    ctx = _ctx(info)
    if not _is_admin(ctx.viewer):
        return []
    assert ctx.viewer is not None
    stmt = (
        select(StaffAccount)
        .join(Organisation, Organisation.id == StaffAccount.organisation_id)
        .where(Organisation.municipality_id == ctx.viewer.municipality_id)
        .order_by(StaffAccount.name)
    )
    if organisation_id is not None:
        stmt = stmt.where(StaffAccount.organisation_id == organisation_id)
    return list(await ctx.session.scalars(stmt))


async def staff_directory(
    info: Info,
    organisation_id: uuid.UUID | None,
    name_contains: str | None,
    first: int,
    after: str | None,
) -> Page[tuple[StaffAccount, Organisation]]:
    """Colleagues a holder can add as actors or hand the log to: work identity only, by
    name. A cursor names an account; its place is looked up among the same entries, so a
    cursor of an account the directory does not list finds nothing."""
    ctx = _ctx(info)
    first = validate_first(first, ctx.page_size_max)
    after_id = None if after is None else decode_order_cursor(after, _DIRECTORY, "after")
    if ctx.viewer is None or not may_use_staff_directory(ctx.viewer.kind):
        return Page([], False)
    municipality_id = ctx.viewer.municipality_id

    def listed(staff: Any) -> Select[Any]:
        stmt = (
            select(staff, Organisation)
            .join(Organisation, Organisation.id == staff.organisation_id)
            .where(
                Organisation.municipality_id == municipality_id,
                staff.active.is_(True),
                staff.role == StaffRole.STAFF,
            )
        )
        if organisation_id is not None:
            stmt = stmt.where(staff.organisation_id == organisation_id)
        if name_contains:
            stmt = stmt.where(staff.name.ilike(search_pattern(name_contains)))
        return stmt

    stmt = listed(StaffAccount).order_by(StaffAccount.name, StaffAccount.id).limit(first + 1)
    if after_id is not None:
        here = aliased(StaffAccount, name="after_staff")
        place = (
            listed(here)
            .with_only_columns(here.name, here.id)
            .where(here.id == after_id)
            .subquery("after_row")
        )
        stmt = stmt.join(place, literal_column("true")).where(
            tuple_(StaffAccount.name, StaffAccount.id) > tuple_(place.c.name, place.c.id)
        )
    rows = [(row[0], row[1]) for row in await ctx.session.execute(stmt)]
    edges = [Edge(encode_order_cursor(_DIRECTORY, row[0].id), row) for row in rows[:first]]
    return Page(edges, len(rows) > first, after is not None)


_DIRECTORY = "DIRECTORY"


async def viewer_name(info: Info) -> str | None:
    ctx = _ctx(info)
    viewer = ctx.viewer
    if viewer is None:
        return None
    if viewer.staff_id is not None:
        staff = await ctx.loaders.staff.load(viewer.staff_id)
        return staff.name if staff else None
    # A person in several logs has a row in each, maybe spelled differently: the newest.
    if viewer.guardian_ids:
        rows: list[Any] = await ctx.loaders.guardian.load_many(sorted(viewer.guardian_ids))
    else:
        rows = await ctx.loaders.child.load_many(sorted(viewer.subject_child_ids))
    newest = max((r for r in rows if r is not None), key=lambda r: r.created_at, default=None)
    return newest.name if newest is not None else None


async def database_ok(info: Info) -> bool:
    try:
        await _ctx(info).session.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


async def viewer_notification_preferences(info: Info) -> tuple[Delivery, Language] | None:
    """The viewer's choice of mail (or the default), for staff and guardians only."""
    viewer = _ctx(info).viewer
    if viewer is None or not may_choose_notifications(viewer.kind.value):
        return None
    session = _ctx(info).session
    if viewer.staff_id is not None:
        return await notification.preference_of(session, staff_id=viewer.staff_id)
    person_hash = await notification.person_hash_of_guardians(session, viewer.guardian_ids)
    return await notification.preference_of(session, person_hash=person_hash)
