"""Per-stage tokens and latency of S2A with the embedded model, and its peak memory.

For each development item (``load_items(task, split="tune")``) the conditions
``baseline``, ``split``, ``single`` and ``extractive`` are run one after another on
the same model (GSM-IC with ``preset="relevance"`` and the step-by-step answer
format, TriviaQA with ``preset="opinion"``, as the evaluation harness does). Per
condition: mean rewrite and answer tokens (input / output) and latency, end-to-end
latency, and the ratio to the baseline. Goals: extractive rewrite output <= 15% of
``split``'s tokens; extractive end to end <= 1.3x one baseline call. Peak memory is
the process's maximum resident set size (``resource.getrusage``).

Usage:
    python benchmarks/stages.py --limit 20                  # GSM-IC, embedded 1.5B
    python benchmarks/stages.py --task both --limit 10 --model local:0.5b

Writes ``benchmarks/results/stages.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "stages.json"
CONDITIONS = ("baseline", "split", "single", "extractive")
Task = Literal["gsm-ic", "trivia"]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return round(peak * scale / 1024 / 1024, 1)


def _tokens(usage: dict[str, Any] | None, key: str) -> int | None:
    if not usage or usage.get(key) is None:
        return None
    return int(usage[key])


def build_chain(
    model: Runnable[LanguageModelInput, BaseMessage], condition: str, task: Task
) -> Runnable[Any, Any]:
    """The chain of ``condition`` for ``task``, configured as the evaluation harness does.

    Args:
        model: The chat model.
        condition: ``baseline``, ``split``, ``single`` or ``extractive``.
        task: ``gsm-ic`` or ``trivia``.

    Returns:
        An S2A chain.
    """
    from langchain_s2a import create_s2a_chain
    from langchain_s2a.eval import GSM_ANSWER_FORMAT

    preset: Literal["opinion", "relevance"] = "relevance" if task == "gsm-ic" else "opinion"
    answer_format = GSM_ANSWER_FORMAT if task == "gsm-ic" else None
    if condition == "baseline":
        return create_s2a_chain(model, mode="baseline", preset=preset, answer_format=answer_format)
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; choose from {', '.join(CONDITIONS)}")
    return create_s2a_chain(
        model,
        variant=condition,  # type: ignore[arg-type]
        preset=preset,
        answer_format=answer_format,
        on_failure="original",
    )


def run_one(chain: Runnable[Any, Any], condition: str, item: Any) -> dict[str, Any]:
    """Run one item; returns its per-stage tokens and latencies (or the error)."""
    started = time.perf_counter()
    try:
        result = chain.invoke(item.prompt)
    except Exception as exc:  # recorded, so one bad item does not stop the run
        return {"item": item.item_id, "condition": condition, "error": f"{exc!r}"[:300]}
    total = time.perf_counter() - started
    s2a = condition != "baseline"
    usage = result.usage
    return {
        "item": item.item_id,
        "task": item.task,
        "condition": condition,
        "error": None,
        "fallback": result.rewrite.fallback if s2a else None,
        "rewrite_in": _tokens(usage["rewrite"], "input_tokens") if s2a else 0,
        "rewrite_out": _tokens(usage["rewrite"], "output_tokens") if s2a else 0,
        "rewrite_s": result.rewrite.latency_s if s2a else 0.0,
        "answer_in": _tokens(usage["answer"], "input_tokens"),
        "answer_out": _tokens(usage["answer"], "output_tokens"),
        "answer_s": result.answer_latency_s,
        "total_s": total,
    }


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.fmean(values), 3) if values else None


def summarise(rows: list[dict[str, Any]], conditions: Sequence[str]) -> dict[str, Any]:
    """Means per condition, ratios to the baseline and the goals.

    Args:
        rows: Every run's row from :func:`run_one`.
        conditions: Conditions in order.

    Returns:
        ``{"conditions": {...}, "ratios": {...}, "goals": {...}}``.
    """
    table: dict[str, dict[str, Any]] = {}
    for name in conditions:
        ok = [r for r in rows if r["condition"] == name and r.get("error") is None]
        table[name] = {
            "n": len(ok),
            "errors": sum(1 for r in rows if r["condition"] == name and r.get("error")),
            "fallbacks": sum(1 for r in ok if r.get("fallback")),
            **{
                key: _mean(ok, key)
                for key in (
                    "rewrite_in",
                    "rewrite_out",
                    "rewrite_s",
                    "answer_in",
                    "answer_out",
                    "answer_s",
                    "total_s",
                )
            },
        }
    base = table.get("baseline", {}).get("total_s")
    ratios = {
        name: round(row["total_s"] / base, 2)
        for name, row in table.items()
        if base and row["total_s"] is not None
    }
    goals: dict[str, Any] = {}
    split_out = table.get("split", {}).get("rewrite_out")
    extractive = table.get("extractive", {})
    if split_out and extractive.get("rewrite_out") is not None:
        share = extractive["rewrite_out"] / split_out
        goals["extractive_rewrite_tokens_vs_split"] = round(share, 3)
        goals["extractive_tokens_goal_met"] = share <= 0.15
    if "extractive" in ratios:
        goals["extractive_latency_vs_baseline"] = ratios["extractive"]
        goals["extractive_latency_goal_met"] = ratios["extractive"] <= 1.3
    return {"conditions": table, "ratios": ratios, "goals": goals}


def render(summary: dict[str, Any]) -> str:
    """Plain-text table of a summary."""
    head = (
        f"{'condition':<12}{'n':>4}{'rw in':>8}{'rw out':>8}{'rw s':>8}"
        f"{'ans in':>8}{'ans out':>8}{'ans s':>8}{'total s':>9}{'x base':>8}"
    )
    lines = [head]

    def cell(value: float | None, width: int, digits: int) -> str:
        return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

    for name, row in summary["conditions"].items():
        lines.append(
            f"{name:<12}{row['n']:>4}{cell(row['rewrite_in'], 8, 0)}{cell(row['rewrite_out'], 8, 0)}"
            f"{cell(row['rewrite_s'], 8, 2)}{cell(row['answer_in'], 8, 0)}"
            f"{cell(row['answer_out'], 8, 0)}{cell(row['answer_s'], 8, 2)}"
            f"{cell(row['total_s'], 9, 2)}{cell(summary['ratios'].get(name), 8, 2)}"
        )
    for key, value in summary["goals"].items():
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """A short description of this machine."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description="Per-stage tokens and latency of S2A")
    parser.add_argument("--model", default="local:1.5b", help="model name (resolve_chat_model)")
    parser.add_argument("--task", choices=["gsm-ic", "trivia", "both"], default="gsm-ic")
    parser.add_argument("--limit", type=int, default=20, help="items per task")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--max-tokens", type=int, default=512, help="generation limit per call")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true", help="no per-item progress")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    model: Runnable[LanguageModelInput, BaseMessage] | None = None,
) -> dict[str, Any]:
    """Run every condition on the items, print the table and write the JSON report.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).
        model: A chat model to use instead of ``--model`` (tests pass a fake).

    Returns:
        The report written to ``--output``.
    """
    from langchain_s2a.eval import load_items

    args = parse_args(argv)
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    tasks: list[Task] = ["gsm-ic", "trivia"] if args.task == "both" else [args.task]
    rss_before = peak_rss_mb()
    load_avg_start = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    load_s = 0.0
    if model is None:
        from langchain_s2a import resolve_chat_model

        started = time.perf_counter()
        model = resolve_chat_model(args.model, max_tokens=args.max_tokens)
        load = getattr(model, "load", None)
        if callable(load):
            load()  # load the weights now, so the first item's latency is not inflated
        load_s = time.perf_counter() - started
        model.invoke("Reply with OK.")  # warm-up: first-call set-up is not a stage's cost
        label = args.model
    else:
        label = type(model).__name__
    rss_loaded = peak_rss_mb()
    rows: list[dict[str, Any]] = []
    for task in tasks:
        chains = {name: build_chain(model, name, task) for name in conditions}
        for item in load_items(task, limit=args.limit, split="tune"):
            for name, chain in chains.items():  # interleaved: load drifts hit all alike
                row = run_one(chain, name, item)
                rows.append(row)
                if not args.quiet:
                    took = row.get("total_s")
                    status = row["error"] or f"{took:.1f} s"
                    print(f"[{task}/{name}] {item.item_id} {status}", file=sys.stderr)
    summary = summarise(rows, conditions)
    report: dict[str, Any] = {
        "command": "python benchmarks/stages.py " + " ".join(argv or sys.argv[1:]),
        "model": label,
        "tasks": tasks,
        "limit": args.limit,
        "max_tokens": args.max_tokens,
        "machine": {**machine(), "load_avg_1m_start": load_avg_start},
        "load_s": round(load_s, 2),
        "peak_rss_mb": {
            "start": rss_before,
            "after_load": rss_loaded,
            "end": peak_rss_mb(),
        },
        **summary,
        "rows": rows,
    }
    print(render(summary))
    print(f"peak RSS: {report['peak_rss_mb']['end']} MB (after load {rss_loaded} MB)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"wrote {args.output}")
    return report


if __name__ == "__main__":
    main()
