"""The speed-of-light reference: hand-written asyncpg + Starlette, no ORM, no GraphQL.

It answers the guardian dashboard and the holder log view with the same JSON as the GraphQL
API and keeps the same obligations: it verifies the same bearer token, finds the viewer by
the keyed hash of the national id, scopes the logs in SQL, decrypts the national ids it
returns, and appends the read to the hash-chained audit trail. PostgreSQL builds the whole
JSON document in ONE statement; the audit append is a second (one PL/pgSQL call). It knows
the policy only for the two viewers it serves (a guardian reading their children's logs, a
holder reading their own log): deliberately narrow, as a reference must be.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.tokens import TokenError, TokenVerifier
from models import secrets as data_protection

__all__ = ["AUDIT_FUNCTION", "GUARDIAN_SQL", "HOLDER_SQL", "build_baseline_app"]


def gid(type_name: str, id_sql: str, log_sql: str | None = None) -> str:
    """SQL for ``schema.node.encode_global_id``: unpadded URL-safe base64 of ``Type:uuid``."""
    raw = f"'{type_name}:' || {id_sql}::text"
    if log_sql is not None:
        raw += f" || ':' || {log_sql}::text"
    return f"rtrim(translate(encode(convert_to({raw}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"


def token_text(column: str) -> str:
    """A Fernet ciphertext as text: Python swaps it for the plain value after one decrypt."""
    return f"convert_from({column}, 'UTF8')"


GUARDIAN_SQL = f"""
WITH viewer AS (SELECT id FROM guardian WHERE national_id_hash = $1),
logs AS (
  SELECT l.* FROM relay_log l
  JOIN child_guardian cg ON cg.child_id = l.child_id AND cg.parental_responsibility
  WHERE cg.guardian_id = (SELECT id FROM viewer) AND l.level >= 1
  ORDER BY l.last_activity_at DESC, l.id DESC
  LIMIT $2
)
SELECT (SELECT id FROM viewer) AS viewer_id,
  coalesce(array_agg(l.id ORDER BY l.last_activity_at DESC, l.id DESC), '{{}}') AS log_ids,
  coalesce(json_agg(json_build_object('node', json_build_object(
    'id', {gid("RelayLog", "l.id")},
    'level', l.level,
    'status', l.status,
    'child', (SELECT json_build_object('name', c.name, 'birthDate', c.birth_date)
              FROM child c WHERE c.id = l.child_id),
    'pointsOfAttention', (
      SELECT coalesce(json_agg(json_build_object(
        'id', {gid("PointOfAttention", "p.id")},
        'category', p.category, 'description', p.description, 'status', p.status,
        'measures', (
          SELECT coalesce(json_agg(json_build_object(
            'id', {gid("Measure", "m.id")}, 'type', m.type, 'description', m.description,
            'status', m.status, 'finishedBy', m.finished_by,
            'daysToDeadline', m.finished_by - $3::date) ORDER BY m.initiated_on), '[]')
          FROM measure m WHERE m.point_id = p.id)
      ) ORDER BY p.created_at), '[]')
      FROM point_of_attention p WHERE p.log_id = l.id),
    'activity', json_build_object(
      'lastActivityAt', l.last_activity_at,
      'openMeasures', (SELECT count(*) FROM measure m
                       WHERE m.log_id = l.id AND m.status = 'OPEN'),
      'overdueMeasures', (SELECT count(*) FROM measure m
                          WHERE m.log_id = l.id AND m.status = 'OPEN' AND m.finished_by < $3),
      'nextMeetingOn', (SELECT min(mt.held_on) FROM meeting mt
                        WHERE mt.log_id = l.id AND mt.status = 'PLANNED' AND mt.held_on >= $3)),
    'sparkles', (
      SELECT coalesce(json_agg(json_build_object(
        'id', {gid("Sparkle", "s.id")}, 'occurredOn', s.occurred_on, 'text', s.text,
        'authorKind', s.author_kind) ORDER BY s.occurred_on DESC), '[]')
      FROM sparkle s WHERE s.log_id = l.id)
  )) ORDER BY l.last_activity_at DESC, l.id DESC), '[]')::text AS edges
FROM logs l
"""

HOLDER_SQL = f"""
WITH viewer AS (
  SELECT id FROM staff_account WHERE national_id_hash = $1 AND active
), l AS (
  SELECT l.* FROM relay_log l
  JOIN actor_membership me ON me.log_id = l.id AND me.is_holder AND me.status = 'ACTIVE'
  WHERE l.id = $2 AND me.staff_id = (SELECT id FROM viewer)
)
SELECT (SELECT id FROM viewer) AS viewer_id, l.id AS log_id,
  (SELECT array_agg({token_text("national_id")}) FROM guardian g
     JOIN child_guardian cg ON cg.guardian_id = g.id AND cg.child_id = l.child_id)
  || (SELECT ARRAY[{token_text("national_id")}, {token_text("address")}]
      FROM child WHERE id = l.child_id) AS secrets,
  json_build_object(
  'id', {gid("RelayLog", "l.id")}, 'level', l.level, 'status', l.status, 'version', l.version,
  'createdAt', l.created_at, 'closeReason', l.close_reason, 'pausedReason', l.paused_reason,
  'child', (SELECT json_build_object('name', c.name, 'birthDate', c.birth_date,
              'nationalId', {token_text("c.national_id")}, 'address', {token_text("c.address")})
            FROM child c WHERE c.id = l.child_id),
  'guardians', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("Guardian", "g.id", "l.id")}, 'name', g.name, 'phone', g.phone,
      'email', g.email, 'nationalId', {token_text("g.national_id")}) ORDER BY cg.guardian_id), '[]')
    FROM child_guardian cg JOIN guardian g ON g.id = cg.guardian_id
    WHERE cg.child_id = l.child_id),
  'consents', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("Consent", "c.id")}, 'scope', c.scope, 'givenByKind', c.given_by_kind,
      'evidence', c.evidence, 'givenOn', c.given_on, 'validUntil', c.valid_until,
      'withdrawnAt', c.withdrawn_at,
      'document', (SELECT json_build_object('contentType', d.content_type,
                     'sizeBytes', d.size_bytes, 'sha256', d.sha256)
                   FROM consent_document d WHERE d.id = c.document_id))
      ORDER BY c.given_on, c.id), '[]')
    FROM consent c WHERE c.log_id = l.id),
  'actors', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("Actor", "a.id")}, 'name', s.name, 'position', s.position,
      'organisationName', o.name, 'officePhone', s.office_phone, 'email', s.email,
      'mobile', s.mobile, 'isHolder', a.is_holder, 'status', a.status,
      'deactivatedReason', a.deactivated_reason)
      ORDER BY a.is_holder DESC, a.created_at, a.id), '[]')
    FROM actor_membership a JOIN staff_account s ON s.id = a.staff_id
    JOIN organisation o ON o.id = a.organisation_id WHERE a.log_id = l.id),
  'pointsOfAttention', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("PointOfAttention", "p.id")}, 'category', p.category,
      'description', p.description, 'goal', p.goal, 'informedManager', p.informed_manager,
      'informedGuardian', p.informed_guardian, 'informedChild', p.informed_child,
      'assessedLevel', p.assessed_level, 'status', p.status, 'version', p.version,
      'measures', CASE WHEN l.level >= 1 THEN (
        SELECT coalesce(json_agg(json_build_object(
          'id', {gid("Measure", "m.id")}, 'pointId', {gid("PointOfAttention", "m.point_id")},
          'type', m.type, 'description', m.description,
          'responsibleGuardians', m.responsible_guardians,
          'responsibleChild', m.responsible_child, 'initiatedOn', m.initiated_on,
          'finishedBy', m.finished_by, 'daysToDeadline', m.finished_by - $3::date,
          'status', m.status, 'version', m.version,
          'responsibleActors', (
            SELECT coalesce(json_agg(json_build_object('id', {gid("Actor", "a.id")},
                                                       'name', s.name)
                            ORDER BY a.is_holder DESC, a.created_at, a.id), '[]')
            FROM actor_membership a JOIN staff_account s ON s.id = a.staff_id
            WHERE a.log_id = l.id AND a.staff_id IN (
              SELECT r.staff_id FROM measure_responsible r WHERE r.measure_id = m.id)),
          'evaluations', (
            SELECT coalesce(json_agg(json_build_object(
              'id', {gid("Evaluation", "e.id")}, 'outcome', e.outcome,
              'statusAfter', e.status_after, 'comment', e.comment,
              'evaluatedAt', e.evaluated_at, 'authorKind', e.author_kind)
              ORDER BY e.evaluated_at), '[]')
            FROM evaluation e WHERE e.measure_id = m.id)
        ) ORDER BY m.initiated_on), '[]')
        FROM measure m WHERE m.point_id = p.id) END
    ) ORDER BY p.created_at), '[]')
    FROM point_of_attention p WHERE p.log_id = l.id),
  'meetings', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("Meeting", "mt.id")}, 'heldOn', mt.held_on, 'startsAt', mt.starts_at,
      'endsAt', mt.ends_at, 'place', mt.place,
      'organisationName', (SELECT name FROM organisation WHERE id = mt.organisation_id),
      'status', mt.status, 'comments', mt.comments, 'version', mt.version,
      'participants', (
        SELECT coalesce(json_agg(json_build_object(
          'kind', mp.kind,
          'name', coalesce(CASE mp.kind WHEN 'CHILD' THEN (SELECT name FROM child
                                                             WHERE id = l.child_id)
                                        WHEN 'ACTOR' THEN (SELECT name FROM staff_account
                                                             WHERE id = mp.staff_id)
                                        ELSE (SELECT name FROM guardian
                                              WHERE id = mp.guardian_id) END, ''),
          'invited', mp.invited, 'present', mp.present) ORDER BY mp.kind), '[]')
        FROM meeting_participant mp WHERE mp.meeting_id = mt.id)
    ) ORDER BY mt.held_on DESC), '[]')
    FROM meeting mt WHERE mt.log_id = l.id),
  'notes', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("Note", "n.id")}, 'text', n.text, 'adultsOnly', n.adults_only,
      'isSummary', n.is_summary, 'pointId', {gid("PointOfAttention", "n.point_id")},
      'meetingId', {gid("Meeting", "n.meeting_id")}, 'authorKind', n.author_kind,
      'createdAt', n.created_at, 'version', n.version)
      ORDER BY n.created_at DESC), '[]')
    FROM note n WHERE n.log_id = l.id),
  'sparkles', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("Sparkle", "s.id")}, 'occurredOn', s.occurred_on, 'text', s.text,
      'authorKind', s.author_kind) ORDER BY s.occurred_on DESC), '[]')
    FROM sparkle s WHERE s.log_id = l.id),
  'attentionConversations', (
    SELECT coalesce(json_agg(json_build_object(
      'id', {gid("AttentionConversation", "ac.id")}, 'observation', ac.observation,
      'heldOn', ac.held_on, 'sharedWithContactOn', ac.shared_with_contact_on,
      'sharedWithGuardiansOn', ac.shared_with_guardians_on, 'outcome', ac.outcome,
      'version', ac.version) ORDER BY ac.held_on, ac.created_at, ac.id), '[]')
    FROM attention_conversation ac WHERE ac.log_id = l.id),
  'activity', json_build_object(
    'lastActivityAt', l.last_activity_at,
    'openMeasures', (SELECT count(*) FROM measure m WHERE m.log_id = l.id AND m.status = 'OPEN'),
    'overdueMeasures', (SELECT count(*) FROM measure m
                        WHERE m.log_id = l.id AND m.status = 'OPEN' AND m.finished_by < $3),
    'unrecordedMeetings', (SELECT count(*) FROM meeting mt WHERE mt.log_id = l.id
                           AND mt.status = 'PLANNED' AND mt.held_on < $3),
    'nextMeetingOn', (SELECT min(mt.held_on) FROM meeting mt WHERE mt.log_id = l.id
                      AND mt.status = 'PLANNED' AND mt.held_on >= $3),
    'activityPlanReportedOn', l.activity_plan_reported_on,
    'activityPlanDeadline', l.activity_plan_reported_on + 7,
    'activityPlanMet', CASE WHEN l.activity_plan_reported_on IS NOT NULL THEN coalesce(
      ((SELECT min(m.created_at) FROM measure m WHERE m.log_id = l.id)
       AT TIME ZONE 'Europe/Oslo')::date <= l.activity_plan_reported_on + 7, false) END),
  'levelHistory', (
    SELECT coalesce(json_agg(json_build_object(
      'fromLevel', lc.from_level, 'toLevel', lc.to_level, 'reason', lc.reason,
      'changedAt', lc.changed_at) ORDER BY lc.changed_at), '[]')
    FROM level_change lc WHERE lc.log_id = l.id)
  )::text AS node
FROM l
"""

AUDIT_FUNCTION = """
CREATE OR REPLACE FUNCTION benchmark_audit_append(
  p_at timestamptz, p_kind text, p_actor uuid, p_relation text, p_request text,
  p_client text, p_logs uuid[], p_fields varchar[], p_bodies text[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
  k text;
  body bytea;
  n bigint;
  prev bytea;
  next_hash bytea;
BEGIN
  -- as relaylog_audit_append (migration 0010): one chain per log, heads in chain order
  FOR r IN SELECT l, b FROM unnest(p_logs, p_bodies) AS t(l, b) ORDER BY l::text COLLATE "C"
  LOOP
    k := 'log:' || r.l::text;
    body := convert_to(r.b, 'UTF8');
    INSERT INTO audit_chain AS c (chain, seq, prev_hash, hash)
    VALUES (k, 1, sha256(convert_to('relaylog audit chain ' || k, 'UTF8')),
            sha256(sha256(convert_to('relaylog audit chain ' || k, 'UTF8')) || body))
    ON CONFLICT (chain) DO UPDATE
      SET seq = c.seq + 1, prev_hash = c.hash, hash = sha256(c.hash || body),
          updated_at = now()
    RETURNING c.seq, c.prev_hash, c.hash INTO n, prev, next_hash;
    INSERT INTO audit_event (occurred_at, request_id, actor_kind, actor_id, relation, action,
      object_type, object_id, log_id, fields, client_address, chain, chain_seq, prev_hash,
      hash)
    VALUES (p_at, p_request, p_kind, p_actor, p_relation, 'READ', 'RelayLog', r.l,
      r.l, p_fields, p_client, k, n, prev, next_hash);
  END LOOP;
END $$
"""
AUDIT_CALL = "SELECT benchmark_audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9)"

GUARDIAN_FIELDS = sorted(["ACTIVITY", "MEASURES", "POINTS", "SPARKLES"])
HOLDER_FIELDS = sorted(
    [
        "LOG_SUMMARY",
        "CHILD_IDENTITY",
        "GUARDIAN_CONTACT",
        "GUARDIAN_NATIONAL_ID",
        "CONSENT_STATUS",
        "ACTOR_CONTACT",
        "ACTOR_MOBILE",
        "POINTS",
        "MEASURES",
        "MEETINGS",
        "NOTES",
        "SPARKLES",
        "ACTIVITY",
    ]
)
_BEARER = re.compile(r"(?i)^bearer\s+(\S+)$")


def _body(
    at: datetime,
    kind: str,
    actor: uuid.UUID,
    relation: str,
    request_id: str,
    client: str | None,
    log_id: uuid.UUID,
    fields: list[str],
) -> str:
    """The audit payload exactly as ``models.audit.AuditEvent.payload`` serialises it."""
    payload = {
        "occurred_at": at.isoformat(),
        "request_id": request_id,
        "actor_kind": kind,
        "actor_id": str(actor),
        "relation": relation,
        "action": "READ",
        "object_type": "RelayLog",
        "object_id": str(log_id),
        "log_id": str(log_id),
        "fields": fields,
        "client_address": client,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def build_baseline_app(url: str, verifier: TokenVerifier, today: Callable[[], date]) -> Starlette:
    """``today`` is asked per request (an Oslo date), as the API does."""
    pool: dict[str, Any] = {}

    async def connection_pool() -> Any:
        if "pool" not in pool:
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            pool["pool"] = await asyncpg.create_pool(
                user=parsed.username or "postgres",
                password=parsed.password,
                host=parsed.query.get("host") or parsed.host,
                port=parsed.port,
                database=parsed.database,
                min_size=2,
                max_size=10,
                server_settings={"timezone": "UTC"},
            )
            async with pool["pool"].acquire() as conn:
                await conn.execute(AUDIT_FUNCTION)
        return pool["pool"]

    def _pid(request: Request) -> str | None:
        match = _BEARER.match(request.headers.get("authorization", ""))
        if match is None:
            return None
        try:
            return verifier.verify(match.group(1)).pid
        except TokenError:
            return None

    async def _audit(
        conn: Any,
        request: Request,
        kind: str,
        actor: uuid.UUID,
        relation: str,
        log_ids: list[uuid.UUID],
        fields: list[str],
        audit: bool,
    ) -> None:
        if not audit or not log_ids:
            return
        at = datetime.now(UTC)
        request_id = request.headers.get("x-request-id", uuid.uuid4().hex)[:64]
        client = request.client.host if request.client else None
        bodies = [
            _body(at, kind, actor, relation, request_id, client, log_id, fields)
            for log_id in log_ids
        ]
        await conn.execute(
            AUDIT_CALL, at, kind, actor, relation, request_id, client, log_ids, fields, bodies
        )

    def _unauthorized() -> Response:
        return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)

    async def guardian_dashboard(request: Request) -> Response:
        pid = _pid(request)
        if pid is None:
            return _unauthorized()
        await request.body()
        audit = request.query_params.get("audit", "1") != "0"
        async with (await connection_pool()).acquire() as conn:
            row = await conn.fetchrow(GUARDIAN_SQL, data_protection.keyed_hash(pid), 20, today())
            if row["viewer_id"] is None:
                return Response(b'{"data":{"myLogs":{"edges":[]}}}', media_type="application/json")
            await _audit(
                conn,
                request,
                "GUARDIAN",
                row["viewer_id"],
                "GUARDIAN",
                list(row["log_ids"]),
                GUARDIAN_FIELDS,
                audit,
            )
        body = '{"data":{"myLogs":{"edges":' + row["edges"] + "}}}"
        return Response(body.encode(), media_type="application/json")

    async def holder_log(request: Request) -> Response:
        pid = _pid(request)
        if pid is None:
            return _unauthorized()
        payload = json.loads(await request.body())
        audit = request.query_params.get("audit", "1") != "0"
        log_id = _log_id(payload.get("variables", {}).get("id"))
        if log_id is None:
            return Response(b'{"data":{"node":null}}', media_type="application/json")
        async with (await connection_pool()).acquire() as conn:
            row = await conn.fetchrow(HOLDER_SQL, data_protection.keyed_hash(pid), log_id, today())
            if row is None:
                return Response(b'{"data":{"node":null}}', media_type="application/json")
            await _audit(
                conn, request, "STAFF", row["viewer_id"], "HOLDER", [log_id], HOLDER_FIELDS, audit
            )
        node: str = row["node"]
        fernet = data_protection._require().fernet
        for token in row["secrets"] or []:
            if token:
                node = node.replace(token, fernet.decrypt(token.encode()).decode(), 1)
        return Response(('{"data":{"node":' + node + "}}").encode(), media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if "pool" in pool:
            await pool["pool"].close()

    async def healthz(request: Request) -> Response:
        await connection_pool()
        return Response(b"ok")

    return Starlette(
        routes=[
            Route("/baseline/guardian-dashboard", guardian_dashboard, methods=["POST"]),
            Route("/baseline/holder-log", holder_log, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _log_id(global_id: object) -> uuid.UUID | None:
    from schema.node import decode_global_id

    decoded = decode_global_id(global_id)
    if decoded is None or decoded.type_name != "RelayLog":
        return None
    return decoded.object_id
