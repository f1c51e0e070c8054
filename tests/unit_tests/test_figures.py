"""Figures the docs quote about costs match the committed JSON they cite.

The embedded model's costs (docs/guides/embedded-model.md) and the memory table of
docs/benchmarks.md; the evaluation figures with intervals are checked against their runs
by tests/unit_tests/test_docs_site.py.

A re-run benchmark that rewrites its JSON must bring the prose along, and a figure
must not drift away from the file named next to it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = (ROOT / "docs" / "guides" / "embedded-model.md").read_text(encoding="utf-8")
BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")


def _json(path: str) -> Any:
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


def _local_model(size: str) -> dict[str, Any]:
    (row,) = [
        r for r in _json("benchmarks/results/local_model.json")["results"] if r["size"] == size
    ]
    return dict(row)


def _condition(path: str, task: str, condition: str) -> dict[str, Any]:
    (row,) = [r for r in _json(path)["metrics"][task] if r["condition"] == condition]
    return dict(row)


def _costs() -> str:
    return EMBEDDED.split("\nCosts on this project", 1)[1].split("\n\n", 1)[0]


def test_embedded_model_costs_come_from_the_cited_json() -> None:
    costs = _costs()
    assert "benchmarks/results/local_model.json" in costs
    model = _local_model("1.5b")
    assert f"{model['first_run_join_s']} s for that" in costs
    assert f"{model['load_s']} s to load the 1.5B model" in costs
    assert f"{model['peak_rss_mb']:,.0f} MB resident" in costs

    assert "docs/results/report-trivia-v10/results.json" in costs
    s2a = _condition("docs/results/report-trivia-v10/results.json", "trivia", "s2a")
    assert f"{s2a['mean_latency_s']['rewrite']:.1f} s to rewrite" in costs
    assert f"{s2a['mean_latency_s']['answer']:.1f} s to answer" in costs
    # Only the cited figures: no other number with a unit of time or memory.
    quoted = re.findall(r"\d[\d,.]*\s?(?:s|min|MB|GB)\b", costs)
    assert sorted(quoted) == sorted(
        [
            f"{model['first_run_join_s']} s",
            f"{model['load_s']} s",
            f"{model['peak_rss_mb']:,.0f} MB",
            f"{s2a['mean_latency_s']['rewrite']:.1f} s",
            f"{s2a['mean_latency_s']['answer']:.1f} s",
            "1.1 GB",  # the size of the GGUF file (langchain_s2a.models._weights), not a measurement
        ]
    )


def test_benchmarks_memory_table_comes_from_local_model_json() -> None:
    section = BENCHMARKS.split("## Memory and first-run costs of the embedded model", 1)[1]
    for size, label in [("1.5b", "1.5B (default)"), ("0.5b", "0.5B")]:
        row = _local_model(size)
        expected = (
            f"| {label} | {row['first_run_join_s']} s | {row['load_s']} s | "
            f"{row['latency_s']:.1f} s | {row['peak_rss_mb']:,.0f} MB |"
        )
        assert expected in section, expected


def test_the_docs_describe_the_default_model_packages() -> None:
    from langchain_s2a.models import model_spec

    spec = model_spec("1.5b")
    assert f"{spec.total_bytes:,} bytes" in EMBEDDED
    assert spec.sha256 in EMBEDDED
    assert round(spec.total_bytes / 1e9, 1) == 1.1
    assert f"({spec.n_parts} packages, 1.1 GB)" in _costs()
