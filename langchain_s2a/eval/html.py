"""``report.html``: one self-contained page to browse an evaluation run.

The page holds the results tables (the text of ``results.md``), the bar chart
(embedded as a data URI) and every item: the original prompt; each distinct rewrite
with what it dropped from the prompt struck through and what it added in green
(a word-level diff); the input the oracle sent instead, diffed the same way; and each
condition's answer, score, parsed number, tokens and latency. A filter bar (an
inline script) narrows the items by task, category, condition and outcome — *right*
or *wrong* under every ticked condition, or *mixed* (they disagree) — and by text;
each item has an anchor (``report.html#item-<task>-<item id>``). Nothing is loaded
from the network: a Content-Security-Policy forbids it.

Example:
    >>> diff_html("Who wrote Emma? I think Brontë did.", "Context: none. Who wrote Emma?")
    '<ins>Context: none. </ins>Who wrote Emma?<del> I think Brontë did.</del>'
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_s2a.eval._diff import diff_html
from langchain_s2a.eval._html_assets import CSS, JS
from langchain_s2a.eval.datasets import GSM_CATEGORIES, TRIVIA_CATEGORIES
from langchain_s2a.eval.records import Generation, ItemResult

__all__ = ["CHART_FILE", "diff_html", "item_anchor", "render_html", "write_html"]

CHART_FILE = "accuracy.png"
"""The chart :func:`write_html` embeds by default (``write_report`` writes it)."""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
_GOLD_SHOWN = 6
_NO_CONTEXT = {"", "none", "none."}


def item_anchor(task: str, item_id: str) -> str:
    """The HTML id of an item on the page (``report.html#<id>`` links to it).

    Example:
        >>> item_anchor("gsm-ic", "82ccc8a64e17203d")
        'item-gsm-ic-82ccc8a64e17203d'
    """
    return "item-" + re.sub(r"[^A-Za-z0-9_-]+", "_", f"{task}-{item_id}")


def _inline(text: str, ids: Mapping[str, str]) -> str:
    def code(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner in ids:
            return f'<a href="#{ids[inner]}"><code>{inner}</code></a>'
        return f"<code>{inner}</code>"

    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"`([^`]+)`", code, escaped)


def _markdown(md: str, ids: Mapping[str, str]) -> str:
    """The Markdown that ``render_markdown`` / ``render_diagnostics`` write, as HTML."""
    out: list[str] = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            head, body = block[0], block[2:]
            cells = "".join(f"<th>{_inline(c, ids)}</th>" for c in head)
            rows = [f"<tr>{cells}</tr>"]
            rows += [
                "<tr>" + "".join(f"<td>{_inline(c, ids)}</td>" for c in row) + "</tr>"
                for row in body
            ]
            out.append(f'<div class="tables"><table class="md">{"".join(rows)}</table></div>')
            continue
        if line.startswith("- "):
            entries = []
            while i < len(lines) and lines[i].startswith("- "):
                entries.append(f"<li>{_inline(lines[i][2:], ids)}</li>")
                i += 1
            out.append(f"<ul>{''.join(entries)}</ul>")
            continue
        heading = re.match(r"(#{1,3}) (.*)", line)
        if heading and len(heading.group(1)) > 1:  # the page's <h1> stands for the "# " title
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2), ids)}</h{level}>")
        elif line.strip():
            out.append(f'<p class="note">{_inline(line, ids)}</p>')
        i += 1
    return "\n".join(out)


def _seen_text(g: Generation) -> str:
    """What a rewrite kept, without its section labels."""
    if g.rewrite_variant == "split":
        context = g.rewrite_context.strip()
        keep = "" if context.lower() in _NO_CONTEXT else context
        return f"{keep}\n{g.rewrite_question}".strip()
    return g.rewrite_text


def _usage(usage: Mapping[str, Any] | None) -> str:
    if not usage:
        return "–"
    return f"{usage.get('input_tokens', '?')}/{usage.get('output_tokens', '?')}"


def _latency(seconds: float | None, shared: bool) -> str:
    return "shared" if shared else ("–" if seconds is None else f"{seconds:.2f}s")


def _row(r: ItemResult) -> str:
    g, cls = r.generation, "right" if r.correct else "wrong"
    score = "error" if r.error else ("right" if r.correct else "wrong")
    answer = html.escape(g.answer if g is not None and not r.error else r.error or "")
    meta = []
    if r.parsed is not None:
        meta.append(f"parsed <code>{html.escape(r.parsed)}</code>")
    if g is not None:
        if g.rewrite_variant != "none":
            meta.append(
                f"rewrite {_usage(g.rewrite_usage)} tok, "
                f"{_latency(g.rewrite_latency_s, g.rewrite_shared)}"
            )
        answer_cost = (
            f"{_usage(g.answer_usage)} tok, {_latency(g.answer_latency_s, g.answer_shared)}"
        )
        meta.append(f"answer {answer_cost}")
        if g.fallback:
            meta.append(f"fallback: {html.escape(g.fallback_reason or 'original used')}")
    if r.cached:
        meta.append("cached")
    return (
        f'<tr class="{cls}" data-condition="{html.escape(r.condition)}" '
        f'data-correct="{int(r.correct)}"><th>{html.escape(r.condition)}</th>'
        f'<td class="score">{score}</td><td class="answer"><div class="text">{answer}</div></td>'
        f'<td class="meta">{"<br>".join(meta)}</td></tr>'
    )


def _rewrites(prompt: str, rs: Sequence[ItemResult]) -> list[str]:
    blocks: dict[tuple[str, ...], list[str]] = {}
    texts: dict[tuple[str, ...], tuple[str, str, Generation]] = {}
    for r in rs:
        g = r.generation
        if g is None:
            continue
        key: tuple[str, ...]
        if g.rewrite_variant != "none":
            key = ("rewrite", _seen_text(g), g.rewrite_raw, str(g.fallback))
            title = "rewrite: struck out = dropped from the prompt, green = added"
        elif g.rewrite_text.split() != prompt.split():
            key = ("input", g.rewrite_text)
            title = "input sent instead of the prompt"
        else:
            continue
        blocks.setdefault(key, []).append(r.condition)
        texts[key] = (title, _seen_text(g), g)
    out = []
    for key, conditions in blocks.items():
        title, seen, g = texts[key]
        names = " ".join(html.escape(c) for c in conditions)
        body = diff_html(prompt, seen)
        if "<del>" not in body and "<ins>" not in body:
            title = "rewrite: the prompt unchanged"
        if g.fallback:
            body = f"(fallback: {html.escape(g.fallback_reason or '')}; the prompt was used)"
        raw = ""
        if g.rewrite_raw:
            raw = (
                '<details class="raw"><summary>rewriter reply</summary>'
                f'<div class="text">{html.escape(g.rewrite_raw)}</div></details>'
            )
        out.append(
            f'<div class="rewrite" data-conditions="{names}"><div class="label">'
            f"{', '.join(conditions)} — {title}</div>"
            f'<div class="text diff">{body}</div>{raw}</div>'
        )
    return out


def _item(task: str, rs: Sequence[ItemResult]) -> str:
    item = rs[0].item
    anchor = item_anchor(task, item.item_id)
    chips = "".join(
        f'<span class="chip {"right" if r.correct else "wrong"}">{html.escape(r.condition)}</span>'
        for r in rs
    )
    gold = ", ".join(html.escape(g) for g in item.gold[:_GOLD_SHOWN])
    if len(item.gold) > _GOLD_SHOWN:
        gold += f" (+{len(item.gold) - _GOLD_SHOWN} more)"
    return (
        f'<article class="item" id="{anchor}" data-task="{html.escape(task)}" '
        f'data-category="{html.escape(item.category)}"><header>'
        f'<a class="anchor" href="#{anchor}">#</a><code>{html.escape(item.item_id)}</code>'
        f'<span class="tag">{html.escape(task)}</span>'
        f'<span class="tag">{html.escape(item.category)}</span>{chips}</header>'
        f'<div class="label">prompt</div><div class="text prompt">{html.escape(item.prompt)}</div>'
        f'<div class="gold">gold: {gold}</div>{"".join(_rewrites(item.prompt, rs))}'
        f'<table class="answers">{"".join(_row(r) for r in rs)}</table></article>'
    )


def _select(name: str, label: str, options: Sequence[tuple[str, str]]) -> str:
    opts = "".join(
        f'<option value="{html.escape(v)}">{html.escape(t)}</option>' for v, t in options
    )
    return f'<label>{label} <select name="{name}">{opts}</select></label>'


def render_html(
    results: Iterable[ItemResult],
    *,
    markdown: str = "",
    chart_png: bytes | None = None,
    title: str = "S2A evaluation report",
) -> str:
    """Render the report page (see the module docstring) as one HTML string.

    Args:
        results: Every item result of the run.
        markdown: The text of ``results.md`` (settings, tables, rewrite
            diagnostics), shown above the items; item ids in it become links.
        chart_png: The bar chart to embed, as PNG bytes; ``None`` leaves it out.
        title: The page title.

    Returns:
        The page (no external resources).

    Example:
        >>> page = render_html([], markdown="## Results")
        >>> page.startswith("<!DOCTYPE html>") and 'id="filters"' in page
        True
    """
    results = list(results)
    grouped: dict[tuple[str, str], list[ItemResult]] = {}
    for r in results:
        grouped.setdefault((r.item.task, r.item.item_id), []).append(r)
    ids = {item_id: item_anchor(task, item_id) for task, item_id in grouped}
    conditions = list(dict.fromkeys(r.condition for r in results))
    tasks = list(dict.fromkeys(task for task, _ in grouped))
    seen = {r.item.category for r in results}
    categories = [c for c in (*TRIVIA_CATEGORIES, *GSM_CATEGORIES) if c in seen]
    categories += sorted(seen - set(categories))

    tables = _markdown(markdown, ids)
    chart = ""
    if chart_png is not None:
        data = base64.b64encode(chart_png).decode("ascii")
        chart = f'<h2 id="chart">Chart</h2><img class="chart" alt="accuracy per condition and category" src="data:image/png;base64,{data}">'
    boxes = "".join(
        f'<label><input type="checkbox" name="condition" value="{html.escape(c)}" checked> '
        f"{html.escape(c)}</label>"
        for c in conditions
    )
    filters = [
        f"<fieldset><legend>conditions</legend>{boxes}</fieldset>",
        _select(
            "outcome",
            "outcome",
            [("", "any"), ("right", "all right"), ("wrong", "all wrong"), ("mixed", "mixed")],
        ),
        _select("category", "category", [("", "all"), *((c, c) for c in categories)]),
    ]
    if len(tasks) > 1:
        filters.append(_select("task", "task", [("", "all"), *((t, t) for t in tasks)]))
    filters += [
        '<label>text <input type="search" name="q" placeholder="prompt, rewrite or answer"></label>',
        '<button type="reset">reset</button><div id="summary"></div>',
    ]
    items = "\n".join(_item(task, rs) for (task, _), rs in grouped.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}</style></head>
<body><header class="page"><h1>{html.escape(title)}</h1>
<nav class="toc"><a href="#results">results</a>{'<a href="#chart">chart</a>' if chart else ""}<a href="#items">items ({len(grouped)})</a></nav></header>
<main><section id="results">{tables}</section>{chart}
<h2 id="items">Items</h2><p class="note">Each condition's answer and score per item.
Ticked conditions set which answers are shown; <em>outcome</em> looks at those answers only
(<em>mixed</em>: they disagree). Link to an item with its <code>#</code>.</p>
<form id="filters">{"".join(filters)}</form>
{items}
</main><script>{JS}</script></body></html>
"""


def write_html(
    path: str | Path,
    results: Iterable[ItemResult],
    *,
    markdown: str = "",
    chart: str | Path | None = CHART_FILE,
) -> Path:
    """Write ``report.html`` (see :func:`render_html`).

    Args:
        path: Where to write the page.
        results: Every item result of the run.
        markdown: The text of ``results.md``, shown above the items.
        chart: The PNG to embed; a relative path is taken from the page's folder.
            A missing file, or ``None``, leaves the chart out.

    Returns:
        ``path``.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     write_html(Path(d) / "report.html", []).name
        'report.html'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = None
    if chart is not None:
        chart_path = path.parent / chart
        png = chart_path.read_bytes() if chart_path.is_file() else None
    page = render_html(results, markdown=markdown, chart_png=png)
    path.write_text(page, encoding="utf-8")
    return path
