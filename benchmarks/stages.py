"""Per-stage tokens and latency of S2A with the embedded model, against the limit.

For each development item (``load_items(task, split="tune")``) the conditions
``baseline``, ``split``, ``single`` and ``extractive`` (the default S2A: on GSM-IC, whose
preset is ``relevance``, the sentences chosen by one yes/no judgement each since judgement
plan .2) run one after another on the same model, after a warm-up item that every condition runs first (GSM-IC
with ``preset="relevance"`` and the step-by-step answer format, TriviaQA with
``preset="opinion"``, as the evaluation harness does). ``extractive_constrained`` (the
grammar-constrained reply) and ``extractive_one_reply`` (``judge_sentences=False``) can be
added with ``--conditions``.

Per call the model reports prompt tokens, the part reused from its prefix cache
(``input_token_details.cache_read``), generated tokens and the seconds spent reading the
prompt and generating (``response_metadata["timings"]``). The limit of an S2A run is one
baseline call plus reading the user's text once more and generating the rewrite reply::

    limit_s = baseline_s + user_tokens / prefill_rate + reply_tokens / gen_rate

with the rates measured on the baseline calls of the same task in the same run.
Per task and condition the report has the medians over items of ``end_to_end_s``,
``ratio_to_baseline`` and ``ratio_to_limit``; ``peak_rss_mb.baseline`` and
``peak_rss_mb.s2a`` come from two separate processes (``--rss-probe``) that load the
model and run only that condition. Goals: the default S2A's ``ratio_to_limit`` <= 1.10
on both tasks; ``peak_rss_mb.s2a`` <= 1.15 x ``peak_rss_mb.baseline``.

Usage:
    S2A_LLAMA_THREADS=1 python benchmarks/stages.py --task both --limit 20
    python benchmarks/stages.py --task trivia --limit 2 --output /tmp/stages.json

Writes ``benchmarks/results/stages.json`` by default.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import Runnable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "stages.json"
CONDITIONS = ("baseline", "split", "single", "extractive")
OPTIONAL_CONDITIONS = ("extractive_constrained", "extractive_one_reply")
DEFAULT_S2A = "extractive"
LIMIT_GOAL = 1.10
RSS_GOAL = 1.15
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
        condition: ``baseline``, ``split``, ``single``, ``extractive``,
            ``extractive_constrained`` or ``extractive_one_reply``.
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
    if condition not in CONDITIONS + OPTIONAL_CONDITIONS:
        known = ", ".join(CONDITIONS + OPTIONAL_CONDITIONS)
        raise ValueError(f"unknown condition {condition!r}; choose from {known}")
    constrained = condition == "extractive_constrained"
    variant = "extractive" if condition in OPTIONAL_CONDITIONS else condition
    chain = create_s2a_chain(
        model,
        variant=variant,  # type: ignore[arg-type]
        preset=preset,
        answer_format=answer_format,
        on_failure="original",
        judge_sentences=False if condition == "extractive_one_reply" else "auto",
    )
    if constrained:
        rewriter = chain.rewriter.model_copy(update={"constrained": True})
        chain = chain.model_copy(update={"rewriter": rewriter})
    return chain


class _Calls(BaseCallbackHandler):
    """Records usage and response metadata of every chat-model call, in order."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        message = getattr(response.generations[0][0], "message", None)
        self.calls.append(
            {
                "usage": dict(getattr(message, "usage_metadata", None) or {}),
                "meta": dict(getattr(message, "response_metadata", None) or {}),
            }
        )


def _stage(call: dict[str, Any] | None, prefix: str) -> dict[str, Any]:
    """Per-stage fields of one call: prompt / reused / prefilled / generated tokens, seconds."""
    if call is None:
        return {f"{prefix}_{k}": None for k in ("cached", "prefill", "prompt_s", "generate_s")}
    usage, timings = call["usage"], call["meta"].get("timings") or {}
    prompt = _tokens(usage, "input_tokens")
    cached = (usage.get("input_token_details") or {}).get("cache_read")
    return {
        f"{prefix}_cached": cached,
        f"{prefix}_prefill": None if prompt is None else prompt - int(cached or 0),
        f"{prefix}_prompt_s": timings.get("prompt_s"),
        f"{prefix}_generate_s": timings.get("generate_s"),
    }


def user_tokens(model: Any, text: str) -> int:
    """Tokens the user's text takes (model tokenizer when it has one, else words)."""
    count = getattr(model, "count_prompt_tokens", None)
    if callable(count):
        return int(count([HumanMessage(text)])) - int(count([HumanMessage("")]))
    return len(text.split())


def run_one(chain: Runnable[Any, Any], condition: str, item: Any) -> dict[str, Any]:
    """Run one item; returns its per-stage tokens and latencies (or the error)."""
    recorder = _Calls()
    started = time.perf_counter()
    try:
        result = chain.invoke(item.prompt, config={"callbacks": [recorder]})
    except Exception as exc:  # recorded, so one bad item does not stop the run
        return {"item": item.item_id, "condition": condition, "error": f"{exc!r}"[:300]}
    total = time.perf_counter() - started
    s2a = condition != "baseline"
    usage = result.usage
    calls = recorder.calls
    return {
        "item": item.item_id,
        "task": item.task,
        "condition": condition,
        "error": None,
        "fallback": result.rewrite.fallback if s2a else None,
        "rewrite_in": _tokens(usage["rewrite"], "input_tokens") if s2a else 0,
        "rewrite_out": _tokens(usage["rewrite"], "output_tokens") if s2a else 0,
        "rewrite_s": result.rewrite.latency_s if s2a else 0.0,
        **_stage(calls[0] if s2a and len(calls) > 1 else None, "rewrite"),
        "answer_in": _tokens(usage["answer"], "input_tokens"),
        "answer_out": _tokens(usage["answer"], "output_tokens"),
        "answer_s": result.answer_latency_s,
        **_stage(calls[-1] if calls else None, "answer"),
        "total_s": total,
    }


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.fmean(values), 3) if values else None


_MEAN_KEYS = ("rewrite_in", "rewrite_out", "rewrite_s", "answer_in", "answer_out", "answer_s")
_MEAN_KEYS += ("total_s",)


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
            **{key: _mean(ok, key) for key in _MEAN_KEYS},
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


def _median(values: Sequence[float | int | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(statistics.median(present), 3) if present else None


def _rate(rows: list[dict[str, Any]], tokens: str, seconds: str) -> float | None:
    pairs = [(r[tokens], r[seconds]) for r in rows if r.get(tokens) and r.get(seconds)]
    total_s = sum(s for _, s in pairs)
    return round(sum(t for t, _ in pairs) / total_s, 2) if total_s > 0 else None


_STAGE_KEYS = tuple(
    f"{stage}_{key}"
    for stage in ("rewrite", "answer")
    for key in ("prefill", "cached", "out", "prompt_s", "generate_s", "s")
)


def summarise_task(rows: list[dict[str, Any]], conditions: Sequence[str]) -> dict[str, Any]:
    """Rates, per-item limits (added to ``rows``) and medians per condition of one task.

    Args:
        rows: The task's rows from :func:`run_one` (each gets ``limit_s`` and ratios).
        conditions: Conditions in order.

    Returns:
        ``{"rates": {...}, "conditions": {name: {...}}}``.
    """
    ok = [r for r in rows if r.get("error") is None]
    base_rows = [r for r in ok if r["condition"] == "baseline"]
    prefill_rate = _rate(base_rows, "answer_prefill", "answer_prompt_s")
    gen_rate = _rate(base_rows, "answer_out", "answer_generate_s")
    baseline_s = {r["item"]: r["total_s"] for r in base_rows}
    for row in ok:
        base = baseline_s.get(row["item"])
        limit = None
        if base is not None and prefill_rate and gen_rate:
            extra = 0.0
            if row["condition"] != "baseline":
                extra = row["user_tokens"] / prefill_rate + (row["rewrite_out"] or 0) / gen_rate
            limit = base + extra
        row["baseline_s"] = base
        row["limit_s"] = round(limit, 3) if limit is not None else None
        row["ratio_to_baseline"] = round(row["total_s"] / base, 3) if base else None
        row["ratio_to_limit"] = round(row["total_s"] / limit, 3) if limit else None
    table: dict[str, Any] = {}
    for name in conditions:
        mine = [r for r in ok if r["condition"] == name]
        table[name] = {
            "n": len(mine),
            "errors": sum(1 for r in rows if r["condition"] == name and r.get("error")),
            "fallbacks": sum(1 for r in mine if r.get("fallback")),
            "end_to_end_s": _median([r["total_s"] for r in mine]),
            "ratio_to_baseline": _median([r["ratio_to_baseline"] for r in mine]),
            "ratio_to_limit": _median([r["ratio_to_limit"] for r in mine]),
            "limit_s": _median([r["limit_s"] for r in mine]),
            "user_tokens": _median([r["user_tokens"] for r in mine]),
            **{key: _median([r.get(key) for r in mine]) for key in _STAGE_KEYS},
        }
    rates = {"prefill_tok_s": prefill_rate, "gen_tok_s": gen_rate}
    return {"rates": rates, "conditions": table}


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
    parser.add_argument(
        "--rss-items", type=int, default=2, help="items per task of each peak-RSS process (0: skip)"
    )
    parser.add_argument("--rss-probe", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _load(args: argparse.Namespace) -> tuple[Runnable[LanguageModelInput, BaseMessage], float]:
    from langchain_s2a import resolve_chat_model

    started = time.perf_counter()
    model = resolve_chat_model(args.model, max_tokens=args.max_tokens)
    load = getattr(model, "load", None)
    if callable(load):
        load()  # load the weights now, so the first item's latency is not inflated
    return model, time.perf_counter() - started


def _items(task: Task, limit: int) -> tuple[Any, list[Any]]:
    """The warm-up item and the measured items of ``task``."""
    from langchain_s2a.eval import load_items

    items = load_items(task, limit=limit + 1, split="tune")
    return items[0], items[1 : limit + 1]


def rss_probe(args: argparse.Namespace, model: Any = None) -> dict[str, Any]:
    """Run only ``args.rss_probe`` on ``args.rss_items`` items per task; report peak RSS."""
    if model is None:
        model, _ = _load(args)
    for task in _tasks(args):
        chain = build_chain(model, args.rss_probe, task)
        warm, items = _items(task, args.rss_items)
        for item in [warm, *items]:
            chain.invoke(item.prompt)
    return {"condition": args.rss_probe, "peak_rss_mb": peak_rss_mb()}


def _probe_in_subprocess(args: argparse.Namespace, condition: str) -> float | None:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        *("--rss-probe", condition, "--model", args.model, "--task", args.task),
        *("--rss-items", str(args.rss_items), "--max-tokens", str(args.max_tokens)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        print(f"peak-RSS probe {condition} failed: {done.stderr[-500:]}", file=sys.stderr)
        return None
    return float(json.loads(lines[-1])["peak_rss_mb"])


def _tasks(args: argparse.Namespace) -> list[Task]:
    return ["gsm-ic", "trivia"] if args.task == "both" else [args.task]


def main(
    argv: Sequence[str] | None = None,
    *,
    model: Runnable[LanguageModelInput, BaseMessage] | None = None,
) -> dict[str, Any]:
    """Run every condition on the items, print the table and write the JSON report.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).
        model: A chat model to use instead of ``--model`` (tests pass a fake; the
            separate peak-RSS processes then are not run).

    Returns:
        The report written to ``--output``.
    """
    args = parse_args(argv)
    if args.rss_probe:
        probe = rss_probe(args, model)
        print(json.dumps(probe))
        return probe
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    rss_before = peak_rss_mb()
    load_avg_start = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    load_s = 0.0
    label = type(model).__name__ if model is not None else args.model
    if model is None:
        model, load_s = _load(args)
    rss_loaded = peak_rss_mb()
    rows: list[dict[str, Any]] = []
    per_task: dict[str, Any] = {}
    for task in _tasks(args):
        chains = {name: build_chain(model, name, task) for name in conditions}
        warm, items = _items(task, args.limit)
        for chain in chains.values():  # warm-up: first calls and prefix snapshots
            chain.invoke(warm.prompt)
        task_rows: list[dict[str, Any]] = []
        for item in items:
            n_user = user_tokens(model, item.prompt)
            for name, chain in chains.items():  # interleaved: load drifts hit all alike
                row = {**run_one(chain, name, item), "user_tokens": n_user}
                task_rows.append(row)
                if not args.quiet:
                    took = row.get("total_s")
                    status = row["error"] or f"{took:.1f} s"
                    print(f"[{task}/{name}] {item.item_id} {status}", file=sys.stderr)
        per_task[task] = summarise_task(task_rows, conditions)
        rows.extend(task_rows)
    summary = summarise(rows, conditions)
    probes = {"baseline": None, "s2a": None}
    if args.model and args.rss_items > 0 and label == args.model:
        probes = {
            "baseline": _probe_in_subprocess(args, "baseline"),
            "s2a": _probe_in_subprocess(args, DEFAULT_S2A),
        }
    goals = dict(summary["goals"])
    for task, table in per_task.items():
        ratio = table["conditions"].get(DEFAULT_S2A, {}).get("ratio_to_limit")
        goals[f"{task}_default_ratio_to_limit"] = ratio
        goals[f"{task}_limit_goal_met"] = ratio is not None and ratio <= LIMIT_GOAL
    if probes["baseline"] and probes["s2a"]:
        goals["peak_rss_s2a_vs_baseline"] = round(probes["s2a"] / probes["baseline"], 3)
        goals["peak_rss_goal_met"] = goals["peak_rss_s2a_vs_baseline"] <= RSS_GOAL
    report: dict[str, Any] = {
        "command": "python benchmarks/stages.py " + " ".join(argv or sys.argv[1:]),
        "model": label,
        "tasks": per_task,
        "limit": args.limit,
        "max_tokens": args.max_tokens,
        "threads_env": os.environ.get("S2A_LLAMA_THREADS"),
        "machine": {**machine(), "load_avg_1m_start": load_avg_start},
        "load_s": round(load_s, 2),
        "peak_rss_mb": {
            **probes,
            "start": rss_before,
            "after_load": rss_loaded,
            "end": peak_rss_mb(),
        },
        **summary,
        "goals": goals,
        "rows": rows,
    }
    for task, table in per_task.items():
        for name, row in table["conditions"].items():
            print(
                f"{task}/{name}: median end to end {row['end_to_end_s']} s, "
                f"x baseline {row['ratio_to_baseline']}, x limit {row['ratio_to_limit']}"
            )
    print(f"peak RSS (separate processes): {probes}; goals: {goals}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"wrote {args.output}")
    return report


if __name__ == "__main__":
    main()
