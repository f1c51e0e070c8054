"""The committed reports in docs/results/ still compute: same old figures, every new key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from langchain_s2a.eval import (
    Generation,
    ItemResult,
    compute_metrics,
    diagnose_rewrites,
    load_gsm_ic,
    load_trivia,
)

RESULTS = Path(__file__).resolve().parents[3] / "docs" / "results"
OLD_KEYS: tuple[str, ...] = (
    "n_items",
    "n_errors",
    "accuracy",
    "per_category",
    "per_category_n",
    "gap_closed",
)
OLD_KEYS += ("fallback_rate", "fallback_reasons", "parroting", "invariance")


def _load(name: str) -> tuple[list[ItemResult], dict[str, Any]]:
    items = {i.item_id: i for i in load_trivia() + load_gsm_ic()}
    results = []
    for line in (RESULTS / name / "items.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gen = Generation.from_dict(row["generation"]) if row["generation"] else None
        item = items[row["item_id"]]
        results.append(
            ItemResult(item, row["condition"], gen, row["error"], row["correct"], row["parsed"])
        )
    return results, json.loads((RESULTS / name / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name",
    [
        "report-trivia",
        "report-gsm-ic",
        "report-trivia-v10",
        "report-gsm-ic-judged",
        "report-trivia-v13",
        "report-gsm-ic-v13",
    ],
)
def test_committed_report_recomputes(name: str) -> None:
    if not (RESULTS / name / "items.jsonl").exists():
        pytest.skip(f"{name} not committed")
    results, committed = _load(name)
    metrics = compute_metrics(results)
    for task, rows in committed["metrics"].items():
        now = {m.condition: m.to_dict() for m in metrics[task]}
        for row in rows:
            fresh = now[row["condition"]]
            for key in OLD_KEYS:
                if key in row:
                    assert fresh[key] == pytest.approx(row[key]), (row["condition"], key)
            low, high = fresh["accuracy_ci95"]
            assert low <= fresh["accuracy"] <= high
            assert fresh["n_units"] > 0
    diagnostics = diagnose_rewrites(results)
    assert all(d.n_rewrites > 0 for ds in diagnostics.values() for d in ds)
