"""The short markdown report: machine, sizes, figures, and each target as measured."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmarks.queries import PASSIVE_REPORT_IS_MY_LOGS
from benchmarks.scenarios import BASELINE_OF, HOLDER_LOG, MANAGER, MY_LOGS, NAMED

if TYPE_CHECKING:
    from benchmarks.runner import Options, SizeResult

__all__ = ["render"]

TARGET_RATIO = 1 / 3
TARGET_P95_GROWTH = 1.5
TARGET_POLICY_SHARE = 0.15
HOT_PLANS: list[tuple[str, str, str | None, int]] = [
    ("log scoping (auth/scoping.py): a holder's myLogs", MY_LOGS, "select relay_log", 0),
    ("the passive-log report of the manager's unit (its slowest statement)", MANAGER, None, 0),
    ("log scoping: access check of one log (holder log view)", HOLDER_LOG, "select relay_log", 1),
    ("loader: evaluations of a log's measures", HOLDER_LOG, "select evaluation", 0),
    ("loader: activity counters (lateral aggregates)", MY_LOGS, "select relay_log", 1),
]


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _load(result: SizeResult, name: str, target: str) -> dict[str, Any] | None:
    return next((x for x in result.loads if x["name"] == name and x["target"] == target), None)


def _bytes(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB" if n > 1024**3 else f"{n / 1024**2:.0f} MiB"


def render(results: list[SizeResult], options: Options, machine: dict[str, str]) -> str:
    out: list[str] = []
    add = out.append
    add("## Machine\n")
    add("| | |\n|---|---|")
    for key, value in machine.items():
        add(f"| {key} | {value} |")
    add(
        f"\nLoad: {options.concurrency} concurrent keep-alive connections (closed loop), "
        f"{options.seconds:g} s per query after {options.warmup:g} s warm-up; one uvicorn worker "
        "for the API and one for the baseline, run one after the other on 127.0.0.1; the load "
        "driver, the server and PostgreSQL share the machine's cores. *Server CPU ms/req* is "
        "the user + system CPU time of the server process per answer (from `/proc`): the cost "
        "that does not depend on what else runs on the machine.\n"
    )
    add("## Datasets\n")
    add("| logs | rows (all tables) | measures | evaluations | database size | build time |")
    add("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        add(
            f"| {r.logs:,} | {sum(r.counts.values()):,} | {r.counts.get('measure', 0):,} | "
            f"{r.counts.get('evaluation', 0):,} | {_bytes(r.database_bytes)} | "
            f"{r.build_seconds:.0f} s |"
        )
    for r in results:
        add(f"\n## Throughput and latency at {r.logs:,} logs\n")
        add(
            "| named query | served by | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req "
            "| requests | errors |"
        )
        add("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for load in r.loads:
            cpu = load.get("server_cpu_ms")
            add(
                f"| {load['name']} | {load['target']} | {load['throughput']:.1f} | "
                f"{load['p50_ms']:.1f} | {load['p95_ms']:.1f} | {load['p99_ms']:.1f} | "
                f"{'' if cpu is None else f'{cpu:.1f}'} | {load['requests']} | {load['errors']} |"
            )
        add("")
        for name in BASELINE_OF:
            app, base = _load(r, name, "app"), _load(r, name, "baseline")
            if app and base and base["throughput"]:
                ratio = app["throughput"] / base["throughput"]
                cpu = ""
                if app.get("server_cpu_ms") and base.get("server_cpu_ms"):
                    cpu = (
                        f"; server CPU per answer {app['server_cpu_ms']:.1f} ms vs "
                        f"{base['server_cpu_ms']:.1f} ms "
                        f"(ratio {base['server_cpu_ms'] / app['server_cpu_ms']:.2f})"
                    )
                add(
                    f"- **{name}**: API / baseline = {app['throughput']:.1f} / "
                    f"{base['throughput']:.1f} req/s = **{ratio:.2f}** (target ≥ 0.33: "
                    f"{_mark(ratio >= TARGET_RATIO)}){cpu}; the baseline's answer is the same "
                    f"JSON: {'yes' if r.same_json.get(name) else 'NO'}"
                    + (
                        f" (first difference, API vs baseline: `{r.json_differences[name]}`)"
                        if name in r.json_differences
                        else ""
                    )
                )
        if not PASSIVE_REPORT_IS_MY_LOGS:
            add(
                f"- The manager passive report is `passiveLogs` for the manager's unit, which "
                f"holds {r.unit_logs:,} logs: one request answers for the whole unit (every "
                "listed log is recorded in the audit trail as read)."
            )
        else:
            add(
                "- The manager passive report pages through `myLogs(organisationId:, first: 100)`"
                " with the activity counters (the dedicated report query did not exist when this"
                " was measured); one request is one page of 100 of the unit's logs."
            )
    if len(results) > 1:
        small, large = results[0], results[-1]
        a, b = _load(small, HOLDER_LOG, "app"), _load(large, HOLDER_LOG, "app")
        if a and b:
            growth = b["p95_ms"] / a["p95_ms"]
            add(f"\n## p95 of the holder log view from {small.logs:,} to {large.logs:,} logs\n")
            add(
                f"{a['p95_ms']:.1f} ms → {b['p95_ms']:.1f} ms: ×{growth:.2f} "
                f"(target ≤ ×1.5: {_mark(growth <= TARGET_P95_GROWTH)})"
            )
    last = results[-1]
    add(f"\n## SQL statements per request ({last.logs:,} logs)\n")
    add(
        "Counted with an engine `before_cursor_execute` listener, after one warm-up request "
        "(BEGIN and COMMIT are not statements and come on top). Each query is run for a small "
        "and a large result of the same kind of viewer.\n"
    )
    add("| named query | case | objects in answer | statements |")
    add("|---|---|---:|---:|")
    for rt in last.round_trips:
        add(f"| {rt['query']} | {rt['case']} | {rt['objects']} | {rt['statements']} |")
    constant = all(
        len({rt["statements"] for rt in last.round_trips if rt["query"] == name}) == 1
        for name in NAMED
    )
    add(f"\nConstant in the size of the result: {'yes' if constant else '**no**'}. ")
    add("The baseline sends 2 statements per request (the JSON, then the audit append).\n")
    if last.plans:
        add(f"\n## Query plans ({last.logs:,} logs, EXPLAIN ANALYZE BUFFERS)\n")
        add("| named query | statement | exec ms | plan ms | buffers hit/read | scans |")
        add("|---|---|---:|---:|---:|---|")
        for p in last.plans:
            add(
                f"| {p['query']} | {p['statement']} | {p['execution_ms']:.2f} | "
                f"{p['planning_ms']:.2f} | {p['shared_hit']}/{p['shared_read']} | "
                f"{'; '.join(p['scans'])} |"
            )
        seq = sorted({s for p in last.plans for s in p["scans"] if s.startswith("Seq Scan")})
        add(f"\nSequential scans: {', '.join(seq) if seq else 'none'}.")
        for title, query, statement, nth in HOT_PLANS:
            found = [
                p for p in last.plans if p["query"] == query and statement in (None, p["statement"])
            ]
            if statement is None:
                found.sort(key=lambda p: -p["execution_ms"])
            if len(found) > nth and found[nth]["text"]:
                add(f"\n<details><summary>{title}</summary>\n\n```\n{found[nth]['text']}\n```\n")
                add("</details>")
    prof = last.profile
    if prof:
        add(f"\n## Profile of the holder log view ({last.logs:,} logs, pyinstrument)\n")
        add(
            f"{prof['requests']} sequential requests in process: "
            f"{prof['wall_ms_per_request']:.1f} ms wall per request, of which "
            f"{prof['busy_ms_per_request']:.1f} ms busy (samples not waiting in the event loop "
            "for PostgreSQL; the client's side of the in-process transport included).\n"
        )
        add("| share of busy time | |\n|---|---:|")
        total = 0.0
        for name, share in prof["categories"].items():
            total += share
            add(f"| {name} | {share:.1%} |")
        add(f"| **policy + scoping + identity + audit** | **{total:.1%}** |")
        add(f"\nTarget ≤ 15 %: {_mark(total <= TARGET_POLICY_SHARE)}.\n")
        add("Where the busy time goes (self time by package):\n")
        add("| package | share |\n|---|---:|")
        for name, share in prof["libraries"].items():
            add(f"| {name} | {share:.1%} |")
    return "\n".join(out) + "\n"
