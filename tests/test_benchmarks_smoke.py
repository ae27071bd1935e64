"""The benchmark harness runs end to end at a tiny size (no timings asserted: CI machines vary)."""

from __future__ import annotations

import asyncio
from argparse import Namespace
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.runner import Options, run
from benchmarks.scenarios import NAMED
from models import secrets as data_protection
from tests.conftest import _server_url


@pytest.fixture
def keys_restored() -> Iterator[None]:
    """The harness configures its own data-protection secret; give the tests theirs back."""
    saved = data_protection._keys
    try:
        yield
    finally:
        data_protection._keys = saved


def test_the_harness_seeds_drives_every_named_query_and_reports(keys_restored: None) -> None:
    [result] = run(Options.for_smoke(_server_url()), say=lambda message: None)

    served = {(load["name"], load["target"]) for load in result.loads}
    assert {(name, "app") for name in NAMED} <= served
    assert {(name, "baseline") for name in result.same_json} <= served
    assert all(load["errors"] == 0 for load in result.loads), result.loads
    assert result.same_json, "the baseline was not compared with the API"
    assert all(result.same_json.values()), result.same_json
    by_query: dict[str, set[int]] = {}
    for rt in result.round_trips:
        by_query.setdefault(rt["query"], set()).add(rt["statements"])
    assert set(by_query) == set(NAMED)
    assert all(len(counts) == 1 for counts in by_query.values()), result.round_trips
    assert result.plans
    assert result.profile["requests"] == 3


def test_the_live_benchmark_measures_idle_subscriptions(
    keys_restored: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.live import main

    steps = main(
        Namespace(
            subscriptions=20, logs=40, server_url=_server_url(), output=tmp_path / "live.json"
        )
    )

    assert steps["subscriptions"] > 0
    assert steps["baseline"] > 0
    assert steps["delivered_to"] >= 1
    assert "idle subscriptions" in capsys.readouterr().out


def test_the_scale_benchmark_gives_each_connection_its_own_logs_and_runs(
    keys_restored: None,
) -> None:
    """At a tiny size: one uvicorn worker, two connections, a second per query. Whatever
    two connections send, they never read one log (so never append to one chain)."""
    from benchmarks.scale import deal, run
    from benchmarks.scenarios import GUARDIAN, HOLDER_LOG
    from benchmarks.seed import build_dataset, drop_database

    server = _server_url()
    name = "relaylog_bench_scale_smoke"
    asyncio.run(drop_database(server, name))
    url, manifest = build_dataset(server, name, 40, progress=lambda *a: None)
    try:
        shares = deal(manifest, 3)
        for query in (GUARDIAN, HOLDER_LOG):
            logs = [{log for read in share for log in read.log_ids} for share in shares[query]]
            assert all(logs), query  # every connection has something to read
            assert sum(len(own) for own in logs) == len(set().union(*logs)), query

        rows = asyncio.run(
            run(
                Namespace(
                    database_url=url,
                    logs=40,
                    concurrency=2,
                    seconds=1.0,
                    workers=[1],
                    global_lock=False,
                )
            )
        )
    finally:
        asyncio.run(drop_database(server, name))

    assert {row["query"] for row in rows} == {GUARDIAN, HOLDER_LOG}
    for row in rows:
        assert row["requests"] > 0, row
        assert row["errors"] == 0, row
        assert row["audit_lock_waits"] == 0, row
