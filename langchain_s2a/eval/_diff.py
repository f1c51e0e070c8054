"""A word-level diff of a prompt and its rewrite, as HTML (``report.html`` shows it).

Example:
    >>> diff_html("Q? I think it is X.", "Q?")
    'Q?<del> I think it is X.</del>'
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence

__all__ = ["diff_html"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# One token per CJK character (those scripts have no spaces), else words, marks, spaces.
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]|\s+")
_SENTENCE_END = {".", "?", "!", ";", ":", "。", "？", "！", "；", "："}


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _key(token: str) -> str:
    return " " if token.isspace() else token.lower()


def diff_html(original: str, rewrite: str) -> str:
    """Mark, word by word, what ``rewrite`` dropped from ``original`` and what it added.

    Dropped text is wrapped in ``<del>``, added text in ``<ins>``; all text is
    HTML-escaped. Matching ignores case and the kind of whitespace, and a lone
    word that happens to match inside a changed stretch is folded into the change,
    so a dropped sentence reads as one ``<del>``.

    Args:
        original: The prompt the user sent.
        rewrite: What the answer step saw instead (e.g. the S2A rewrite).

    Returns:
        An HTML fragment: ``original`` with the changes marked.

    Example:
        >>> diff_html("Ann has 3 pens. Tom is 9. How many pens?", "Ann has 3 pens. How many?")
        'Ann has 3 pens. <del>Tom is 9. </del>How many<del> pens</del>?'
    """
    a, b = _tokens(original), _tokens(rewrite)
    matcher = difflib.SequenceMatcher(None, [_key(t) for t in a], [_key(t) for t in b], False)
    # (kind, dropped tokens, added tokens) runs; kind is "=" or "~".
    runs: list[tuple[str, list[str], list[str]]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        runs.append(("=" if op == "equal" else "~", a[i1:i2], b[j1:j2]))
    merged: list[tuple[str, list[str], list[str]]] = []
    for i, (kind, old, new) in enumerate(runs):
        between = 0 < i < len(runs) - 1 and runs[i - 1][0] == runs[i + 1][0] == "~"
        if kind == "=" and between and sum(not t.isspace() for t in old) <= 1:
            kind = "~"  # fold a stray one-word match into the change around it
        if merged and merged[-1][0] == kind == "~":
            merged[-1] = ("~", merged[-1][1] + old, merged[-1][2] + new)
        else:
            merged.append((kind, list(old), list(new)))
    for i in range(1, len(merged) - 1):
        _slide(merged, i)
    out: list[str] = []
    for kind, old, new in merged:
        if kind == "=":
            out.append(html.escape("".join(old)))
            continue
        dropped, added = "".join(old), "".join(new)
        if dropped.strip():
            out.append(f"<del>{html.escape(dropped)}</del>")
        elif dropped and not added.strip():
            out.append(html.escape(dropped))
        if added.strip():
            out.append(f"<ins>{html.escape(added)}</ins>")
    return "".join(out)


def _boundary_score(tokens: Sequence[str]) -> int:
    words = [t for t in tokens if not t.isspace()]
    if not words:
        return 0
    return 2 * (words[-1] in _SENTENCE_END) + (not tokens[0].isspace() and tokens[0] not in ",.")


def _slide(runs: list[tuple[str, list[str], list[str]]], i: int) -> None:
    """Shift a one-sided change between two equal runs to the best word boundary.

    ``Ann has 3 pens<del>. Tom is 9</del>. How ...`` becomes
    ``Ann has 3 pens. <del>Tom is 9. </del>How ...``: the same diff, read as sentences.
    """
    (k0, prev, _), (kind, old, new), (k2, nxt, _) = runs[i - 1], runs[i], runs[i + 1]
    if (k0, kind, k2) != ("=", "~", "=") or (bool(old) == bool(new)):
        return
    change = old or new
    while prev and change and _key(change[-1]) == _key(prev[-1]):  # leftmost position
        prev, change, nxt = prev[:-1], [prev[-1], *change[:-1]], [change[-1], *nxt]
    best = (_boundary_score(change), prev, change, nxt)
    while nxt and _key(change[0]) == _key(nxt[0]):
        prev, change, nxt = [*prev, change[0]], [*change[1:], nxt[0]], nxt[1:]
        if (score := _boundary_score(change)) > best[0]:
            best = (score, prev, change, nxt)
    _, prev, change, nxt = best
    runs[i - 1] = ("=", prev, prev)
    runs[i] = ("~", change, []) if old else ("~", [], change)
    runs[i + 1] = ("=", nxt, nxt)
