"""``report.html`` of a RAG run: the tables, then per question what each cleaner kept.

Each document of a question is listed once per condition: kept documents in full
(a compressor's own text when it rewrote them), dropped ones struck through.

Example:
    >>> html = render_rag_html([], "# Title")
    >>> html.startswith("<!doctype html>")
    True
"""

from __future__ import annotations

import html as _html
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

__all__ = ["render_rag_html"]

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}
pre.md{white-space:pre-wrap;background:#f6f6f6;padding:1rem;font-size:.85rem}
details{border-top:1px solid #ddd;padding:.4rem 0}
.cond{margin:.3rem 0 .6rem 1rem}
.doc{margin:.15rem 0;font-size:.9rem}
.dropped{color:#999;text-decoration:line-through}
.gold{border-left:3px solid #2a7;padding-left:.4rem}
.ok{color:#2a7}.bad{color:#c33}
"""


def _e(text: Any) -> str:
    return _html.escape(str(text))


def _condition(record: dict[str, Any], texts: Sequence[str]) -> str:
    verdict = "ok" if record.get("correct") else "bad"
    head = (
        f"<b>{_e(record['condition'])}</b> <span class={verdict}>"
        f"{'correct' if record.get('correct') else 'wrong'}</span>: {_e(record.get('answer', ''))}"
    )
    if record.get("error"):
        head += f" <i>error: {_e(record['error'])}</i>"
    parts = [f"<div class=cond>{head}"]
    sources = record.get("kept_sources")
    kept_texts = record.get("kept_texts") or []
    gold = set(record.get("gold_indices") or [])
    if record["condition"] == "s2a_chain":
        parts.append(f"<div class=doc>{_e(kept_texts[0] if kept_texts else '')}</div>")
    elif sources is not None and record["condition"] != "closed_book":
        kept = dict(zip(sources, kept_texts, strict=False))
        for i, text in enumerate(texts):
            cls = "doc gold" if i in gold else "doc"
            if i in kept:
                parts.append(f"<div class='{cls}'>[{i + 1}] {_e(kept[i])}</div>")
            else:
                parts.append(f"<div class='{cls} dropped'>[{i + 1}] {_e(text)}</div>")
    parts.append("</div>")
    return "".join(parts)


def render_rag_html(records: Sequence[dict[str, Any]], markdown: str) -> str:
    """The page: the Markdown tables, then one collapsible section per question."""
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_item[r["item_id"]].append(r)
    sections = []
    for item_id, rs in by_item.items():
        base = next((r for r in rs if r["condition"] == "baseline"), None)
        texts = (base or {}).get("kept_texts") or []
        marks = " ".join(f"{_e(r['condition'])}{'✓' if r.get('correct') else '✗'}" for r in rs)
        body = "".join(_condition(r, texts) for r in rs)
        question = _e(rs[0].get("question", ""))
        answers = _e(json.dumps(rs[0].get("answers", []), ensure_ascii=False))
        sections.append(
            f"<details id='{_e(item_id)}'><summary>{_e(item_id)} — {marks}</summary>"
            f"<p><b>{question}</b> (accepted: {answers}; gold documents have a green edge)</p>"
            f"{body}</details>"
        )
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>S2A RAG report</title>"
        f"<style>{_STYLE}</style></head><body><pre class=md>{_e(markdown)}</pre>"
        f"<h2>Per question</h2>{''.join(sections)}</body></html>"
    )
