"""The PDF benchmark runs at its smoke size (no timing asserted: machines vary)."""

from __future__ import annotations

import pytest

from benchmarks.pdf_export import main


def test_the_pdf_benchmark_reports_time_and_memory(capsys: pytest.CaptureFixture[str]) -> None:
    result = main(["--quick"])

    assert result["pages"] >= 1
    assert result["large_pages"] > result["pages"]
    assert result["median_ms"] > 0
    assert result["large_peak_mib"] > 0
    assert result["sign_ms"] > 0
    assert result["validate_ms"] > 0
    assert "median" in capsys.readouterr().out
