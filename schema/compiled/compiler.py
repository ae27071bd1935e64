"""Compile a trusted GraphQL document into ONE SQL statement that writes the answer's JSON.

The document's selections become nested ``json_build_object`` / ``json_agg`` subqueries over
the tables in ``schema.compiled.tables``, in the document's field order. What a viewer may
read is rendered from the policy table, never written here: every log is reached through the
viewer's scoped access row (``auth.scoping``: the relation and the level), every ``gated``
field becomes ``CASE WHEN <READ_POLICY cell> THEN value END`` (``auth.scoping.field_visible_sql``,
conditional cells through ``auth.ownership.condition_sql``), and ``node(id:)`` admits an
object by ``auth.node_types.NODE_POLICY``. The executor remains the reference: anything this
module does not know (a field without SQL, arguments on nested fields, ``@skip``) raises
``NotCompilable`` and the document is answered by the executor.

SQL is built once per *variant*: the viewer's shape (``auth.scoping.AccessShape``), which
filters a ``myLogs`` call uses and which type a ``node`` id names. Values enter as named
bind parameters only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from sqlalchemy import literal_column
from sqlalchemy.dialects import postgresql
from strawberry.permission import PermissionExtension
from strawberry.types.base import StrawberryObjectDefinition

from auth.node_types import NODE_POLICY
from auth.policy import PASSIVE_REPORT_READS, PolicyField, Relation
from auth.scoping import (
    PLACEHOLDERS,
    AccessShape,
    field_visible_sql,
    reader_row_column,
    scoped_statement,
)
from models import RelayLog
from models.passive import PASSIVE_SQL
from models.relay_log import ACTIVITY_PLAN_DAYS
from resolvers.log_lists import LogListFilter, LogOrder, Search, my_logs_statement
from schema.compiled.sql import cursor_sql, datetime_sql, global_id_sql, order_cursor_sql
from schema.compiled.tables import TABLES, Many, One, Same, Value
from schema.permissions import POLICY_KEY

__all__ = ["MyLogsVariant", "NotCompilable", "Plan", "RootField", "compile_statement", "plan"]

_DIALECT = postgresql.dialect(paramstyle="named")
_PAIRS_MAX = 50  # json_build_object takes at most 100 arguments


class NotCompilable(Exception):
    """The document uses something only the executor answers."""


Selections = dict[str, list[FieldNode]]


@dataclass(frozen=True, slots=True)
class RootField:
    key: str
    name: str  # myLogs, node or __typename
    node: FieldNode | None


@dataclass(frozen=True, slots=True)
class MyLogsVariant:
    """Which of a ``myLogs`` call's arguments change its SQL text."""

    status: bool
    level: bool
    organisation: bool
    after: bool
    before: bool = False
    backward: bool = False
    order: LogOrder = LogOrder.LAST_ACTIVITY
    search: bool = False
    search_national_id: bool = False


_MY_LOGS_ARGUMENTS = frozenset(
    {
        "first",
        "after",
        "last",
        "before",
        "status",
        "level",
        "organisationId",
        "orderBy",
        "search",
    }
)


@dataclass
class Plan:
    """A document ready to compile: its root fields and the policy rows it reads."""

    schema: GraphQLSchema
    definitions: dict[str, StrawberryObjectDefinition]
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    roots: list[RootField]
    reads: frozenset[PolicyField] = field(default_factory=frozenset)

    def collect(
        self, type_: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]
    ) -> Selections:
        """The fields under ``selection_sets`` for an object of ``type_``, merged by
        response key in first-seen order, as graphql-core's executor collects them."""
        out: Selections = {}
        for selection_set in selection_sets:
            self._collect_into(out, type_, selection_set, set())
        return out

    def _collect_into(
        self,
        out: Selections,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode,
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise NotCompilable("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                out.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_):
                    self._collect_into(out, type_, selection.selection_set, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, type_):
                    self._collect_into(out, type_, fragment.selection_set, visited)

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        if condition == type_.name:
            return True
        return any(interface.name == condition for interface in type_.interfaces)


def plan(
    schema: GraphQLSchema,
    definitions: dict[str, StrawberryObjectDefinition],
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> Plan:
    """Check that the document can be compiled and which policy rows it reads."""
    if operation.operation.value != "query":
        raise NotCompilable("only queries are compiled")
    query_type = schema.query_type
    assert query_type is not None
    result = Plan(schema, definitions, operation, fragments, [])
    roots = result.collect(query_type, [operation.selection_set])
    for key, nodes in roots.items():
        if len(nodes) != 1:
            raise NotCompilable("a root field selected twice")
        name = nodes[0].name.value
        if name not in {"myLogs", "node", "viewer", "passiveLogs", "__typename"}:
            raise NotCompilable(f"root field {name}")
        result.roots.append(RootField(key, name, nodes[0]))
    # Compile every variant once, with a sample shape, to fail now rather than per request,
    # and to learn which policy rows the document reads.
    reads: set[PolicyField] = {PolicyField.LOG_SUMMARY}
    shape = AccessShape(any_relations=True, staff=True, manager=True, guardian=False, subject=False)
    for root in result.roots:
        if root.name == "viewer":
            _Compiler(result, reads).viewer(root, shape)
        elif root.name == "passiveLogs":
            _Compiler(result, reads).passive_logs(root)
        elif root.name == "myLogs":
            sample = MyLogsVariant(True, True, True, True, True, False, LogOrder.NEXT_DEADLINE)
            _Compiler(result, reads).my_logs(root, shape, sample)
        elif root.name == "node":
            for type_name in supported_node_types():
                _Compiler(result, reads).node(root, shape, type_name)
    result.reads = frozenset(reads)
    return result


def compile_statement(
    plan_: Plan, shape: AccessShape, variants: tuple[MyLogsVariant | str | None, ...]
) -> str:
    """The SQL text for one variant: ``SELECT data, reads``.

    ``variants`` holds, per root field, the ``MyLogsVariant`` of a ``myLogs`` call or the type
    named by a ``node`` id (``None``: an id of no object this schema has, answered ``null``);
    ``viewer`` and ``passiveLogs`` have one form each.
    """
    compiler = _Compiler(plan_, set())
    ctes: list[str] = []
    pairs: list[str] = []
    reads: list[str] = []
    for index, (root, variant) in enumerate(zip(plan_.roots, variants, strict=True)):
        if root.name == "__typename":
            pairs.append(f"'{root.key}', 'Query'")
            continue
        if root.name == "viewer":
            pairs.append(f"'{root.key}', {compiler.viewer(root, shape)}")
            continue
        if root.name == "myLogs":
            assert isinstance(variant, MyLogsVariant)
            cte, value, read = compiler.my_logs(root, shape, variant, index)
        elif root.name == "passiveLogs":
            cte, value, read = compiler.passive_logs(root, index)
        elif variant is None:
            pairs.append(f"'{root.key}', NULL::json")
            continue
        else:
            assert isinstance(variant, str)
            cte, value, read = compiler.node(root, shape, variant, index)
        ctes.append(cte)
        pairs.append(f"'{root.key}', {value}")
        reads.append(read)
    with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
    read_rows = " UNION ALL ".join(reads) if reads else "SELECT NULL, NULL, NULL, NULL WHERE false"
    return (
        f"{with_clause}SELECT json_build_object({', '.join(pairs)})::text AS data,"
        " (SELECT coalesce(json_agg(json_build_array(r.log_id, r.relation, r.level, r.reader_row)),"
        f" '[]'::json)::text FROM ({read_rows}) AS r(log_id, relation, level, reader_row)) AS reads"
    )


def _sql_text(statement: Any) -> str:
    """A SQLAlchemy statement as SQL text: constants inline, the viewer's ids as ``:name``."""
    return str(statement.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))


def _access_columns(shape: AccessShape) -> list[Any]:
    return [
        RelayLog.id.label("log_id"),
        RelayLog.level.label("level"),
        RelayLog.last_activity_at.label("last_activity_at"),
        reader_row_column(shape),
    ]


class _Compiler:
    def __init__(self, plan_: Plan, reads: set[PolicyField]) -> None:
        self.plan = plan_
        self.reads = reads
        self.aliases = 0

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    # Root fields -------------------------------------------------------------------------

    def my_logs(
        self, root: RootField, shape: AccessShape, variant: MyLogsVariant, index: int = 0
    ) -> tuple[str, str, str]:
        """One ``myLogs`` page: the CTE holds up to ``size + 1`` rows in the fetch order with
        their place in it (``pos``); a backward page is shown in the reverse of that order."""
        assert root.node is not None
        if {a.name.value for a in root.node.arguments or ()} - _MY_LOGS_ARGUMENTS:
            raise NotCompilable("unknown argument")
        prefix = f"r{index}"

        def param(name: str) -> Any:
            return literal_column(f":{prefix}_{name}")

        def cursor_values(name: str) -> tuple[Any, ...]:
            if variant.order is LogOrder.LAST_ACTIVITY:
                return (param(f"{name}_at"), param(f"{name}_id"))
            return (param(f"{name}_id"),)

        search = None
        if variant.search:
            search = Search(
                param("search"), param("search_hashes") if variant.search_national_id else None
            )
        page = LogListFilter(
            limit=param("limit"),
            status=param("status") if variant.status else None,
            level=param("level") if variant.level else None,
            organisation_id=param("organisation") if variant.organisation else None,
            after=cursor_values("after") if variant.after else None,
            before=cursor_values("before") if variant.before else None,
            order=variant.order,
            backward=variant.backward,
            search=search,
        )
        statement = my_logs_statement(
            shape, page, *_access_columns(shape), params=PLACEHOLDERS, position=True
        )
        cte = f"{prefix} AS MATERIALIZED ({_sql_text(statement)})"
        edges_page = f"(SELECT * FROM {prefix} WHERE pos <= :{prefix}_first)"
        shown = "a.pos DESC" if variant.backward else "a.pos"
        last_shown = "a.pos" if variant.backward else "a.pos DESC"
        if variant.order is LogOrder.LAST_ACTIVITY:
            cursor = cursor_sql("a.last_activity_at", "a.log_id")
        else:
            cursor = order_cursor_sql(variant.order.value, "a.log_id")
        more = f"(SELECT count(*) FROM {prefix}) > :{prefix}_first"
        given = "true" if (variant.before if variant.backward else variant.after) else "false"

        def edges(nodes: list[FieldNode]) -> str:
            log_alias = self.alias()
            edge = self.built(
                "RelayLogEdge",
                nodes,
                {
                    "cursor": lambda _: cursor,
                    "node": lambda n: self.object("RelayLog", self._type("RelayLog"), n, log_alias),
                },
            )
            return (
                f"(SELECT coalesce(json_agg({edge} ORDER BY {shown}), '[]'::json)"
                f" FROM {edges_page} a JOIN relay_log {log_alias} ON {log_alias}.id = a.log_id)"
            )

        def page_info(nodes: list[FieldNode]) -> str:
            return self.built(
                "PageInfo",
                nodes,
                {
                    "hasNextPage": lambda _: given if variant.backward else more,
                    "hasPreviousPage": lambda _: more if variant.backward else given,
                    "startCursor": lambda _: (
                        f"(SELECT {cursor} FROM {edges_page} a ORDER BY {shown} LIMIT 1)"
                    ),
                    "endCursor": lambda _: (
                        f"(SELECT {cursor} FROM {edges_page} a ORDER BY {last_shown} LIMIT 1)"
                    ),
                },
            )

        connection = self.built(
            "RelayLogConnection", [root.node], {"edges": edges, "pageInfo": page_info}
        )
        read = f"SELECT a.log_id, a.relation, a.level, a.reader_row FROM {edges_page} a"
        return cte, connection, read

    def node(
        self, root: RootField, shape: AccessShape, type_name: str, index: int = 0
    ) -> tuple[str, str, str]:
        """``node(id:)`` for an id of ``type_name``: the object joined with its log's access
        row in one statement, so a hidden object costs what a missing one does."""
        assert root.node is not None
        prefix = f"r{index}"
        table = TABLES[type_name]
        row = self.alias()
        access = _sql_text(scoped_statement(shape, *_access_columns(shape), params=PLACEHOLDERS))
        source = _fill(table.source, row, "").replace(":node_id", f":{prefix}_id")
        source = source.replace(":node_log_id", f":{prefix}_log_id")
        log_id = _fill(table.log_id, row, "").replace(":node_log_id", f":{prefix}_log_id")
        visible = field_visible_sql(NODE_POLICY[type_name], table.model, row)
        joined = source.replace(" WHERE ", f" JOIN ({access}) a ON a.log_id = {log_id} WHERE ", 1)
        cte = (
            f"{prefix} AS MATERIALIZED (SELECT {row}.id AS object_id, a.log_id, a.relation,"
            f" a.level, a.reader_row FROM {joined} AND {visible})"
        )
        gql_type = self._type(type_name)
        obj_alias = self.alias()
        assert root.node.selection_set is not None
        obj = self.object(type_name, gql_type, [root.node], obj_alias)
        from_table = _fill(table.source.split(" WHERE ")[0], obj_alias, "").replace(
            ":node_log_id", f":{prefix}_log_id"
        )
        value = f"(SELECT {obj} FROM {prefix} a JOIN {from_table} ON {obj_alias}.id = a.object_id)"
        read = f"SELECT log_id, relation, level, reader_row FROM {prefix}"
        return cte, value, read

    def passive_logs(self, root: RootField, index: int = 0) -> tuple[str, str, str]:
        """The unit manager's passive-log report (``models.passive``, one statement already)
        as JSON. Who may ask is decided before the statement runs (``auth.policy``
        ``may_see_unit_report``, in the runner); the rows name counts and the holder only."""
        assert root.node is not None
        prefix = f"r{index}"
        self.reads.update(PASSIVE_REPORT_READS)
        report = (
            PASSIVE_SQL.replace(":organisation_id", f":{prefix}_unit")
            .replace(":inactive_days", f"(SELECT days FROM {prefix}_days)")
            .replace(":plan_days", str(ACTIVITY_PLAN_DAYS))
        )
        cte = (
            f"{prefix}_days AS MATERIALIZED (SELECT coalesce(CAST(:{prefix}_inactive AS integer),"
            " m.passive_after_days) AS days, o.name AS organisation FROM organisation o"
            f" JOIN municipality m ON m.id = o.municipality_id WHERE o.id = :{prefix}_unit),"
            f" {prefix} AS MATERIALIZED ({report})"
        )
        columns = {
            "logId": global_id_sql("RelayLog", "p.log_id"),
            "status": "p.status",
            "level": "p.level",
            "lastActivityAt": datetime_sql("p.last_activity_at"),
            "daysInactive": "p.days_inactive",
            "inactive": "p.inactive",
            "overdueMeasures": "p.overdue_measures",
            "unrecordedMeetings": "p.unrecorded_meetings",
            "expiredConsents": "p.expired_consents",
            "activityPlanDeadline": "p.activity_plan_deadline",
            "activityPlanOverdue": "p.activity_plan_overdue",
        }

        def logs(nodes: list[FieldNode]) -> str:
            values = {name: _constant(sql) for name, sql in columns.items()}
            values["holder"] = lambda n: self.built(
                "PassiveLogHolder",
                n,
                {"name": lambda _: "p.holder_name", "position": lambda _: "p.holder_position"},
            )
            log = self.built("PassiveLog", nodes, values)
            return (
                f"(SELECT coalesce(json_agg({log} ORDER BY p.last_activity_at, p.log_id),"
                f" '[]'::json) FROM {prefix} p)"
            )

        report_json = self.built(
            "PassiveLogReport",
            [root.node],
            {
                "organisation": lambda _: "d.organisation",
                "inactiveDays": lambda _: "d.days",
                "asOf": lambda _: ":today",
                "logs": logs,
            },
        )
        value = f"(SELECT {report_json} FROM {prefix}_days d)"
        read = f"SELECT log_id, '{Relation.MANAGER.value}'::text, level, NULL::uuid FROM {prefix}"
        return cte, value, read

    def viewer(self, root: RootField, shape: AccessShape) -> str:
        """``viewer { kind audience name }``: who is asking (their own name is theirs)."""
        assert root.node is not None
        if shape.staff:
            name = "(SELECT s.name FROM staff_account s WHERE s.id = :viewer_staff_id)"
        elif shape.guardian:
            name = (
                "(SELECT g.name FROM guardian g WHERE g.id = ANY(:viewer_guardian_ids)"
                " ORDER BY g.created_at DESC LIMIT 1)"
            )
        else:
            name = (
                "(SELECT c.name FROM child c WHERE c.id = ANY(:viewer_child_ids)"
                " ORDER BY c.created_at DESC LIMIT 1)"
            )
        return self.built(
            "Viewer",
            [root.node],
            {
                "kind": lambda _: ":viewer_kind",
                "audience": lambda _: ":viewer_audience",
                "name": lambda _: name,
            },
        )

    def built(
        self,
        type_name: str,
        nodes: list[FieldNode],
        values: dict[str, Callable[[list[FieldNode]], str]],
    ) -> str:
        """``json_build_object`` of a type with no table (a connection, an edge, the viewer):
        each selected field's SQL from ``values``; anything else is the executor's."""
        pairs = []
        for key, field_nodes in self.plan.collect(self._type(type_name), _sets(nodes)).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append(f"'{key}', '{type_name}'")
            elif name in values:
                pairs.append(f"'{key}', {values[name](field_nodes)}")
            else:
                raise NotCompilable(f"{type_name}.{name}")
        return f"json_build_object({', '.join(pairs)})"

    # Objects -----------------------------------------------------------------------------

    def _type(self, name: str) -> GraphQLObjectType:
        type_ = self.plan.schema.get_type(name)
        if not isinstance(type_, GraphQLObjectType):
            raise NotCompilable(f"type {name}")
        return type_

    def object(
        self, type_name: str, gql_type: GraphQLObjectType, nodes: list[FieldNode], alias: str
    ) -> str:
        """``json_build_object`` of the selected fields of a ``type_name`` row at ``alias``."""
        table = TABLES.get(type_name)
        definition = self.plan.definitions.get(type_name)
        if table is None or definition is None:
            raise NotCompilable(f"type {type_name}")
        selections = self.plan.collect(gql_type, _sets(nodes))
        if len(selections) > _PAIRS_MAX:
            raise NotCompilable("too many fields in one object")
        pairs = []
        for key, field_nodes in selections.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append(f"'{key}', '{type_name}'")
                continue
            if any(node.arguments for node in field_nodes):
                raise NotCompilable(f"arguments on {type_name}.{name}")
            spec = table.fields.get(name)
            if spec is None:
                raise NotCompilable(f"{type_name}.{name}")
            policy, gated = _policy_of(definition, name)
            value = self.field(spec, gql_type, name, field_nodes, alias)
            if gated:
                assert policy is not None
                self.reads.add(policy)
                visible = field_visible_sql(policy, table.model, alias)
                empty = "'[]'::json" if isinstance(spec, Many) else "NULL"
                value = f"CASE WHEN {visible} THEN {value} ELSE {empty} END"
            pairs.append(f"'{key}', {value}")
        return f"json_build_object({', '.join(pairs)})"

    def field(
        self,
        spec: Value | One | Many | Same,
        gql_type: GraphQLObjectType,
        name: str,
        nodes: list[FieldNode],
        alias: str,
    ) -> str:
        if isinstance(spec, Value):
            sql = _fill(spec.sql, alias, alias)
            if spec.encrypted:
                return f"(:nid_marker || convert_from({sql}, 'UTF8'))"
            return sql
        child_type = get_named_type(gql_type.fields[name].type)
        assert isinstance(child_type, GraphQLObjectType)
        if isinstance(spec, Same):
            return self.object(spec.type_name, child_type, nodes, alias)
        child = self.alias()
        source = _fill(spec.source, child, alias)
        obj = self.object(spec.type_name, child_type, nodes, child)
        if isinstance(spec, One):
            return f"(SELECT {obj} FROM {source})"
        if spec.item_policy is not None:
            table = TABLES[spec.type_name]
            source += f" AND {field_visible_sql(spec.item_policy, table.model, child)}"
        order = _fill(spec.order, child, alias)
        return f"(SELECT coalesce(json_agg({obj} ORDER BY {order}), '[]'::json) FROM {source})"


def _constant(sql: str) -> Callable[[list[FieldNode]], str]:
    return lambda _: sql


def _sets(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]


def _fill(template: str, alias: str, parent: str) -> str:
    return template.replace("{t}", alias).replace("{p}", parent)


def _policy_of(
    definition: StrawberryObjectDefinition, graphql_name: str
) -> tuple[PolicyField | None, bool]:
    for strawberry_field in definition.fields:
        name = strawberry_field.graphql_name or _camel(strawberry_field.python_name)
        if name == graphql_name:
            metadata: dict[str, Any] = dict(strawberry_field.metadata or {})
            gated = any(isinstance(e, PermissionExtension) for e in strawberry_field.extensions)
            return metadata.get(POLICY_KEY), gated
    raise NotCompilable(f"{definition.name}.{graphql_name} is not a field")


def _camel(python_name: str) -> str:
    head, *rest = python_name.split("_")
    return head + "".join(part.title() for part in rest)


def supported_node_types() -> Iterable[str]:
    return [name for name in NODE_POLICY if name in TABLES]
