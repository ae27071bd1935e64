"""The named queries as realistic viewers send them: the seeded login users of a ``Manifest``,
each with a real token, looking at their own logs."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from auth.dev_keys import DevKeys
from benchmarks import queries
from benchmarks.load import Call, Scenario
from benchmarks.seed import Manifest
from relaylog.settings import Settings
from schema.node import encode_global_id

__all__ = ["BASELINE_OF", "NAMED", "Viewers", "baseline_scenarios", "named_scenarios"]

GUARDIAN = "guardian dashboard"
HOLDER_LOG = "holder log view"
MY_LOGS = "holder my-logs list"
MANAGER = "manager passive report"
EXTERNAL = "external actor view (level 2)"
NAMED = [GUARDIAN, HOLDER_LOG, MY_LOGS, MANAGER, EXTERNAL]
BASELINE_OF = {GUARDIAN: "/baseline/guardian-dashboard", HOLDER_LOG: "/baseline/holder-log"}


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


@dataclass
class Viewers:
    """Tokens and targets for each named query: lists of calls cycled through by the workers."""

    calls: dict[str, list[Call]]
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
        log_view: list[Call] = []
        external_view: list[Call] = []
        for _ in range(256):
            t, logs = rng.choice(holders)
            variables = {"id": encode_global_id("RelayLog", _uuid(rng.choice(logs)))}
            log_view.append(Call("/graphql", t, _body(queries.HOLDER_LOG_VIEW, variables)))
            t, logs = rng.choice(externals)
            variables = {"id": encode_global_id("RelayLog", _uuid(rng.choice(logs)))}
            external_view.append(Call("/graphql", t, _body(queries.EXTERNAL_LOG_VIEW, variables)))
        dashboard = _body(queries.GUARDIAN_DASHBOARD)
        my_logs = _body(queries.HOLDER_MY_LOGS)
        return cls(
            calls={
                GUARDIAN: [Call("/graphql/family", t, dashboard) for t in guardians],
                HOLDER_LOG: log_view,
                MY_LOGS: [Call("/graphql", t, my_logs) for t, _ in holders],
                EXTERNAL: external_view,
            },
            manager_token=token(manifest.manager_national_id),
            unit=encode_global_id("Organisation", _uuid(manifest.unit_id)),
        )

    def manager_call(self, inactive_days: int | None = None) -> Call:
        variables = {"unit": self.unit, "inactiveDays": inactive_days}
        return Call(
            "/graphql", self.manager_token, _body(queries.MANAGER_PASSIVE_REPORT, variables)
        )


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
    scenarios = [
        _cycling(name, "app", viewers.calls[name]) for name in (GUARDIAN, HOLDER_LOG, MY_LOGS)
    ]
    scenarios.append(Scenario(MANAGER, "app", lambda w, n, previous: viewers.manager_call()))
    scenarios.append(_cycling(EXTERNAL, "app", viewers.calls[EXTERNAL]))
    return scenarios


def baseline_scenarios(viewers: Viewers, *, audit: bool = True) -> list[Scenario]:
    suffix = "" if audit else "?audit=0"
    target = "baseline" if audit else "baseline (no audit)"
    return [
        _cycling(name, target, viewers.calls[name], path + suffix)
        for name, path in BASELINE_OF.items()
    ]
