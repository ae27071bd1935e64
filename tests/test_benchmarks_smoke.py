"""The benchmark harness runs end to end at a tiny size (no timings asserted: CI machines vary)."""

from __future__ import annotations

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
