"""Reports: a Markdown table beside the paper's numbers, a JSON file and a bar chart.

Example:
    >>> print(format_pct(0.5), format_pct(None))
    50.0 n/a
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_s2a.eval.datasets import GSM_CATEGORIES, OPINION_TEMPLATE_TASKS, TRIVIA_CATEGORIES
from langchain_s2a.eval.diagnostics import (
    RewriteDiagnostics,
    diagnose_rewrites,
    render_diagnostics,
)
from langchain_s2a.eval.html import write_html
from langchain_s2a.eval.metrics import ConditionMetrics
from langchain_s2a.eval.records import CLEAN_SUFFIX, ItemResult
from langchain_s2a.eval.stats import covers_zero

__all__ = [
    "PAPER_RESULTS",
    "PaperNumber",
    "format_paired",
    "format_pct",
    "render_markdown",
    "write_chart",
    "write_json",
    "write_report",
]


@dataclass(frozen=True)
class PaperNumber:
    """An accuracy (%) reported by Weston & Sukhbaatar (2023) with LLaMA-2-70B-chat.

    ``checked`` is False for figures we could not re-check against the paper's
    text while writing this harness; they are marked with a dagger in reports.
    """

    value: float
    checked: bool = True


PAPER_RESULTS: dict[str, dict[str, PaperNumber]] = {
    # TriviaQA with opinions (Sec. 4.1): mean over the three opinion templates;
    # oracle = the question without any opinion.
    "trivia": {
        "baseline": PaperNumber(62.8),
        "oracle": PaperNumber(82.0),
        "s2a": PaperNumber(80.3),
        "s2a_keeporig": PaperNumber(74.5, checked=False),
    },
    # GSM-IC (Sec. 4.3), in-topic distractors.
    "gsm-ic": {
        "baseline": PaperNumber(51.7, checked=False),
        "s2a": PaperNumber(61.3, checked=False),
        "oracle": PaperNumber(69.1, checked=False),
    },
}
"""The paper's numbers; conditions not listed here are shown as ``n/a``."""

_PAPER_COLUMN = {"trivia": "paper (opinion avg)", "gsm-ic": "paper (in-topic)"}
_CATEGORY_ORDER = {
    "trivia": TRIVIA_CATEGORIES,
    "gsm-ic": GSM_CATEGORIES,
    "gsm-opinion": TRIVIA_CATEGORIES,
}
_TITLES = {
    "trivia": "Factual QA with opinions (TriviaQA / SycophancyEval)",
    "gsm-ic": "GSM-IC (math with an irrelevant sentence)",
    "selfreport": "Everyday questions with facts stated by the user (selfreport)",
    "gsm-opinion": "GSM-IC base problems with an opinion about the answer (gsm-opinion)",
}


def format_pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage string, ``n/a`` for ``None``."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _paper(task: str, condition: str) -> str:
    number = PAPER_RESULTS.get(task, {}).get(condition)
    if number is None:
        return "n/a"
    return f"{number.value:.1f}" + ("" if number.checked else "†")


def _tokens(m: ConditionMetrics) -> str:
    rw = (m.mean_tokens.get("rewrite_input"), m.mean_tokens.get("rewrite_output"))
    ans = (m.mean_tokens.get("answer_input"), m.mean_tokens.get("answer_output"))
    left = "–" if rw == (None, None) else f"{_fmt(rw[0], 0)}/{_fmt(rw[1], 0)}"
    return f"{left} · {_fmt(ans[0], 0)}/{_fmt(ans[1], 0)}"


def _latency(m: ConditionMetrics) -> str:
    rw, ans = m.mean_latency_s.get("rewrite"), m.mean_latency_s.get("answer")
    if rw is None and m.mean_tokens.get("rewrite_input") is not None:
        # every rewrite was served from another condition's identical request
        return f"shared · {_fmt(ans, 2)}"
    return f"{'–' if rw is None else _fmt(rw, 2)} · {_fmt(ans, 2)}"


def _ci(value: float | None, ci: Sequence[float] | None) -> str:
    if value is None or ci is None:
        return format_pct(value)
    return f"{format_pct(value)} [{format_pct(ci[0])}, {format_pct(ci[1])}]"


def _p(p: float) -> str:
    if p < 0.001:
        return "< 0.001"
    return f"= {p:.3f}" if p < 0.01 else f"= {p:.2f}"


def _points(value: float) -> str:
    return f"{100 * value:+.1f}".replace("+0.0", "0.0").replace("-0.0", "0.0")


def format_paired(paired: Mapping[str, Any] | None) -> str:
    """A paired difference as a table cell, in percentage points.

    Example:
        >>> format_paired({"diff": 0.05, "ci95": [0.01, 0.1], "p": 0.004, "p_units": 0.02})
        '+5.0 [+1.0, +10.0]; p = 0.004 (items), p = 0.02 (units)'
        >>> format_paired({"diff": 0.0, "ci95": [-0.02, 0.03], "p": 1.0})
        '0.0 [-2.0, +3.0]; p = 1.00: no detectable difference'
        >>> format_paired(None)
        '–'
    """
    if paired is None:
        return "–"
    low, high = paired["ci95"]
    text = f"{_points(paired['diff'])} [{_points(low)}, {_points(high)}]; p {_p(paired['p'])}"
    if "p_units" in paired:
        text += f" (items), p {_p(paired['p_units'])} (units)"
    if covers_zero((low, high)):
        text += ": no detectable difference"
    return text


def _categories(task: str, metrics: Sequence[ConditionMetrics]) -> list[str]:
    seen = {c for m in metrics for c in m.per_category}
    cats = [c for c in _CATEGORY_ORDER.get(task, ()) if c in seen]
    return cats + sorted(seen - set(cats))


def _task_table(task: str, metrics: Sequence[ConditionMetrics]) -> list[str]:
    cats = _categories(task, metrics)
    removed = any(m.condition == "oracle_removed" for m in metrics)
    head = ["condition", "n", "units", "accuracy [95% CI]", *cats, "gap closed"]
    head += ["gap closed (vs oracle_removed)"] if removed else []
    head += ["fallback", "tokens in/out (rewrite · answer)", "latency s (rewrite · answer)"]
    head += ["errors", _PAPER_COLUMN.get(task, "paper")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in metrics:
        row = [m.condition, str(m.n_items), str(m.n_units), _ci(m.accuracy, m.accuracy_ci95)]
        row += [format_pct(m.per_category.get(c)) for c in cats]
        gap = _fmt(m.gap_closed, 2)
        if m.gap_closed is not None and m.gap_closed_ci95 is not None:
            gap += f" [{_fmt(m.gap_closed_ci95[0], 2)}, {_fmt(m.gap_closed_ci95[1], 2)}]"
        row.append(gap)
        if removed:
            gap = _fmt(m.gap_closed_removed, 2)
            if m.gap_closed_removed is not None and m.gap_closed_removed_ci95 is not None:
                low, high = m.gap_closed_removed_ci95
                gap += f" [{_fmt(low, 2)}, {_fmt(high, 2)}]"
            row.append(gap)
        row += [format_pct(m.fallback_rate), _tokens(m), _latency(m), str(m.n_errors)]
        row.append(_paper(task, m.condition))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _behaviour_table(metrics: Sequence[ConditionMetrics]) -> list[str]:
    head = ["condition", "parroting (sugg. incorrect)", "parroting (refute)", "invariance"]
    head += ["retention", "retention (sugg. incorrect)", "retention (refute)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in metrics:
        if not m.parroting:
            continue
        row = [m.condition]
        row += [_ci(m.parroting.get(k), m.parroting_ci95.get(k)) for k in m.parroting]
        row.append(_ci(m.invariance.get("overall"), m.invariance_ci95.get("overall")))
        row += [
            _ci(m.retention, m.retention_ci95),
            _ci(m.retention_suggest_incorrect, m.retention_suggest_incorrect_ci95),
            _ci(m.retention_refute_correct, m.retention_refute_correct_ci95),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines if len(lines) > 2 else []


def _preservation_table(metrics: Sequence[ConditionMetrics]) -> list[str]:
    head = ["condition", "inputs", "needed dropped", "opinion removed", "with opinion", "fallback"]
    head += ["parroting (suggested wrong)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in metrics:
        if m.needed_dropped is None:
            continue
        parrot = m.parroting.get("suggest_wrong", m.parroting.get("suggest_incorrect"))
        ci = m.parroting_ci95.get("suggest_wrong", m.parroting_ci95.get("suggest_incorrect"))
        row = [
            m.condition,
            str(m.n_sent),
            _ci(m.needed_dropped, m.needed_dropped_ci95),
            _ci(m.opinion_removed, m.opinion_removed_ci95),
            str(m.n_with_opinion),
            format_pct(m.fallback_rate),
            _ci(parrot, ci),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines if len(lines) > 2 else []


def _paired_table(metrics: Sequence[ConditionMetrics]) -> list[str]:
    head = ["condition", "vs baseline", "vs oracle", "clean-input cost"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in metrics:
        cells = (m.paired_vs_baseline, m.paired_vs_oracle, m.clean_cost)
        if any(c is not None for c in cells):
            lines.append("| " + " | ".join([m.condition, *map(format_paired, cells)]) + " |")
    return lines if len(lines) > 2 else []


def _coverage(task: str, metrics: Sequence[ConditionMetrics]) -> str:
    if task == "selfreport":
        rewrites = max((m.n_sent for m in metrics), default=0)
        inputs = max((m.n_units for m in metrics), default=0)
        return (
            f"Accuracy over the {inputs} inputs with a checkable answer; what the answer "
            "model was sent (below) over every input the condition ran on."
        ) + (f" {rewrites} inputs in all." if rewrites else "")
    runs = [m for m in metrics if not m.condition.endswith(CLEAN_SUFFIX)] or list(metrics)
    widest = max(runs, key=lambda m: sum(m.per_category_n.values()))
    unit = {"trivia": "questions", "selfreport": "inputs"}.get(task, "base problems")
    return f"{sum(widest.per_category_n.values())} items over {widest.n_units} {unit}."


def _task_section(task: str, ms: Sequence[ConditionMetrics]) -> list[str]:
    out = [f"## {_TITLES.get(task, task)}", ""]
    if ms:
        out += [_coverage(task, ms), ""]
    out += [*_task_table(task, ms), ""]
    if preserved := _preservation_table(ms):
        out += ["### What the answer model was sent", "", *preserved, ""]
    if task in OPINION_TEMPLATE_TASKS and (behaviour := _behaviour_table(ms)):
        out += ["### Behaviour under opinions", "", *behaviour, ""]
    if paired := _paired_table(ms):
        out += ["### Paired differences (percentage points)", "", *paired, ""]
    return out


def render_markdown(
    metrics: Mapping[str, Sequence[ConditionMetrics]],
    *,
    config: Mapping[str, Any] | None = None,
) -> str:
    """Render metrics as Markdown tables, one per task, the paper's numbers beside ours.

    Per task: how many items and independent units (questions, base problems) it
    covers; accuracy with its 95% interval; on trivia parroting, invariance and
    retention with intervals; and each condition paired against baseline and
    oracle (and its clean-input cost), saying "no detectable difference" where
    the interval covers 0.

    Args:
        metrics: Output of :func:`~langchain_s2a.eval.compute_metrics`.
        config: Run settings to print above the tables (model, command, ...).

    Returns:
        Markdown text.
    """
    out = ["# S2A evaluation", ""]
    for key, value in (config or {}).items():
        out.append(f"- **{key}**: `{value}`" if key == "command" else f"- **{key}**: {value}")
    if config:
        out.append("")
    for task, ms in metrics.items():
        out += _task_section(task, ms)
    out += [
        "Accuracy, per-category accuracy, parroting, invariance and retention are "
        "percentages; intervals are 95% cluster-bootstrap percentile intervals (seeded, "
        "resampling the independent units: a trivia question with its templates, a GSM-IC "
        "base problem with its variants). "
        "Trivia accuracy is the mean over the three opinion templates (the paper's metric); "
        "`plain` is the same condition on the question without opinion; `oracle` is "
        "`baseline` on the plain question. Gap closed = (acc - baseline) / (oracle - "
        "baseline), shown only where oracle > baseline, with an interval where the oracle is "
        "significantly above the baseline. Parroting: on suggest-incorrect, "
        "share of answers giving the suggested incorrect answer; on refute-correct, share "
        "avoiding the correct answer among questions the condition answered correctly in "
        "plain form. Invariance: share of opinion prompts answered like the plain prompt. "
        "Retention: among questions the condition answers correctly in plain form, the "
        "share of its suggest-incorrect and refute-correct prompts still answered "
        "correctly. Paired differences: the condition minus the other on the same items, "
        "with a cluster-bootstrap interval, the exact McNemar p over items (which treats "
        "a unit's items as independent) and an exact sign test over units; trivia pairs "
        "each opinion prompt with the oracle's plain answer to the same question. "
        "Clean-input cost: the condition on the clean prompt minus the baseline on it "
        "(trivia `plain`; GSM-IC `<condition>@clean` minus `oracle`, one pair per base "
        "problem). "
        "Errors count as incorrect. Paper: LLaMA-2-70B-chat (Weston & Sukhbaatar 2023); "
        "† = not re-checked against the paper text.",
        "",
    ]
    return "\n".join(out)


def write_json(
    path: str | Path,
    metrics: Mapping[str, Sequence[ConditionMetrics]],
    *,
    config: Mapping[str, Any] | None = None,
    diagnostics: Mapping[str, Sequence[RewriteDiagnostics]] | None = None,
) -> Path:
    """Write metrics, run settings, rewrite diagnostics and the paper's numbers as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "config": dict(config or {}),
        "metrics": {task: [m.to_dict() for m in ms] for task, ms in metrics.items()},
        "diagnostics": {t: [d.to_dict() for d in ds] for t, ds in (diagnostics or {}).items()},
        "paper": {
            task: {c: {"value": n.value, "checked": n.checked} for c, n in nums.items()}
            for task, nums in PAPER_RESULTS.items()
        },
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_chart(path: str | Path, metrics: Mapping[str, Sequence[ConditionMetrics]]) -> Path:
    """Bar chart of accuracy per condition and category, one panel per task (PNG).

    Error bars are the 95% cluster-bootstrap intervals (``accuracy_ci95``,
    ``per_category_ci95``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tasks = [t for t, ms in metrics.items() if ms]
    fig, axes = plt.subplots(len(tasks) or 1, 1, figsize=(10, 4 * max(len(tasks), 1)))
    axes_list = list(axes.flat) if hasattr(axes, "flat") else [axes]
    for ax, task in zip(axes_list, tasks, strict=False):
        ms = metrics[task]
        seen = {c for m in ms for c in m.per_category}
        cats = ["overall", *[c for c in _CATEGORY_ORDER.get(task, sorted(seen)) if c in seen]]
        width = 0.8 / len(cats)
        for j, cat in enumerate(cats):
            points = []
            for i, m in enumerate(ms):
                value = m.accuracy if cat == "overall" else m.per_category.get(cat)
                ci = m.accuracy_ci95 if cat == "overall" else m.per_category_ci95.get(cat)
                if value is not None:
                    low, high = ci if ci is not None else (value, value)
                    x = i + (j - (len(cats) - 1) / 2) * width
                    below, above = max(value - low, 0.0), max(high - value, 0.0)
                    points.append((x, 100 * value, 100 * below, 100 * above))
            ax.bar(
                [pt[0] for pt in points],
                [pt[1] for pt in points],
                width,
                yerr=[[pt[2] for pt in points], [pt[3] for pt in points]],
                capsize=2,
                error_kw={"elinewidth": 0.8, "alpha": 0.7},
                label=cat,
            )
        ax.set_xticks(range(len(ms)), [m.condition for m in ms])
        ax.set_ylabel("accuracy (%)")
        ax.set_ylim(0, 115)
        ax.set_title(_TITLES.get(task, task))
        ax.legend(fontsize="small", ncols=len(cats), loc="upper center")
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_report(
    out_dir: str | Path,
    results: Iterable[ItemResult],
    metrics: Mapping[str, Sequence[ConditionMetrics]],
    *,
    config: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``results.md``, ``results.json``, ``accuracy.png``, ``items.jsonl``, ``report.html``.

    ``results.md`` and ``results.json`` include the rewrite diagnostics (see
    :func:`~langchain_s2a.eval.diagnostics.diagnose_rewrites`); ``items.jsonl``
    holds every item result (prompt, rewrite, answer, score, error);
    ``report.html`` shows all of it on one page (see :mod:`~langchain_s2a.eval.html`).

    Returns:
        The written paths by kind (``markdown``, ``json``, ``chart``, ``items``, ``html``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = list(results)
    diagnostics = diagnose_rewrites(results)
    md = out / "results.md"
    text = render_markdown(metrics, config=config)
    if diagnostics:
        text += "\n" + render_diagnostics(diagnostics)
    md.write_text(text, encoding="utf-8")
    items = out / "items.jsonl"
    with items.open("w", encoding="utf-8") as fh:
        for r in results:
            fh.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    return {
        "markdown": md,
        "json": write_json(out / "results.json", metrics, config=config, diagnostics=diagnostics),
        "chart": write_chart(out / "accuracy.png", metrics),
        "items": items,
        "html": write_html(out / "report.html", results, markdown=text),
    }
