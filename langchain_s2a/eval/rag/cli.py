"""``s2a eval --task rgb`` / ``--task nq-docs``: context cleaners in a RAG pipeline.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_rag_arguments(parser)
    >>> parser.parse_args(["--settings", "0.6,0.8"]).settings
    '0.6,0.8'
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from langchain_s2a.eval.rag.conditions import DEFAULT_RAG_CONDITIONS, RAG_CONDITIONS
from langchain_s2a.eval.rag.data import RagItem, RagTask, load_rag_items
from langchain_s2a.eval.rag.report import render_rag_markdown, write_rag_report
from langchain_s2a.eval.rag.runner import RAG_EVAL_VERSION, run_rag
from langchain_s2a.models import resolve_chat_model

__all__ = ["RAG_TASKS", "add_rag_arguments", "run_rag_command"]

RAG_TASKS: tuple[RagTask, ...] = ("rgb", "nq-docs")
"""The ``--task`` values this module runs."""
_DEFAULT_SETTINGS = {"rgb": "0.4,0.6,0.8", "nq-docs": "10,20"}


def add_rag_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options only the RAG tasks read."""
    parser.add_argument(
        "--settings",
        default=None,
        help="rgb: noise ratios (default 0.4,0.6,0.8); nq-docs: document counts (default 10,20)",
    )
    parser.add_argument(
        "--comparison-limit",
        type=int,
        default=None,
        help="rgb / nq-docs: run the conditions other than closed_book, baseline, oracle "
        "and s2a_judge (LangChain's compressors, s2a, s2a_chain) on the first N questions "
        "of each setting only (default: all)",
    )


def rag_items(args: argparse.Namespace) -> list[RagItem]:
    """The items the arguments select (sharded with ``--shard``)."""
    settings = [float(s) for s in str(args.settings or _DEFAULT_SETTINGS[args.task]).split(",")]
    items = load_rag_items(
        args.task, args.data, settings=settings, split=args.split, limit=args.limit, seed=args.seed
    )
    if args.shard is not None:
        k, n = args.shard
        groups = list(dict.fromkeys(i.group_id for i in items))[k - 1 :: n]
        keep = set(groups)
        items = [i for i in items if i.group_id in keep]
    return items


def run_rag_command(args: argparse.Namespace) -> int:
    """Run a RAG task; write ``results.md``/``.json``, ``records.jsonl``, ``report.html``."""
    from langchain_s2a.eval.cache import default_cache_dir
    from langchain_s2a.eval.runner import DEFAULT_CONDITIONS, model_key

    given = str(args.conditions or "")
    conditions = [c.strip() for c in given.split(",") if c.strip()]
    if not conditions or given == ",".join(DEFAULT_CONDITIONS):  # the paper tasks' default
        conditions = list(DEFAULT_RAG_CONDITIONS)
    if unknown := sorted(set(conditions) - set(RAG_CONDITIONS)):
        print(
            f"s2a eval: error: unknown condition(s) {unknown} for --task {args.task}; "
            f"choose from {', '.join(RAG_CONDITIONS)}",
            file=sys.stderr,
        )
        return 2
    try:
        items = rag_items(args)
    except (ValueError, OSError) as exc:
        print(f"s2a eval: error: {exc}", file=sys.stderr)
        return 2
    if not items:
        print("s2a eval: error: no items selected", file=sys.stderr)
        return 2
    label = model_key(args.model)
    cache_dir = None if args.no_cache else (args.cache_dir or default_cache_dir())

    def load() -> Any:
        return resolve_chat_model(args.model)

    records = run_rag(
        load,
        items,
        conditions,
        cache_dir=cache_dir,
        model_name=label,
        comparison_limit=args.comparison_limit,
        progress=not args.no_progress,
    )
    config = {
        "command": "s2a eval " + shlex.join(sys.argv[2:] if len(sys.argv) > 2 else []),
        "task": args.task,
        "model": label,
        "split": args.split,
        "seed": args.seed,
        "questions per setting": args.limit if args.limit is not None else "all",
        "other conditions than closed_book, baseline, oracle, s2a_judge on": (
            f"the first {args.comparison_limit} questions per setting"
            if args.comparison_limit is not None
            else "every question"
        ),
        "conditions": ", ".join(conditions),
        "eval version": RAG_EVAL_VERSION,
    }
    out: Path = args.out
    paths = write_rag_report(out, records, config=config)
    print(render_rag_markdown(records, config=config))
    print("wrote " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    return 0
