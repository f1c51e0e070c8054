"""Rewrite-only diagnostics of the extractive selection on GSM-IC: what the rewrite keeps.

Runs only the rewrite step of the package default (extractive, relevance preset) on a
split, through the evaluation's request cache (so the calls are shared with ``s2a eval``
and a re-run is free), and reports, per acceptance rule, how often the rewrite that the
answer step would see:

* removed exactly the distractor (the sentence GSM-IC inserted) and nothing else,
* kept everything (a plain call),
* dropped a sentence of the original problem (a needed sentence),
* fell back to the original.

No answers are generated, so a rule can be compared on hundreds of items in minutes.
Use the ``tune`` split for choices.

    python benchmarks/rewrite_selection.py --split tune --limit 68 \\
        --cache-dir docs/results/cache --output benchmarks/results/rewrite_selection_tune.json
    python benchmarks/rewrite_selection.py --split tune --limit 68 --clean \\
        --cache-dir docs/results/cache --output benchmarks/results/rewrite_selection_tune_clean.json

With ``--judge-sentences`` the rewriter selects by one yes/no judgement per sentence
(``S2ARewriter(judge_sentences=True)``; results in ``rewrite_selection_judged_tune*.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path
from typing import Any

from langchain_s2a import S2ARewriter
from langchain_s2a._internal.text.sentences import split_sentences
from langchain_s2a.eval.datasets import EvalItem, load_gsm_ic
from langchain_s2a.eval.diagnostics import distractor_sentence
from langchain_s2a.eval.runner import _Models


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def classify(item: EvalItem, kept_text: str, fallback: bool, *, clean: bool = False) -> str:
    """One of ``fallback``, ``kept_all``, ``removed_distractor``, ``dropped_needed``, ``other``.

    With ``clean``, the rewrite is of the problem without its distractor
    (``oracle_prompt``), where every sentence is needed.
    """
    if fallback:
        return "fallback"
    distractor = "" if clean else distractor_sentence(item) or ""
    sentences = [s.text for s in split_sentences(item.oracle_prompt if clean else item.prompt)]
    kept = _norm(kept_text)
    missing = [s for s in sentences if _norm(s) not in kept]
    if not missing:
        return "kept_all"
    needed = [s for s in missing if _norm(s) != _norm(distractor)]
    if needed:
        return "dropped_needed"
    return "removed_distractor"


def one_per_base_problem(items: list[EvalItem]) -> list[EvalItem]:
    """The first item of each base problem, in order (its clean problem is shared)."""
    return list({item.group_id: item for item in reversed(items)}.values())[::-1]


def tally(rows: list[dict[str, Any]], key: str = "outcome") -> dict[str, int]:
    """How many rows have each value of ``key``."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[key]] = counts.get(row[key], 0) + 1
    return counts


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    items = load_gsm_ic(split=args.split, limit=args.limit, seed=args.seed)
    _, rewriter_model = _Models(None, None, Path(args.cache_dir)).get()
    rewriter = S2ARewriter(
        rewriter_model,
        preset="relevance",
        constrained=args.constrained,
        judge_sentences=args.judge_sentences,
    )
    if args.clean:  # one clean problem per base problem
        items = one_per_base_problem(items)
    rows = []
    for n, item in enumerate(items, 1):
        rewrite = await rewriter.ainvoke(item.oracle_prompt if args.clean else item.prompt)
        kind = classify(item, rewrite.text, rewrite.fallback, clean=args.clean)
        rows.append(
            {
                "item_id": item.item_id,
                "group_id": item.group_id,
                "category": item.category,
                "raw": rewrite.raw,
                "fallback_reason": rewrite.fallback_reason,
                "outcome": kind,
            }
        )
        print(f"{n}/{len(items)} {kind} {rewrite.raw!r}", flush=True)
    counts = tally(rows)
    return {
        "command": "python benchmarks/rewrite_selection.py " + " ".join(args.argv),
        "split": args.split,
        "inputs": "clean (no distractor)" if args.clean else "with distractor",
        "constrained": args.constrained,
        "judge_sentences": args.judge_sentences,
        "n_items": len(rows),
        "n_units": len({r["group_id"] for r in rows}),
        "outcomes": {k: v / len(rows) for k, v in sorted(counts.items())},
        "counts": counts,
        "items": rows,
    }


def main(argv: list[str] | None = None) -> None:
    """Run the diagnostics and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="tune")
    parser.add_argument("--limit", type=int, default=68)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default="docs/results/cache")
    parser.add_argument("--output", default=None)
    parser.add_argument(
        "--clean", action="store_true", help="rewrite each base problem without its distractor"
    )
    parser.add_argument(
        "--constrained", action="store_true", help="grammar-constrained reply (constrained=True)"
    )
    parser.add_argument(
        "--judge-sentences",
        action="store_true",
        help="one yes/no judgement per sentence (judge_sentences=True)",
    )
    args = parser.parse_args(argv)
    import sys

    args.argv = sys.argv[1:] if argv is None else argv
    result = asyncio.run(_run(args))
    print(json.dumps({k: v for k, v in result.items() if k != "items"}, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
