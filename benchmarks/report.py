"""The short markdown report: machine, sizes, figures, and each target as measured."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmarks.scenarios import (
    ADHOC,
    BASELINE,
    BASELINE_OF,
    COMPILED,
    HOLDER_LOG,
    MANAGER,
    MY_LOGS,
    NAMED,
    TRUSTED_OF,
)

if TYPE_CHECKING:
    from benchmarks.runner import Options, SizeResult

__all__ = ["render"]

TARGET_RATIO = 0.7  # compiled / baseline throughput at concurrency 8
TARGET_CPU = 1.5  # compiled / baseline server + PostgreSQL CPU per answer
TARGET_STATEMENTS = 3
TARGET_P95_GROWTH = 1.5
TARGET_POLICY_SHARE = 0.15
TARGET_NODE_RATIO = 0.10  # hidden vs missing node(id:) medians within 10 %
PATH_LABEL = {
    BASELINE: "baseline",
    f"{BASELINE} (no audit)": "baseline (no audit)",
    COMPILED: "API, trusted document (compiled)",
    ADHOC: "API, same text ad hoc (executor)",
}
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
        f"\nLoad: {options.concurrency} concurrent keep-alive connections (closed loop). The API "
        "and the baseline each run under one uvicorn worker, both started at once on 127.0.0.1; "
        f"for each named query its paths are measured in {options.rounds} interleaved rounds of "
        f"{options.seconds:g} s after {options.warmup:g} s warm-up each (the order rotates and "
        "reverses from round to round). *req/s* is the median of the rounds, *spread* their "
        "min–max; the percentiles are of every measured request of all rounds. The load driver, "
        "the servers and PostgreSQL share the machine's cores (and other test suites share the "
        "machine). *Server CPU* is the user + system CPU time of the server process per answer "
        "(`/proc/<pid>/stat`), *PostgreSQL CPU* that of the PostgreSQL backends serving that "
        "server's connections (found by their client ports in `pg_stat_activity`), medians of "
        "the rounds: the baseline makes PostgreSQL build the JSON, so server CPU alone flatters "
        "it. PostgreSQL's background processes (WAL writer, checkpointer) are not counted.\n"
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
        _throughput(add, r, options)
        _node(add, r)
    if len(results) > 1:
        small, large = results[0], results[-1]
        add(f"\n## p95 of the holder log view from {small.logs:,} to {large.logs:,} logs\n")
        add("| path | " + " | ".join(f"{x.logs:,} logs" for x in results) + " | growth |")
        add("|---|" + "---:|" * (len(results) + 1))
        for target in (COMPILED, ADHOC, BASELINE):
            loads = [_load(x, HOLDER_LOG, target) for x in results]
            if not all(loads):
                continue
            a, b = loads[0], loads[-1]
            assert a is not None
            assert b is not None
            growth = b["p95_ms"] / a["p95_ms"]
            mark = f" ({_mark(growth <= TARGET_P95_GROWTH)})" if target == COMPILED else ""
            cells = " | ".join(f"{x['p95_ms']:.1f} ms" for x in loads if x is not None)
            add(f"| {PATH_LABEL[target]} | {cells} | ×{growth:.2f}{mark} |")
        add(
            f"\nTarget for the compiled path: ×≤ {TARGET_P95_GROWTH} (measured up to "
            f"{large.logs:,} logs)."
        )
    last = results[-1]
    add(f"\n## SQL statements per request ({last.logs:,} logs)\n")
    add(
        "Counted with an engine `before_cursor_execute` listener, after one warm-up request "
        "(BEGIN and COMMIT are not statements and come on top). Each query is run for a small "
        "and a large result of the same kind of viewer.\n"
    )
    add(
        "| named query | case | objects in answer | trusted document | same text ad hoc "
        "| kinds (trusted) |"
    )
    add("|---|---|---:|---:|---:|---|")
    compiled_rts = {(rt["query"], rt["case"]): rt for rt in last.compiled_round_trips}
    for rt in last.round_trips:
        trusted = compiled_rts.get((rt["query"], rt["case"]))
        kinds = ", ".join(f"{k} {v}" for k, v in trusted["kinds"].items()) if trusted else ""
        add(
            f"| {rt['query']} | {rt['case']} | {rt['objects']} | "
            f"{trusted['statements'] if trusted else ''} | {rt['statements']} | {kinds} |"
        )
    for label, rts in (("trusted", last.compiled_round_trips), ("ad hoc", last.round_trips)):
        constant = all(
            len({rt["statements"] for rt in rts if rt["query"] == name}) <= 1 for name in NAMED
        )
        add(f"\n{label}: constant in the size of the result: {'yes' if constant else '**no**'}.")
    compiled_max = max(
        (rt["statements"] for rt in last.compiled_round_trips if rt["query"] != MANAGER),
        default=0,
    )
    add(
        f"Compiled documents: at most {compiled_max} statements per request including the audit "
        f"append (target ≤ {TARGET_STATEMENTS}: {_mark(0 < compiled_max <= TARGET_STATEMENTS)}); "
        "the passive report is not compiled (the executor answers it on both paths). "
        "The baseline sends 2 statements per request (the JSON, then the audit append).\n"
    )
    if last.compiled_plans:
        add(f"\n### The compiled statements ({last.logs:,} logs, EXPLAIN ANALYZE BUFFERS)\n")
        add("| named query | statement | exec ms | plan ms | buffers hit/read |")
        add("|---|---|---:|---:|---:|")
        for p in last.compiled_plans:
            add(
                f"| {p['query']} | {p['statement']} | {p['execution_ms']:.2f} | "
                f"{p['planning_ms']:.2f} | {p['shared_hit']}/{p['shared_read']} |"
            )
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
    for title, prof in (
        ("trusted document, compiled", last.compiled_profile),
        ("same text ad hoc, executor", last.profile),
    ):
        if prof:
            _profile(add, title, last.logs, prof)
    return "\n".join(out) + "\n"


def _profile(add: Any, title: str, logs: int, prof: dict[str, Any]) -> None:
    if prof:
        add(f"\n## Profile of the holder log view, {title} ({logs:,} logs, pyinstrument)\n")
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


def _f(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _throughput(add: Any, r: SizeResult, options: Options) -> None:
    add(f"\n## Throughput, latency and CPU at {r.logs:,} logs\n")
    add(
        "| named query | path | req/s (median) | spread | p50 ms | p95 ms | p99 ms "
        "| server CPU ms/ans | PostgreSQL CPU ms/ans | total CPU ms/ans | requests | errors |"
    )
    add("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for load in r.loads:
        spread = f"{load['throughput_min']:.1f}–{load['throughput_max']:.1f}"
        add(
            f"| {load['name']} | {PATH_LABEL.get(load['target'], load['target'])} | "
            f"{load['throughput']:.1f} | {spread} | {load['p50_ms']:.1f} | "
            f"{load['p95_ms']:.1f} | {load['p99_ms']:.1f} | {_f(load.get('server_cpu_ms'), 2)} | "
            f"{_f(load.get('pg_cpu_ms'), 2)} | {_f(load.get('cpu_ms'), 2)} | "
            f"{load['requests']} | {load['errors']} |"
        )
    add("")
    for name in BASELINE_OF:
        compiled, adhoc, base = (_load(r, name, t) for t in (COMPILED, ADHOC, BASELINE))
        if not (compiled and base and base["throughput"]):
            continue
        ratio = compiled["throughput"] / base["throughput"]
        line = (
            f"- **{name}** ({TRUSTED_OF[name]}): compiled / baseline throughput = "
            f"{compiled['throughput']:.1f} / {base['throughput']:.1f} = **{ratio:.2f}** "
            f"(target ≥ {TARGET_RATIO}: {_mark(ratio >= TARGET_RATIO)})"
        )
        if compiled.get("cpu_ms") and base.get("cpu_ms"):
            cpu = compiled["cpu_ms"] / base["cpu_ms"]
            line += (
                f"; server + PostgreSQL CPU per answer {compiled['cpu_ms']:.2f} / "
                f"{base['cpu_ms']:.2f} ms = **×{cpu:.2f}** "
                f"(target ≤ ×{TARGET_CPU}: {_mark(cpu <= TARGET_CPU)})"
            )
            if compiled.get("server_cpu_ms") and base.get("server_cpu_ms"):
                line += (
                    f" (server alone ×{compiled['server_cpu_ms'] / base['server_cpu_ms']:.2f}, "
                    f"PostgreSQL alone ×{compiled['pg_cpu_ms'] / base['pg_cpu_ms']:.2f})"
                )
        if adhoc and adhoc["throughput"]:
            line += (
                f"; ad hoc / baseline = {adhoc['throughput'] / base['throughput']:.2f}, "
                f"compiled / ad hoc = {compiled['throughput'] / adhoc['throughput']:.1f}×"
            )
        same = r.same_json.get(name)
        line += (
            f"; the baseline's answer equals the compiled one on the fields it writes: "
            f"{'yes' if same else 'NO'}"
        )
        if name in r.json_differences:
            line += f" (first difference, compiled vs baseline: `{r.json_differences[name]}`)"
        if name in r.baseline_complete:
            complete = "yes" if r.baseline_complete[name] else "no"
            line += f"; the baseline writes every field the document asks for: {complete}"
        add(line)
    for name in r.compiled_same_json:
        compiled, adhoc = _load(r, name, COMPILED), _load(r, name, ADHOC)
        speedup = ""
        if compiled and adhoc and adhoc["throughput"]:
            speedup = f"compiled / ad hoc = {compiled['throughput'] / adhoc['throughput']:.1f}×; "
        if name not in BASELINE_OF:
            add(
                f"- **{name}** ({TRUSTED_OF[name]}, no baseline): {speedup}"
                f"server + PostgreSQL CPU per answer "
                f"{_f(compiled.get('cpu_ms') if compiled else None, 2)} vs "
                f"{_f(adhoc.get('cpu_ms') if adhoc else None, 2)} ms"
            )
    checks = ", ".join(
        f"{name} {'yes' if same else 'NO'}" for name, same in r.compiled_same_json.items()
    )
    add(f"- Compiled answer = executor's answer (same text ad hoc, same viewer): {checks}")
    for name, difference in r.compiled_differences.items():
        add(f"  - {name}: first difference, compiled vs ad hoc: `{difference}`")
    add(
        f"- The manager passive report is `passiveLogs` for the manager's unit, which holds "
        f"{r.unit_logs:,} logs: one request answers for the whole unit (every listed log is "
        "recorded in the audit trail as read); one round of each path."
    )


def _node(add: Any, r: SizeResult) -> None:
    hvm = r.hidden_vs_missing
    if not hvm:
        return
    add(f"\n### `node(id:)` of a hidden log vs a missing id ({r.logs:,} logs)\n")
    add(
        f"HolderLogView as a holder: a log the holder cannot see ({hvm['ids']} different ones) "
        'against random RelayLog ids; both answer `{"data":{"node":null}}`. One keep-alive '
        f"connection, the four kinds shuffled request by request, {hvm['requests']} requests of "
        "each after 10 of warm-up.\n"
    )
    add("| path | hidden median ms (IQR) | missing median ms (IQR) | hidden / missing | |")
    add("|---|---:|---:|---:|---|")
    for target in (COMPILED, ADHOC):
        x = hvm[target]
        ok = abs(x["ratio"] - 1) <= TARGET_NODE_RATIO
        add(
            f"| {PATH_LABEL[target]} | {x['hidden_ms']:.2f} ({x['hidden_iqr_ms'][0]:.2f}–"
            f"{x['hidden_iqr_ms'][1]:.2f}) | {x['missing_ms']:.2f} ({x['missing_iqr_ms'][0]:.2f}–"
            f"{x['missing_iqr_ms'][1]:.2f}) | {x['ratio']:.3f} | {_mark(ok)} |"
        )
