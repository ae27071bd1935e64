"""The named queries as realistic viewers send them: the seeded login users of a ``Manifest``,
each with a real token, looking at their own logs.

Each named query is the committed trusted document the front end sends
(``schema/operations``), on three paths: ``compiled`` names it by ``documentId`` (one compiled
SQL statement; PassiveReport, which is not compiled, is answered by the executor), ``app`` sends
the same text as an ad hoc ``query`` (the Strawberry executor), ``baseline`` is the hand-written
reference (guardian dashboard and holder log view only)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from auth.dev_keys import DevKeys
from benchmarks.load import Call, Scenario
from benchmarks.seed import Manifest
from relaylog.settings import Settings
from schema.node import encode_global_id
from schema.trusted import TrustedDocument, trusted_documents

__all__ = [
    "ADHOC",
    "BASELINE",
    "BASELINE_OF",
    "COMPILED",
    "NAMED",
    "TRUSTED_OF",
    "Viewers",
    "baseline_scenarios",
    "compiled_scenarios",
    "named_scenarios",
    "trusted_body",
    "trusted_document",
]

GUARDIAN = "guardian dashboard"
HOLDER_LOG = "holder log view"
MY_LOGS = "holder my-logs list"
MANAGER = "manager passive report"
EXTERNAL = "external actor view (level 2)"
NAMED = [GUARDIAN, HOLDER_LOG, MY_LOGS, MANAGER, EXTERNAL]
BASELINE_OF = {GUARDIAN: "/baseline/guardian-dashboard", HOLDER_LOG: "/baseline/holder-log"}
TRUSTED_OF = {
    GUARDIAN: "GuardianDashboard",
    HOLDER_LOG: "HolderLogView",
    MY_LOGS: "HolderMyLogs",
    MANAGER: "PassiveReport",
    EXTERNAL: "ExternalLogView",
}
# The paths (``Scenario.target``): the trusted document by id, the same text ad hoc, the
# hand-written reference.
COMPILED = "compiled"
ADHOC = "app"
BASELINE = "baseline"


def trusted_document(name: str) -> TrustedDocument:
    """The committed trusted document a named query sends."""
    wanted = TRUSTED_OF[name]
    return next(d for d in trusted_documents() if d.name == wanted)


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def adhoc_body(name: str, variables: dict[str, Any] | None = None) -> bytes:
    """The trusted document's text sent as an ad hoc ``query`` (the executor answers)."""
    return _body(trusted_document(name).text, variables)


def trusted_body(name: str, variables: dict[str, Any] | None = None) -> bytes:
    """The trusted document named by id, as GraphQL-over-HTTP clients send it."""
    document_id = trusted_document(name).document_id
    return json.dumps({"documentId": document_id, "variables": variables or {}}).encode()


@dataclass
class Viewers:
    """Tokens and targets for each named query: lists of calls cycled through by the workers
    (``calls``: the ad hoc text, ``trusted``: the same requests by ``documentId``)."""

    calls: dict[str, list[Call]]
    trusted: dict[str, list[Call]]
    manager_token: str
    unit: str

    @classmethod
    def of(cls, manifest: Manifest, keys: DevKeys, settings: Settings, seed: int = 1) -> Viewers:
        rng = random.Random(seed)

        def token(national_id: str) -> str:
            return keys.mint(
                national_id, issuer=settings.token_issuer, audience=settings.token_audience
            )

        guardians = [token(g["national_id"]) for g in manifest.guardians if g["log_ids"]]
        holders = [(token(h["national_id"]), h["log_ids"]) for h in manifest.holders]
        externals = [(token(e["national_id"]), e["log_ids"]) for e in manifest.externals]
        requests: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
            HOLDER_LOG: [],
            EXTERNAL: [],
        }
        for _ in range(256):
            t, logs = rng.choice(holders)
            variables = {"id": encode_global_id("RelayLog", _uuid(rng.choice(logs)))}
            requests[HOLDER_LOG].append(("/graphql", t, variables))
            t, logs = rng.choice(externals)
            variables = {"id": encode_global_id("RelayLog", _uuid(rng.choice(logs)))}
            requests[EXTERNAL].append(("/graphql", t, variables))
        requests[GUARDIAN] = [("/graphql/family", t, {}) for t in guardians]
        requests[MY_LOGS] = [("/graphql", t, {"first": 50}) for t, _ in holders]

        def calls(body: Any) -> dict[str, list[Call]]:
            return {
                name: [Call(path, t, body(name, variables)) for path, t, variables in sent]
                for name, sent in requests.items()
            }

        return cls(
            calls=calls(adhoc_body),
            trusted=calls(trusted_body),
            manager_token=token(manifest.manager_national_id),
            unit=encode_global_id("Organisation", _uuid(manifest.unit_id)),
        )

    def manager_call(self, inactive_days: int | None = None, *, trusted: bool = False) -> Call:
        variables = {"unit": self.unit, "inactiveDays": inactive_days}
        body = trusted_body if trusted else adhoc_body
        return Call("/graphql", self.manager_token, body(MANAGER, variables))


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


def _cycling(name: str, target: str, calls: list[Call], path: str | None = None) -> Scenario:
    if path is not None:
        calls = [Call(path, c.token, c.body) for c in calls]

    def next_call(worker: int, n: int, previous: bytes | None) -> Call:
        return calls[(worker * 7919 + n) % len(calls)]

    return Scenario(name, target, next_call)


def named_scenarios(viewers: Viewers) -> list[Scenario]:
    """Every named query, its trusted document's text sent ad hoc (the executor)."""
    scenarios = [
        _cycling(name, ADHOC, viewers.calls[name]) for name in (GUARDIAN, HOLDER_LOG, MY_LOGS)
    ]
    scenarios.append(Scenario(MANAGER, ADHOC, lambda w, n, previous: viewers.manager_call()))
    scenarios.append(_cycling(EXTERNAL, ADHOC, viewers.calls[EXTERNAL]))
    return scenarios


def compiled_scenarios(viewers: Viewers) -> list[Scenario]:
    """The compiled trusted documents, named by ``documentId``."""
    return [
        _cycling(name, COMPILED, viewers.trusted[name])
        for name in (GUARDIAN, HOLDER_LOG, MY_LOGS, EXTERNAL)
    ]


def baseline_scenarios(viewers: Viewers, *, audit: bool = True) -> list[Scenario]:
    suffix = "" if audit else "?audit=0"
    target = BASELINE if audit else f"{BASELINE} (no audit)"
    return [
        _cycling(name, target, viewers.calls[name], path + suffix)
        for name, path in BASELINE_OF.items()
    ]
