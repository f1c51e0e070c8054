"""Matching the items of two or three conditions for paired statistics (internal).

Example:
    >>> from langchain_s2a.eval.datasets import EvalItem
    >>> a = ItemResult(EvalItem("gsm-ic", "i1", "g1", "in_topic", "", "", ("1",)), "s2a", None)
    >>> b = ItemResult(a.item, "baseline", None, correct=True)
    >>> pairs([a], [b], by_group=False)
    [('g1', False, True)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from langchain_s2a.eval.records import ItemResult

__all__ = ["gap_units", "one_per_unit", "pairs", "same_engine"]


def pairs(
    left: Sequence[ItemResult], right: Sequence[ItemResult], *, by_group: bool
) -> list[tuple[str, bool, bool]]:
    """``(unit, left_correct, right_correct)`` for every matched pair of items.

    Items match by ``item_id``, or by ``group_id`` (``by_group``) when one side
    has a single item per unit (the trivia oracle); then every item of the other
    side of that unit is paired with it. Two results made by different engines
    (another llama.cpp build or thread count, :func:`same_engine`) are never paired.
    """
    index: dict[str, list[ItemResult]] = defaultdict(list)
    for r in right:
        index[r.item.group_id if by_group else r.item.item_id].append(r)
    return [
        (a.item.group_id, a.correct, b.correct)
        for a in left
        for b in index.get(a.item.group_id if by_group else a.item.item_id, [])
        if same_engine(a, b)
    ]


def same_engine(a: ItemResult, b: ItemResult) -> bool:
    """Whether two results may be paired: not made by different engines (builds, threads).

    A result whose engine was not recorded (older caches, API models) pairs with any.
    """
    left = a.generation.engine if a.generation else None
    right = b.generation.engine if b.generation else None
    return left is None or right is None or left == right


def one_per_unit(results: Iterable[ItemResult]) -> list[ItemResult]:
    """The first result of each unit (GSM-IC clean prompts: one per base problem)."""
    return list({r.item.group_id: r for r in reversed(list(results))}.values())


def gap_units(
    condition: Sequence[ItemResult], baseline: Sequence[ItemResult], oracle: Sequence[ItemResult]
) -> list[tuple[float, float, float, float, float, float]]:
    """Per unit, ``(correct, n)`` of the condition, the baseline and the oracle."""
    rows: dict[str, list[float]] = defaultdict(lambda: [0.0] * 6)
    for column, results in enumerate((condition, baseline, oracle)):
        for r in results:
            row = rows[r.item.group_id]
            row[2 * column] += float(r.correct)
            row[2 * column + 1] += 1.0
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows.values()]
