"""``python -m benchmarks run --logs 10000 --seconds 20`` (see benchmarks/README.md)."""

from __future__ import annotations

from benchmarks.cli import main

main()
