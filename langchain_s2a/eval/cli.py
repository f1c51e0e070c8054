"""The ``s2a eval`` command: run the paper's experiments and write a report.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="s2a eval")
    >>> add_eval_arguments(parser)
    >>> args = parser.parse_args(["--task", "gsm-ic", "--limit", "5"])
    >>> args.task, args.limit, args.split
    ('gsm-ic', 5, 'report')
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import get_args

from langchain_s2a._internal.rules.ladder import REWRITE_RULES_VERSION
from langchain_s2a.eval.cache import default_cache_dir
from langchain_s2a.eval.datasets import EvalItem, Split, Task
from langchain_s2a.eval.metrics import compute_metrics
from langchain_s2a.eval.rag.cli import RAG_TASKS, add_rag_arguments, run_rag_command
from langchain_s2a.eval.report import render_markdown, write_report
from langchain_s2a.eval.runner import CONDITIONS, DEFAULT_CONDITIONS, arun_eval, model_key
from langchain_s2a.eval.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from langchain_s2a.eval.tasks import TaskName, load_items
from langchain_s2a.prompts import PROMPT_VERSION

__all__ = ["add_eval_arguments", "default_cache_dir", "run_eval_command"]

_TASKS: tuple[Task, ...] = ("trivia", "gsm-ic")
# Tasks that --task all leaves out (each is reported on its own).
_EXTRA_TASKS: tuple[TaskName, ...] = ("trivia-zh", "selfreport", "gsm-opinion")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``s2a eval`` options to ``parser``.

    Args:
        parser: The (sub)command parser.
    """
    parser.add_argument(
        "--task",
        choices=[*_TASKS, *_EXTRA_TASKS, *RAG_TASKS, "all"],
        default="all",
        help="which experiment; 'all' is trivia and gsm-ic, 'trivia-zh' the Chinese opinion set, "
        "'selfreport' and 'gsm-opinion' the everyday sets, 'rgb' / 'nq-docs' the RAG context "
        "cleaners (default: all)",
    )
    parser.add_argument(
        "--conditions",
        default=",".join(DEFAULT_CONDITIONS),
        help=f"comma-separated, from: {', '.join(CONDITIONS)} (default: %(default)s)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="number of questions (trivia; 4 prompts each) / items (GSM-IC); default all",
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    parser.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="K/N",
        help="run only items K, K+N, K+2N, ... of the sample (1-based), to share a long run "
        "between processes with one --cache-dir; a later run without it reads their cache",
    )
    parser.add_argument(
        "--split",
        choices=get_args(Split),
        default="report",
        help="'report' (held back for reported numbers), 'tune' (for prompt tuning) or 'all'",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="chat model: an init_chat_model name ('openai:gpt-4o-mini'), 'local[:SIZE]'; "
        "default $S2A_MODEL or the embedded local model",
    )
    parser.add_argument(
        "--rewriter-model", default=None, help="separate model for the S2A rewrite step"
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=None,
        help="chain calls in flight (default: 1 for the local model, else 8)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="generation cache directory (default: the user cache dir)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument(
        "--out", type=Path, default=Path("s2a-eval"), help="output directory (default: %(default)s)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data file for the chosen --task (e.g. the full upstream file)",
    )
    parser.add_argument("--trivia-data", type=Path, default=None, help="TriviaQA file (--task all)")
    parser.add_argument("--gsm-data", type=Path, default=None, help="GSM-IC file (--task all)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument(
        "--clean-inputs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run each S2A condition on the GSM-IC problems without distractor "
        "(conditions '<name>@clean', for the clean-input cost; default: on)",
    )
    add_rag_arguments(parser)


def _items(args: argparse.Namespace) -> list[EvalItem]:
    tasks: list[TaskName] = list(_TASKS) if args.task == "all" else [args.task]
    if args.data is not None and len(tasks) > 1:
        raise ValueError("--data needs a single --task; use --trivia-data / --gsm-data with all")
    paths = {"trivia": args.trivia_data, "gsm-ic": args.gsm_data}
    items: list[EvalItem] = []
    for task in tasks:
        path = args.data if args.data is not None else paths.get(task)
        items += load_items(task, path, limit=args.limit, seed=args.seed, split=args.split)
    if args.shard is not None:
        k, n = args.shard
        items = items[k - 1 :: n]
    return items


def _shard(value: str) -> tuple[int, int]:
    """Parse ``K/N`` (``1 <= K <= N``) for ``--shard``.

    Example:
        >>> _shard("2/3")
        (2, 3)
    """
    k, sep, n = value.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, got {value!r}")
    return int(k), int(n)


def _check_models(args: argparse.Namespace) -> None:
    """Resolve the models once before any work (weights still load on first use).

    A model that cannot run (no ``[local]`` extra, an unknown provider, a missing
    API key) then stops the command with its own error, instead of failing
    every item into a report of 0% accuracy.
    """
    from langchain_s2a.eval import runner

    resolve = runner.resolve_chat_model  # type: ignore[attr-defined]  # the one the run uses
    resolve(args.model)
    if args.rewriter_model:
        resolve(args.rewriter_model)


def run_eval_command(args: argparse.Namespace) -> int:
    """Run ``s2a eval`` with parsed ``args``.

    Prints the Markdown table and writes ``results.md``, ``results.json``,
    ``accuracy.png`` and ``items.jsonl`` to ``--out``.

    Returns:
        0 on success, 1 if any item errored, 2 on bad arguments.

    Raises:
        Exception: Whatever resolving ``--model`` / ``--rewriter-model`` raises,
            before any item runs or any file is written (``s2a`` prints it as
            one line).
    """
    import asyncio

    if args.task in RAG_TASKS:
        return run_rag_command(args)
    try:
        items = _items(args)
        conditions = [c.strip() for c in str(args.conditions).split(",") if c.strip()]
        unknown = [c for c in conditions if c not in CONDITIONS]
        if unknown:
            raise ValueError(f"unknown condition(s) {unknown}; choose from {', '.join(CONDITIONS)}")
    except (ValueError, OSError) as exc:
        print(f"s2a eval: error: {exc}", file=sys.stderr)
        return 2
    if not items:
        print("s2a eval: error: no items selected", file=sys.stderr)
        return 2
    _check_models(args)
    label = model_key(args.model)
    concurrency = args.max_concurrency or (1 if label.startswith("local") else 8)
    cache_dir = None if args.no_cache else (args.cache_dir or default_cache_dir())
    results = asyncio.run(
        arun_eval(
            items,
            conditions,
            model=args.model,
            rewriter_model=args.rewriter_model,
            max_concurrency=concurrency,
            cache_dir=cache_dir,
            progress=not args.no_progress,
            clean_inputs=args.clean_inputs,
        )
    )
    metrics = compute_metrics(results)
    config = {
        "command": "s2a eval " + shlex.join(sys.argv[2:] if len(sys.argv) > 2 else []),
        "task": args.task,
        "model": label,
        "rewriter model": model_key(args.rewriter_model) if args.rewriter_model else "(same)",
        "prompt version": PROMPT_VERSION,
        "rewrite rules": REWRITE_RULES_VERSION,
        "split": args.split,
        "seed": args.seed,
        "limit": args.limit if args.limit is not None else "all",
        "items": len(items),
        "bootstrap": f"{DEFAULT_RESAMPLES} resamples over questions / base problems, "
        f"seed {DEFAULT_SEED}",
    }
    paths = write_report(args.out, results, metrics, config=config)
    print(render_markdown(metrics, config=config))
    print("wrote " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    errors = sum(1 for r in results if r.error)
    if errors:
        print(f"s2a eval: {errors} item(s) failed; see items.jsonl", file=sys.stderr)
    return 1 if errors else 0
