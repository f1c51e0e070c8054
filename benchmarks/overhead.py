"""Framework overhead of S2A above the raw model calls, with an instant fake model.

One S2A run makes two model calls (rewrite, answer). The overhead of the chain (or
the graph) is its time per run minus the time of those two calls made directly with
``model.invoke`` (``ainvoke`` for async), so it is what S2A itself adds: input
checks, prompt building, parsing, validation, callbacks and run tracing of the
outer runnable, LangGraph's scheduler and checkpoint-free state handling.

Also measured: ``abatch`` throughput for 1,000 inputs at several
``max_concurrency`` values. Goals: chain <= 1 ms and graph <= 3 ms per call; when
a goal is missed the script profiles that path (cProfile) and stores the top
functions in the report.

Usage:
    python benchmarks/overhead.py
    python benchmarks/overhead.py --calls 500 --batch 200 --concurrency 1,16

Writes ``benchmarks/results/overhead.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata

if TYPE_CHECKING:
    from langchain_s2a.testing import FakeS2AChatModel

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "overhead.json"
TEXT = "Who wrote Hamlet? I think it was Christopher Marlowe, but I'm really not sure."
REWRITE = "Context: none\nQuestion: Who wrote Hamlet?"
GOALS_US = {"chain": 1_000.0, "graph": 3_000.0}


def _instant_reply(messages: list[BaseMessage]) -> str:
    return REWRITE if "<user_text>" in messages[-1].text else "William Shakespeare."


def instant_chat() -> FakeS2AChatModel:
    """The public fake, replying at once: a rewrite to rewrite prompts, an answer otherwise."""
    from langchain_s2a.testing import FakeS2AChatModel

    usage = UsageMetadata(input_tokens=10, output_tokens=5, total_tokens=15)
    return FakeS2AChatModel(replies=_instant_reply, usage=usage)


def _raw_messages() -> tuple[list[BaseMessage], list[BaseMessage]]:
    """The two prompts an S2A run sends (built by the real rewriter)."""
    from langchain_s2a import S2ARewriter

    rewriter = S2ARewriter(instant_chat())
    rewrite_prompt = rewriter.build_messages(TEXT, language="en")
    answer_prompt: list[BaseMessage] = [HumanMessage("Who wrote Hamlet?\n\nAnswer unbiased.")]
    return rewrite_prompt, answer_prompt


def _time_sync(fn: Callable[[], object], calls: int) -> list[float]:
    for _ in range(min(50, calls)):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _time_async(fn: Callable[[], Awaitable[object]], calls: int) -> list[float]:
    async def run() -> list[float]:
        for _ in range(min(50, calls)):
            await fn()
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            await fn()
            times.append(time.perf_counter() - start)
        return times

    return asyncio.run(run())


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 1)


def _stats(times: list[float]) -> dict[str, float]:
    return {
        "median_us": _us(statistics.median(times)),
        "mean_us": _us(statistics.fmean(times)),
        "p90_us": _us(sorted(times)[int(len(times) * 0.9)]),
    }


def measure_per_call(calls: int) -> dict[str, Any]:
    """Median time per run of the raw calls, the chain and the graph; overhead = difference.

    Args:
        calls: Timed runs per path (after a short warm-up).

    Returns:
        ``{"raw": ..., "chain": ..., "graph": ..., "rewriter": ...}`` for sync and async.
    """
    from langchain_s2a import S2ARewriter, build_s2a_graph, create_s2a_chain

    model = instant_chat()
    chain = create_s2a_chain(model)
    graph = build_s2a_graph(model)
    rewriter = S2ARewriter(model)
    rewrite_prompt, answer_prompt = _raw_messages()
    assert chain.invoke(TEXT).answer == "William Shakespeare."
    assert graph.invoke({"input": TEXT})["answer"] == "William Shakespeare."

    def raw() -> None:
        model.invoke(rewrite_prompt)
        model.invoke(answer_prompt)

    async def araw() -> None:
        await model.ainvoke(rewrite_prompt)
        await model.ainvoke(answer_prompt)

    def raw_one() -> None:
        model.invoke(rewrite_prompt)

    async def araw_one() -> None:
        await model.ainvoke(rewrite_prompt)

    out: dict[str, Any] = {}
    for kind in ("sync", "async"):
        if kind == "sync":
            paths = {
                "raw_two_calls": _time_sync(raw, calls),
                "raw_one_call": _time_sync(raw_one, calls),
                "chain": _time_sync(lambda: chain.invoke(TEXT), calls),
                "graph": _time_sync(lambda: graph.invoke({"input": TEXT}), calls),
                "rewriter": _time_sync(lambda: rewriter.invoke(TEXT), calls),
            }
        else:
            paths = {
                "raw_two_calls": _time_async(araw, calls),
                "raw_one_call": _time_async(araw_one, calls),
                "chain": _time_async(lambda: chain.ainvoke(TEXT), calls),
                "graph": _time_async(lambda: graph.ainvoke({"input": TEXT}), calls),
                "rewriter": _time_async(lambda: rewriter.ainvoke(TEXT), calls),
            }
        medians = {name: statistics.median(t) for name, t in paths.items()}
        section: dict[str, Any] = {name: _stats(t) for name, t in paths.items()}
        section["overhead_us"] = {
            "chain": _us(medians["chain"] - medians["raw_two_calls"]),
            "graph": _us(medians["graph"] - medians["raw_two_calls"]),
            "rewriter": _us(medians["rewriter"] - medians["raw_one_call"]),
        }
        out[kind] = section
    return out


async def _abatch(runnable: Any, inputs: list[Any], concurrency: int) -> tuple[float, int]:
    start = time.perf_counter()
    results = await runnable.abatch(
        inputs, config={"max_concurrency": concurrency}, return_exceptions=True
    )
    elapsed = time.perf_counter() - start
    errors = sum(isinstance(r, BaseException) for r in results)
    return elapsed, errors


def measure_batch(n: int, concurrencies: Sequence[int]) -> list[dict[str, Any]]:
    """``abatch`` throughput (inputs/s) of the chain and the graph.

    Args:
        n: Inputs per batch.
        concurrencies: ``max_concurrency`` values to try.

    Returns:
        One row per (path, concurrency).
    """
    from langchain_s2a import build_s2a_graph, create_s2a_chain

    model = instant_chat()
    chain = create_s2a_chain(model)
    graph = build_s2a_graph(model)
    texts = [f"Who wrote Hamlet? (item {i}) I think it was Marlowe." for i in range(n)]
    rows = []
    for name, runnable, inputs in (
        ("chain", chain, texts),
        ("graph", graph, [{"input": t} for t in texts]),
    ):
        asyncio.run(_abatch(runnable, inputs[:20], 4))  # warm-up
        for concurrency in concurrencies:
            elapsed, errors = asyncio.run(_abatch(runnable, inputs, concurrency))
            rows.append(
                {
                    "path": name,
                    "inputs": n,
                    "max_concurrency": concurrency,
                    "seconds": round(elapsed, 3),
                    "inputs_per_s": round(n / elapsed, 1),
                    "errors": errors,
                }
            )
    return rows


def profile_path(path: str, calls: int, top: int = 25) -> str:
    """CProfile ``calls`` sync runs of ``path`` (``chain`` or ``graph``); top functions.

    Args:
        path: ``"chain"`` or ``"graph"``.
        calls: Runs to profile.
        top: How many functions to list (by own time).

    Returns:
        The ``pstats`` listing.
    """
    from langchain_s2a import build_s2a_graph, create_s2a_chain

    model = instant_chat()
    if path == "chain":
        chain = create_s2a_chain(model)

        def run() -> object:
            return chain.invoke(TEXT)
    else:
        graph = build_s2a_graph(model)

        def run() -> object:
            return graph.invoke({"input": TEXT})

    for _ in range(20):
        run()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        run()
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


def machine() -> dict[str, Any]:
    """A short description of this machine."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def render(report: dict[str, Any]) -> str:
    """Plain-text summary of a report."""
    lines = ["per-call time (median, µs) and overhead above the raw model calls"]
    lines.append(
        f"{'':<8}{'raw x2':>10}{'chain':>10}{'graph':>10}{'chain ovh':>12}{'graph ovh':>12}"
    )
    for kind in ("sync", "async"):
        sec = report["per_call"][kind]
        lines.append(
            f"{kind:<8}{sec['raw_two_calls']['median_us']:>10.0f}{sec['chain']['median_us']:>10.0f}"
            f"{sec['graph']['median_us']:>10.0f}{sec['overhead_us']['chain']:>12.0f}"
            f"{sec['overhead_us']['graph']:>12.0f}"
        )
    lines.append("")
    lines.append(f"abatch of {report['batch'][0]['inputs'] if report['batch'] else 0} inputs")
    lines.append(f"{'path':<8}{'max_conc':>10}{'seconds':>10}{'inputs/s':>12}{'errors':>8}")
    for row in report["batch"]:
        lines.append(
            f"{row['path']:<8}{row['max_concurrency']:>10}{row['seconds']:>10.2f}"
            f"{row['inputs_per_s']:>12.0f}{row['errors']:>8}"
        )
    lines.append("")
    for name, ok in report["goals_met"].items():
        lines.append(f"goal {name} <= {GOALS_US[name]:.0f} µs: {'met' if ok else 'MISSED'}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description="S2A framework overhead with an instant model")
    parser.add_argument("--calls", type=int, default=2_000, help="timed runs per path")
    parser.add_argument("--batch", type=int, default=1_000, help="inputs per abatch")
    parser.add_argument("--concurrency", default="1,4,16,64", help="max_concurrency values")
    parser.add_argument("--profile", action="store_true", help="always profile chain and graph")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Measure, print a summary and write the JSON report.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The report written to ``--output``.
    """
    args = parse_args(argv)
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    per_call = measure_per_call(args.calls)
    batch = measure_batch(args.batch, concurrencies)
    worst = {
        name: max(per_call[kind]["overhead_us"][name] for kind in ("sync", "async"))
        for name in GOALS_US
    }
    goals_met = {name: worst[name] <= GOALS_US[name] for name in GOALS_US}
    report: dict[str, Any] = {
        "command": "python benchmarks/overhead.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "calls": args.calls,
        "per_call": per_call,
        "batch": batch,
        "goals_us": GOALS_US,
        "goals_met": goals_met,
        "profiles": {},
    }
    for name in GOALS_US:
        if args.profile or not goals_met[name]:
            report["profiles"][name] = profile_path(name, max(50, args.calls // 4))
    print(render(report))
    for name, listing in report["profiles"].items():
        print(f"\nprofile of {name} (sorted by own time)\n{listing}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"wrote {args.output}")
    return report


if __name__ == "__main__":
    main()
