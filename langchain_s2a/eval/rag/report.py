"""Figures of a RAG run: accuracy, gold retention and cost per setting and condition.

Rates come with cluster-bootstrap 95% intervals (the unit is the question) and
paired comparisons (difference with interval, exact McNemar p) on the questions
both conditions ran.

Example:
    >>> rows = [{"task": "rgb", "setting": "noise=0.6", "condition": "baseline", "item_id": "a",
    ...          "group_id": "a", "correct": True, "gold_kept": True, "answer_kept": True,
    ...          "error": None, "input_chars": 10, "kept_chars": 10}]
    >>> summarize(rows)[0]["accuracy"]
    1.0
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from langchain_s2a.eval.rag.conditions import LANGCHAIN_CONDITIONS, RAG_CONDITIONS
from langchain_s2a.eval.stats import gap_closed_ci, paired_difference, rate_ci

__all__ = ["compare", "render_rag_markdown", "summarize", "write_rag_report"]

_S2A = ("s2a", "s2a_select", "s2a_judge", "s2a_judge_title", "s2a_chain")


def _mean(values: Iterable[float | int | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _groups(records: Sequence[dict[str, Any]]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        out[(r["task"], r["setting"], r["condition"])].append(r)
    return out


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (task, setting, condition): rates with intervals, and costs."""
    rows = []
    order = list(RAG_CONDITIONS)
    for (task, setting, condition), rs in sorted(
        _groups(records).items(), key=lambda kv: (kv[0][0], kv[0][1], order.index(kv[0][2]))
    ):
        n = len(rs)
        acc = sum(bool(r.get("correct")) for r in rs) / n
        gold = [r for r in rs if r["condition"] != "closed_book"]
        ratio = [
            r["kept_chars"] / r["input_chars"]
            for r in gold
            if r.get("input_chars") and "kept_chars" in r
        ]
        rows.append(
            {
                "task": task,
                "setting": setting,
                "condition": condition,
                "n": n,
                "accuracy": acc,
                "accuracy_ci": rate_ci((r["group_id"], bool(r.get("correct"))) for r in rs),
                "gold_kept": _mean(float(bool(r.get("gold_kept"))) for r in gold),
                "gold_kept_ci": rate_ci((r["group_id"], bool(r.get("gold_kept"))) for r in gold),
                "answer_kept": _mean(float(bool(r.get("answer_kept"))) for r in gold),
                "kept_ratio": _mean(ratio),
                "docs_kept": _mean(len(r.get("kept_sources") or []) for r in gold),
                "compress_calls": _mean(r.get("compress_calls") for r in rs),
                "compress_input_tokens": _mean(r.get("compress_input_tokens") for r in rs),
                "compress_read_tokens": _mean(
                    (r.get("compress_input_tokens") or 0) - (r.get("compress_cache_read") or 0)
                    for r in rs
                ),
                "compress_output_tokens": _mean(r.get("compress_output_tokens") for r in rs),
                "compress_s": _mean(r.get("compress_s") for r in rs),
                "answer_s": _mean(r.get("answer_s") for r in rs),
                "errors": sum(1 for r in rs if r.get("error")),
            }
        )
    return rows


def _pairs(
    a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]
) -> list[tuple[str, bool, bool]]:
    index = {r["item_id"]: r for r in b}
    return [
        (r["group_id"], bool(r.get("correct")), bool(index[r["item_id"]].get("correct")))
        for r in a
        if r["item_id"] in index
    ]


def compare(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Paired comparisons of each S2A condition with the baseline and each LangChain one.

    ``s2a_judge_title`` is also paired with ``s2a_judge`` (what the title adds).

    Also the share of the baseline-to-oracle gap closed (with its interval when the
    oracle is significantly above the baseline).
    """
    groups = _groups(records)
    out = []
    for (task, setting, condition), rs in sorted(groups.items()):
        if condition not in _S2A:
            continue
        variant_of = ("s2a_judge",) if condition == "s2a_judge_title" else ()
        for other in ("baseline", "oracle", *variant_of, *sorted(LANGCHAIN_CONDITIONS)):
            theirs = groups.get((task, setting, other))
            if not theirs:
                continue
            diff = paired_difference(_pairs(rs, theirs))
            if diff is None:
                continue
            row: dict[str, Any] = {
                "task": task,
                "setting": setting,
                "condition": condition,
                "against": other,
                **diff.to_dict(),
            }
            if other == "baseline" and (oracle := groups.get((task, setting, "oracle"))):
                base = {r["item_id"]: r for r in theirs}
                orc = {r["item_id"]: r for r in oracle}
                units = [
                    (
                        float(bool(r.get("correct"))),
                        1.0,
                        float(bool(base[r["item_id"]].get("correct"))),
                        1.0,
                        float(bool(orc[r["item_id"]].get("correct"))),
                        1.0,
                    )
                    for r in rs
                    if r["item_id"] in base and r["item_id"] in orc
                ]
                c, b, o = (sum(u[i] for u in units) for i in (0, 2, 4))
                row["gap_closed"] = (c - b) / (o - b) if o > b else None
                ci = gap_closed_ci(units)
                row["gap_closed_ci"] = list(ci) if ci else None
            out.append(row)
    return out


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def _ci(v: float | None, ci: Sequence[float] | None) -> str:
    if v is None:
        return "–"
    return f"{_pct(v)} [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else _pct(v)


def _num(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def render_rag_markdown(
    records: Sequence[dict[str, Any]], *, config: dict[str, Any] | None = None
) -> str:
    """The report's Markdown: per setting, one row per condition, then paired tests."""
    lines = ["# RAG context cleaners: answer accuracy, gold retention, cost", ""]
    for k, v in (config or {}).items():
        lines.append(f"- {k}: `{v}`" if k == "command" else f"- {k}: {v}")
    summary = summarize(records)
    settings = sorted({(r["task"], r["setting"]) for r in summary})
    for task, setting in settings:
        lines += [
            "",
            f"## {task}, {setting}",
            "",
            "| condition | n | accuracy % [95% CI] | gold kept % [95% CI] | answer kept % "
            "| docs kept | chars kept % | calls | tokens in (read) / out | compress s | answer s "
            "| errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in summary:
            if (r["task"], r["setting"]) != (task, setting):
                continue
            lines.append(
                f"| {r['condition']} | {r['n']} | {_ci(r['accuracy'], r['accuracy_ci'])} "
                f"| {_ci(r['gold_kept'], r['gold_kept_ci'])} | {_pct(r['answer_kept'])} "
                f"| {_num(r['docs_kept'])} | {_pct(r['kept_ratio'])} "
                f"| {_num(r['compress_calls'])} | {_num(r['compress_input_tokens'], 0)} "
                f"({_num(r['compress_read_tokens'], 0)}) / {_num(r['compress_output_tokens'], 0)} "
                f"| {_num(r['compress_s'])} | {_num(r['answer_s'])} | {r['errors']} |"
            )
        paired = [c for c in compare(records) if (c["task"], c["setting"]) == (task, setting)]
        if paired:
            lines += [
                "",
                "| condition | vs | pairs | difference, points [95% CI] | McNemar p "
                "| gap closed % [95% CI] |",
                "|---|---|---|---|---|---|",
            ]
            for c in paired:
                gap = c.get("gap_closed")
                gap_s = _ci(gap, c.get("gap_closed_ci")) if "gap_closed" in c else ""
                lines.append(
                    f"| {c['condition']} | {c['against']} | {c['n_pairs']} "
                    f"| {100 * c['diff']:+.1f} [{100 * c['ci95'][0]:+.1f}, "
                    f"{100 * c['ci95'][1]:+.1f}] | {c['p']:.3g} | {gap_s} |"
                )
    lines += [
        "",
        "Accuracy: the benchmark's own answer matching (RGB `evalue.py`; NQ: a "
        "SQuAD-normalised answer inside the reply, as Lost in the Middle). Gold kept: a "
        "gold / positive document (for `s2a_chain`: one of its sentences) is in the cleaned "
        "context. Answer kept: the answer string is in it. Calls and tokens: model calls "
        "spent compressing per question, prompt tokens (those read, i.e. not reused from "
        "the prefix cache) and reply tokens. Seconds: per question, one thread.",
    ]
    return "\n".join(lines) + "\n"


def write_rag_report(
    out: Path, records: Sequence[dict[str, Any]], *, config: dict[str, Any]
) -> dict[str, Path]:
    """Write ``results.md``, ``results.json``, ``records.jsonl`` and ``report.html``."""
    from langchain_s2a.eval.rag.html import render_rag_html

    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out / "results.md",
        "json": out / "results.json",
        "records": out / "records.jsonl",
        "html": out / "report.html",
    }
    md = render_rag_markdown(records, config=config)
    paths["markdown"].write_text(md, encoding="utf-8")
    summary = {"config": config, "summary": summarize(records), "paired": compare(records)}
    paths["json"].write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    with paths["records"].open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    paths["html"].write_text(render_rag_html(records, md), encoding="utf-8")
    return paths
