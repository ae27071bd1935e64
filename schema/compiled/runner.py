"""Answer a trusted document with its compiled statement: one SQL round trip, PostgreSQL's
JSON text as the response body, the audit entries from the logs the statement returns.

``CompiledOperation.answer`` returns ``None`` whenever the executor must answer instead:
no viewer, variables that do not coerce, arguments the executor would refuse, a node type
with no compiled form. The executor then gives the one canonical answer (and error).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
)
from graphql.execution.values import get_argument_values, get_variable_values
from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import bindparam
from sqlalchemy.types import Date, DateTime, Integer, LargeBinary, String
from strawberry.types.base import StrawberryObjectDefinition

from auth.policy import PolicyField, Relation, can_read, may_see_unit_report
from auth.scoping import AccessShape, access_shape, viewer_params
from auth.viewer import Viewer
from models import RelayLog
from models.enums import RelayLogStatus
from models.secrets import decrypt
from resolvers.context import Context
from resolvers.control import INACTIVE_DAYS_MAX
from resolvers.errors import ClientError
from resolvers.log_lists import SEARCHED, LogOrder, my_logs_request
from schema.compiled.compiler import (
    MyLogsVariant,
    NotCompilable,
    Plan,
    compile_statement,
    plan,
    supported_node_types,
)
from schema.compiled.tables import TABLES
from schema.node import decode_global_id
from schema.text_input import storable
from schema.trusted import TrustedDocument

__all__ = ["Answer", "CompiledOperation", "LogRead", "compile_document"]

# Stands before each encrypted value (national ids, addresses) in the statement's JSON;
# random per process, so no text a person wrote can pass for one. Swapped for the
# decrypted value after the query.
_NID_MARKER = f"nid{secrets.token_hex(12)}:"
_NID = re.compile(re.escape(_NID_MARKER) + r"([A-Za-z0-9_=\-]+)")
_UUIDS = ARRAY(UUID(as_uuid=True))
_TYPES: dict[str, Any] = {
    "viewer_staff_id": UUID(as_uuid=True),
    "viewer_organisation_id": UUID(as_uuid=True),
    "viewer_guardian_ids": _UUIDS,
    "viewer_child_ids": _UUIDS,
    "today": Date(),
    "viewer_kind": String(),
    "viewer_audience": String(),
    "nid_marker": String(),
}
_SUFFIX_TYPES: dict[str, Any] = {
    "_id": UUID(as_uuid=True),
    "_log_id": UUID(as_uuid=True),
    "_organisation": UUID(as_uuid=True),
    "_after_id": UUID(as_uuid=True),
    "_after_at": DateTime(timezone=True),
    "_before_at": DateTime(timezone=True),
    "_search": String(),
    "_search_hashes": ARRAY(LargeBinary()),
    "_limit": Integer(),
    "_first": Integer(),
    "_level": Integer(),
    "_status": RelayLog.__table__.c.status.type,
    "_unit": UUID(as_uuid=True),
    "_inactive": Integer(),
}
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def _typed(sql: str) -> TextClause:
    """The statement as a ``text()`` whose parameters carry their SQL types."""
    names = dict.fromkeys(_BIND.findall(sql))
    binds = []
    for name in names:
        type_ = _TYPES.get(name)
        if type_ is None:
            type_ = next(t for suffix, t in _SUFFIX_TYPES.items() if name.endswith(suffix))
        binds.append(bindparam(name, type_=type_))
    return text(sql).bindparams(*binds)


@dataclass
class CompiledOperation:
    """A trusted document as this audience's schema compiles it (``plan`` ``None``: the
    executor answers it, e.g. a report that is not log content)."""

    document: TrustedDocument
    operation: OperationDefinitionNode
    plan: Plan | None
    reason: str | None = None
    _statements: dict[tuple[Any, ...], TextClause] = field(default_factory=dict)

    @property
    def compiled(self) -> bool:
        return self.plan is not None

    def statement(self, shape: AccessShape, variants: tuple[Any, ...]) -> TextClause:
        key = (shape, variants)
        statement = self._statements.get(key)
        if statement is None:
            assert self.plan is not None
            statement = _typed(compile_statement(self.plan, shape, variants))
            self._statements[key] = statement
        return statement

    async def answer(self, ctx: Context, raw_variables: dict[str, Any] | None) -> str | None:
        """The response's ``data`` as JSON text, or ``None`` for the executor to answer;
        the logs read are recorded in ``ctx`` for the request's audit entry."""
        if ctx.viewer is None:
            return None
        answer = await self.execute(
            ctx.session, ctx.viewer, ctx.today, raw_variables, page_size_max=ctx.page_size_max
        )
        if answer is None:
            return None
        for read in answer.reads:
            for policy_field in read.fields:
                ctx.record_read(read.log_id, policy_field, read.relation)
            if read.reader_row is not None:
                ctx.read_as[read.log_id] = read.reader_row
        return answer.data

    async def execute(
        self,
        session: AsyncSession,
        viewer: Viewer,
        today: date,
        raw_variables: dict[str, Any] | None,
        *,
        page_size_max: int,
    ) -> Answer | None:
        """Run the compiled statement as ``viewer`` (``None``: the executor must answer)."""
        plan_ = self.plan
        if plan_ is None or not storable(raw_variables):
            return None  # the executor answers, with its INVALID_INPUT for unstorable text
        variables = get_variable_values(
            plan_.schema, self.operation.variable_definitions or [], raw_variables or {}
        )
        if isinstance(variables, list):
            return None
        params: dict[str, Any] = {
            **viewer_params(viewer),
            "today": today,
            "nid_marker": _NID_MARKER,
            "viewer_kind": viewer.kind.value,
            "viewer_audience": viewer.audience.value,
        }
        variants: list[Any] = []
        query_type = plan_.schema.query_type
        assert query_type is not None
        try:
            for index, root in enumerate(plan_.roots):
                if root.node is None or root.name in {"__typename", "viewer"}:
                    variants.append(None)
                    continue
                args = get_argument_values(query_type.fields[root.name], root.node, variables)
                prefix = f"r{index}"
                if root.name == "myLogs":
                    variants.append(_my_logs_params(page_size_max, args, prefix, params))
                elif root.name == "passiveLogs":
                    if not _passive_params(viewer, args, prefix, params):
                        return None
                    variants.append(root.name)
                else:
                    variant = _node_params(args, prefix, params)
                    if variant is _EXECUTOR:
                        return None
                    variants.append(variant)
        except (GraphQLError, ClientError):
            return None
        statement = self.statement(access_shape(viewer), tuple(variants))
        connection = await session.connection()
        row = (await connection.execute(statement, params)).one()
        data: str = row.data
        if _NID_MARKER in data:
            data = _NID.sub(_decrypted, data)
        searched = any(isinstance(v, MyLogsVariant) and v.search for v in variants)
        return Answer(data, self._reads(json.loads(row.reads), searched))

    def _reads(self, rows: list[list[Any]], searched: bool) -> list[LogRead]:
        """Per log returned: the document's policy rows this viewer's cell grants (and what
        a search looked into)."""
        assert self.plan is not None
        read = self.plan.reads | frozenset(SEARCHED if searched else ())
        reads = []
        for log_text, relation_text, level, reader_row in rows:
            relation = Relation(relation_text)
            reads.append(
                LogRead(
                    log_id=uuid.UUID(log_text),
                    relation=relation,
                    level=level,
                    fields=frozenset(f for f in read if can_read(relation, level, f)),
                    reader_row=uuid.UUID(reader_row) if reader_row else None,
                )
            )
        return reads


@dataclass(frozen=True, slots=True)
class LogRead:
    log_id: uuid.UUID
    relation: Relation
    level: int
    fields: frozenset[PolicyField]
    reader_row: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Answer:
    data: str  # the ``data`` member of the response, as JSON text
    reads: list[LogRead]


_EXECUTOR = object()


def _my_logs_params(
    page_size_max: int, args: dict[str, Any], prefix: str, params: dict[str, Any]
) -> MyLogsVariant:
    """The call's values as parameters, checked by the executor's own ``my_logs_request``
    (a refusal: the executor answers, with its typed error)."""
    request = my_logs_request(
        first=args.get("first"),
        last=args.get("last"),
        after=args.get("after"),
        before=args.get("before"),
        order=LogOrder(getattr(order, "value", order)) if (order := args.get("orderBy")) else None,
        search=args.get("search"),
        maximum=page_size_max,
    )
    params[f"{prefix}_first"] = request.page.size
    params[f"{prefix}_limit"] = request.page.size + 1
    status, level = args.get("status"), args.get("level")
    organisation = args.get("organisationId")
    if status is not None:
        params[f"{prefix}_status"] = RelayLogStatus(getattr(status, "value", status))
    if level is not None:
        params[f"{prefix}_level"] = level
    org_id = None
    if organisation is not None:
        gid = decode_global_id(organisation)
        org_id = gid.object_id if gid else None
    if org_id is not None:
        params[f"{prefix}_organisation"] = org_id
    for name, values in (("after", request.after), ("before", request.before)):
        if values is None:
            continue
        if len(values) == 2:
            params[f"{prefix}_{name}_at"] = values[0]
        params[f"{prefix}_{name}_id"] = values[-1]
    if request.pattern is not None:
        params[f"{prefix}_search"] = request.pattern
    if request.national_id_hashes:
        params[f"{prefix}_search_hashes"] = list(request.national_id_hashes)
    return MyLogsVariant(
        status=status is not None,
        level=level is not None,
        organisation=org_id is not None,
        after=request.after is not None,
        before=request.before is not None,
        backward=request.page.backward,
        order=request.order,
        search=request.pattern is not None,
        search_national_id=bool(request.national_id_hashes),
    )


def _passive_params(
    viewer: Viewer, args: dict[str, Any], prefix: str, params: dict[str, Any]
) -> bool:
    """The report's unit and period, if the viewer may see it (else the executor answers
    with its one ``NOT_ALLOWED`` / ``INVALID_INPUT``)."""
    gid = decode_global_id(args["organisationId"])
    unit = gid.object_id if gid is not None and gid.type_name == "Organisation" else None
    inactive = args.get("inactiveDays")
    allowed = (
        viewer.staff_id is not None
        and unit is not None
        and may_see_unit_report(
            is_manager=viewer.is_manager, own_unit=viewer.organisation_id == unit
        )
    )
    if not allowed or (inactive is not None and not 1 <= inactive <= INACTIVE_DAYS_MAX):
        return False
    params[f"{prefix}_unit"] = unit
    params[f"{prefix}_inactive"] = inactive
    return True


def _node_params(args: dict[str, Any], prefix: str, params: dict[str, Any]) -> Any:
    gid = decode_global_id(args["id"])
    if gid is None:
        return None
    if gid.type_name not in supported_node_types():
        return None if gid.type_name not in {"Organisation", "StaffAccount"} else _EXECUTOR
    table = TABLES[gid.type_name]
    if table.node_needs_log:
        if gid.log_id is None:
            return None
        params[f"{prefix}_log_id"] = gid.log_id
    params[f"{prefix}_id"] = gid.object_id
    return gid.type_name


def _decrypted(match: re.Match[str]) -> str:
    return json.dumps(decrypt(match[1].encode()), ensure_ascii=False)[1:-1]


def compile_document(
    document: TrustedDocument,
    gql_schema: Any,
    definitions: dict[str, StrawberryObjectDefinition],
) -> CompiledOperation:
    """Plan a trusted document for one schema; what cannot be compiled stays the executor's."""
    operation = next(
        d for d in document.document.definitions if isinstance(d, OperationDefinitionNode)
    )
    fragments = {
        d.name.value: d
        for d in document.document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    try:
        planned: Plan | None = plan(gql_schema, definitions, operation, fragments)
        reason = None
    except NotCompilable as exc:
        planned, reason = None, str(exc)
    return CompiledOperation(document, operation, planned, reason)
