"""The noise floor: how often a condition disagrees with itself across two runs.

Greedy decoding in llama.cpp is not bit-stable across thread counts (nor across the
prefix reuse of different call histories): the same prompt can be answered 680 by one
run and 780 by another. A one-item difference between two conditions means little
unless it is read against how often a condition disagrees with *itself*. Run the same
``s2a eval`` command twice, with another thread count and a separate cache, then
compare the two ``items.jsonl``:

    S2A_LLAMA_THREADS=1 s2a eval --task gsm-ic ... --cache-dir C1 --out RUN1
    S2A_LLAMA_THREADS=2 s2a eval --task gsm-ic ... --cache-dir C2 --out RUN2
    python benchmarks/noise_floor.py RUN1/items.jsonl RUN2/items.jsonl --output noise.json

Per (task, condition): the items both runs answered, how many answers differ in text,
how many flip between right and wrong (with a 95% bootstrap interval over units), and
the net change in accuracy those flips make.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))


def _rows(path: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[(row["task"], row["condition"], row["item_id"])] = row
    return rows


def _engine(row: dict[str, Any]) -> Any:
    generation = row.get("generation") or {}
    return generation.get("engine")


def compare(first: Path, second: Path) -> dict[str, Any]:
    """Per (task, condition), how the second run's answers differ from the first's.

    Args:
        first: ``items.jsonl`` of one run.
        second: ``items.jsonl`` of the same command run again (another thread count).

    Returns:
        ``{"task/condition": {"n", "text_changed", "flips", "flip_rate", "flip_rate_ci95",
        "net", "engines"}}``.
    """
    from langchain_s2a.eval.stats import rate_ci

    a, b = _rows(first), _rows(second)
    groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for key in sorted(set(a) & set(b)):
        left, right = a[key], b[key]
        if left.get("error") or right.get("error") or not left.get("generation"):
            continue
        if not (left.get("gold") and right.get("generation")):
            continue
        groups[f"{key[0]}/{key[1]}"].append((left, right))
    out: dict[str, Any] = {}
    for name, pairs in groups.items():
        flips = [(x["group_id"], bool(x["correct"]) != bool(y["correct"])) for x, y in pairs]
        ci = rate_ci(flips)
        out[name] = {
            "n": len(pairs),
            "units": len({x["group_id"] for x, _ in pairs}),
            "text_changed": sum(
                x["generation"]["answer"] != y["generation"]["answer"] for x, y in pairs
            ),
            "flips": sum(f for _, f in flips),
            "flip_rate": round(sum(f for _, f in flips) / len(flips), 4),
            "flip_rate_ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None,
            "net": sum(int(bool(y["correct"])) - int(bool(x["correct"])) for x, y in pairs),
            "engines": sorted(
                {json.dumps(_engine(x), sort_keys=True) for x, _ in pairs}
                | {json.dumps(_engine(y), sort_keys=True) for _, y in pairs}
            ),
        }
    return out


def render(table: dict[str, Any]) -> str:
    """A plain-text table of :func:`compare`'s output."""
    lines = [f"{'task/condition':<28}{'n':>5}{'text changed':>14}{'flips':>7}{'rate [95% CI]':>22}"]
    for name, row in table.items():
        ci = row["flip_rate_ci95"] or [row["flip_rate"]] * 2
        rate = f"{row['flip_rate']:.1%} [{ci[0]:.1%}, {ci[1]:.1%}]"
        lines.append(f"{name:<28}{row['n']:>5}{row['text_changed']:>14}{row['flips']:>7}{rate:>22}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Compare two runs, print the table and write ``--output`` when given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    table = compare(args.first, args.second)
    print(render(table))
    if args.output is not None:
        report = {"first": str(args.first), "second": str(args.second), "conditions": table}
        args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return table


if __name__ == "__main__":
    main()
