"""Command line of the benchmark harness (``python -m benchmarks --help``)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="build or reuse the dataset(s), measure, write the report")
    run.add_argument("--logs", type=int, action="append", help="dataset size (repeatable)")
    run.add_argument(
        "--seconds", type=float, default=20.0, help="measured seconds per round and path"
    )
    run.add_argument("--rounds", type=int, default=3, help="interleaved rounds per path")
    run.add_argument(
        "--node-requests", type=int, default=80, help="node(id:) hidden/missing requests per kind"
    )
    run.add_argument("--warmup", type=float, default=2.0)
    run.add_argument("--concurrency", type=int, default=8)
    run.add_argument(
        "--server-url",
        help="PostgreSQL server (default: BENCHMARK_DATABASE_URL, "
        "TEST_DATABASE_URL, DATABASE_URL, else an embedded server)",
    )
    run.add_argument("--rebuild", action="store_true", help="rebuild even if the dataset exists")
    run.add_argument("--drop", action="store_true", help="drop the datasets afterwards")
    run.add_argument("--profile-requests", type=int, default=200)
    run.add_argument("--no-explain", action="store_true")
    run.add_argument("--report", type=Path, default=Path("benchmarks/results/report.md"))
    run.add_argument(
        "--smoke", action="store_true", help="a few logs, a fraction of a second per query"
    )

    again = sub.add_parser("report", help="write the report again from saved results")
    again.add_argument("results", type=Path, nargs="+", help="benchmarks/results/<logs>.json")
    again.add_argument("--server-url")
    again.add_argument("--seconds", type=float, default=20.0)
    again.add_argument("--rounds", type=int, default=3)
    again.add_argument("--report", type=Path, default=Path("benchmarks/results/report.md"))

    seed = sub.add_parser("seed", help="only build a dataset")
    seed.add_argument("--logs", type=int, required=True)
    seed.add_argument("--server-url")
    seed.add_argument("--workers", type=int)

    scale = sub.add_parser("scale", help="1 vs N API workers, PostgreSQL wait events sampled")
    scale.add_argument("--logs", type=int, default=10_000)
    scale.add_argument("--workers", type=int, action="append", help="worker counts (repeatable)")
    scale.add_argument("--concurrency", type=int, default=16)
    scale.add_argument("--seconds", type=float, default=20.0)
    scale.add_argument("--server-url")
    scale.add_argument(
        "--global-lock",
        action="store_true",
        help="also run with the audit append under one global lock (before 0010)",
    )
    scale.add_argument("--output", default="benchmarks/results/scale.json")

    live = sub.add_parser("live", help="memory of N idle subscriptions vs an idle server")
    live.add_argument("--subscriptions", type=int, default=500)
    live.add_argument("--logs", type=int, default=200, help="dataset size")
    live.add_argument("--server-url")
    live.add_argument("--output", default="benchmarks/results/live.json")

    serve = sub.add_parser("serve", help="(internal) serve the app or the baseline")
    serve.add_argument("target", choices=["app", "baseline"])
    serve.add_argument("--url", required=True)
    serve.add_argument("--port", type=int, required=True)

    args = parser.parse_args(argv)
    if args.command == "scale":
        from benchmarks.runner import server_url
        from benchmarks.scale import main as scale_main

        args.server_url = server_url(args.server_url)
        args.workers = args.workers or [1, 2]
        scale_main(args)
    elif args.command == "live":
        from benchmarks.live import main as live_main

        live_main(args)
    elif args.command == "serve":
        from benchmarks.servers import serve as serve_target

        serve_target(args.target, args.url, args.port)
    elif args.command == "report":
        from benchmarks.runner import Options, rerender

        defaults = Options(
            sizes=[], seconds=args.seconds, rounds=args.rounds, server_url=args.server_url
        )
        rerender(args.results, defaults, args.report)
        print(f"report written to {args.report}")
    elif args.command == "seed":
        from benchmarks.runner import server_url
        from benchmarks.seed import build_dataset

        url, manifest = build_dataset(
            server_url(args.server_url),
            f"relaylog_bench_{args.logs}",
            args.logs,
            workers=args.workers,
        )
        print(f"{url}: {sum(manifest.counts.values()):,} rows in {manifest.build_seconds} s")
    else:
        from benchmarks.runner import Options
        from benchmarks.runner import run as run_all

        if args.smoke:
            options = Options.for_smoke(args.server_url)
        else:
            options = Options(
                sizes=args.logs or [10_000],
                seconds=args.seconds,
                warmup=args.warmup,
                concurrency=args.concurrency,
                server_url=args.server_url,
                reuse=not args.rebuild,
                keep=not args.drop,
                profile_requests=args.profile_requests,
                report=args.report,
                explain=not args.no_explain,
                rounds=args.rounds,
                node_requests=args.node_requests,
            )
        run_all(options)
