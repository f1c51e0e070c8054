"""Evaluation harness reproducing the S2A paper's experiments on your model.

Example:
    >>> from langchain_s2a.eval import load_items, run_eval, compute_metrics
    >>> items = load_items("gsm-ic", limit=2, split="report")
    >>> len(items)
    2

Then ``results = run_eval(items, ["baseline", "oracle", "s2a"], model="openai:gpt-4o-mini")``
and ``compute_metrics(results)``; or from the shell, ``s2a eval --task gsm-ic --limit 50``.
"""

from __future__ import annotations

from langchain_s2a.eval.cli import add_eval_arguments, run_eval_command
from langchain_s2a.eval.datasets import (
    GSM_CATEGORIES,
    TRIVIA_CATEGORIES,
    TRIVIA_OPINION_CATEGORIES,
    EvalItem,
    in_split,
    load_gsm_ic,
    load_trivia,
    round_robin,
)
from langchain_s2a.eval.diagnostics import (
    RewriteDiagnostics,
    diagnose_rewrites,
    distractor_kept,
    distractor_sentence,
    render_diagnostics,
)
from langchain_s2a.eval.html import diff_html, render_html, write_html
from langchain_s2a.eval.metrics import ConditionMetrics, compute_metrics
from langchain_s2a.eval.records import CLEAN_SUFFIX, Generation, ItemResult
from langchain_s2a.eval.report import (
    PAPER_RESULTS,
    format_paired,
    render_markdown,
    write_chart,
    write_json,
    write_report,
)
from langchain_s2a.eval.runner import (
    CONDITIONS,
    DEFAULT_CONDITIONS,
    GSM_ANSWER_FORMAT,
    Condition,
    GenerationCache,
    arun_eval,
    resolve_conditions,
    run_eval,
)
from langchain_s2a.eval.scoring import (
    contains_alias,
    extract_final_number,
    normalize_answer,
    numbers_equal,
    score_gsm,
    score_trivia,
)
from langchain_s2a.eval.stats import (
    DEFAULT_RESAMPLES,
    PairedDifference,
    cluster_bootstrap,
    mcnemar_exact,
    paired_difference,
    rate_ci,
)
from langchain_s2a.eval.tasks import load_items

__all__ = [
    "CLEAN_SUFFIX",
    "CONDITIONS",
    "DEFAULT_CONDITIONS",
    "DEFAULT_RESAMPLES",
    "GSM_ANSWER_FORMAT",
    "GSM_CATEGORIES",
    "PAPER_RESULTS",
    "TRIVIA_CATEGORIES",
    "TRIVIA_OPINION_CATEGORIES",
    "Condition",
    "ConditionMetrics",
    "EvalItem",
    "Generation",
    "GenerationCache",
    "ItemResult",
    "PairedDifference",
    "RewriteDiagnostics",
    "add_eval_arguments",
    "arun_eval",
    "cluster_bootstrap",
    "compute_metrics",
    "contains_alias",
    "diagnose_rewrites",
    "diff_html",
    "distractor_kept",
    "distractor_sentence",
    "extract_final_number",
    "format_paired",
    "in_split",
    "load_gsm_ic",
    "load_items",
    "load_trivia",
    "mcnemar_exact",
    "normalize_answer",
    "numbers_equal",
    "paired_difference",
    "rate_ci",
    "render_diagnostics",
    "render_html",
    "render_markdown",
    "resolve_conditions",
    "round_robin",
    "run_eval",
    "run_eval_command",
    "score_gsm",
    "score_trivia",
    "write_chart",
    "write_html",
    "write_json",
    "write_report",
]
