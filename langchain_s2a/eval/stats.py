"""Intervals and paired tests for evaluation figures: cluster bootstrap and exact McNemar.

The prompts of an evaluation are not independent: the four templates of a
TriviaQA question, or the variants of one GSM-IC base problem, succeed or fail
together. Every interval here is therefore a *cluster* bootstrap: the
independent units (``EvalItem.group_id``) are resampled with replacement, each
bringing all its outcomes along, and the statistic is recomputed on the
resample (a ratio: outcomes summed over the drawn units, divided by their
count). The interval is the percentile interval of ``resamples`` such
statistics, seeded, so a report is reproducible to the digit.

The functions take plain data (``(unit, outcome)`` pairs) and know nothing of
items or conditions; :mod:`langchain_s2a.eval.metrics` feeds them.

Example:
    >>> outcomes = [("q1", True), ("q1", False), ("q2", True), ("q3", False)]
    >>> low, high = rate_ci(outcomes)
    >>> 0.0 <= low <= 0.5 <= high <= 1.0
    True
    >>> mcnemar_exact(0, 6)  # six discordant pairs, all one way
    0.03125
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "PairedDifference",
    "cluster_bootstrap",
    "covers_zero",
    "gap_closed_ci",
    "mcnemar_exact",
    "paired_difference",
    "rate_ci",
]

DEFAULT_RESAMPLES = 2000
"""Bootstrap resamples per interval."""
DEFAULT_SEED = 0
"""Seed of the bootstrap (fixed, so reports are reproducible)."""

Interval = tuple[float, float]


def cluster_bootstrap(
    units: Sequence[tuple[float, float]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> Interval | None:
    """Percentile interval of a ratio ``sum(numerator) / sum(denominator)`` over units.

    Each unit is ``(numerator, denominator)``: for a rate, the successes of the
    unit and its number of outcomes; for a paired difference, the sum of the
    per-pair differences and the number of pairs. Units are drawn with
    replacement ``resamples`` times; a resample whose denominator is 0 (only
    possible when units have none) is skipped.

    Args:
        units: One ``(numerator, denominator)`` per independent unit.
        resamples: Number of bootstrap resamples.
        seed: Seed of the resampling.
        level: Coverage of the interval.

    Returns:
        ``(low, high)``, or ``None`` without units or outcomes.

    Example:
        >>> cluster_bootstrap([(1, 1), (1, 1), (1, 1)])  # every unit a success
        (1.0, 1.0)
    """
    kept = [(float(n), float(d)) for n, d in units if d > 0]
    if not kept or resamples < 1:
        return None
    sums = _resampled_sums(kept, resamples=resamples, seed=seed)
    ok = sums[:, 1] > 0
    return _percentiles(sums[ok, 0] / sums[ok, 1], level)


def _resampled_sums(rows: Sequence[Sequence[float]], *, resamples: int, seed: int) -> Any:
    """Column sums of ``rows`` (one per unit) over ``resamples`` draws of the units."""
    data = np.asarray(rows, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(rows), size=(resamples, len(rows)))
    return data[draws].sum(axis=1)


def _percentiles(stats: Any, level: float) -> Interval | None:
    if stats.size == 0:
        return None
    alpha = (1.0 - level) / 2
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return _clean(float(low)), _clean(float(high))


def gap_closed_ci(
    units: Sequence[tuple[float, float, float, float, float, float]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> Interval | None:
    """Cluster-bootstrap interval of gap closed, ``(acc - base) / (oracle - base)``.

    Each unit is ``(correct, n)`` of the condition, the baseline and the oracle in
    turn (``(c_correct, c_n, b_correct, b_n, o_correct, o_n)``); the three
    accuracies are recomputed on the same resampled units. Gap closed is only
    defined where the oracle is above the baseline, so the interval is given
    only when it is in (at least) ``1 - (1 - level) / 2`` of the resamples (the
    oracle significantly above the baseline); otherwise ``None``.

    Args:
        units: One row per independent unit.
        resamples: Number of bootstrap resamples.
        seed: Seed of the resampling.
        level: Coverage of the interval.

    Returns:
        ``(low, high)``, or ``None``.

    Example:
        >>> # 20 questions: the oracle knows them all, the baseline none, the condition half
        >>> rows = [(float(i % 2), 1.0, 0.0, 1.0, 1.0, 1.0) for i in range(20)]
        >>> low, high = gap_closed_ci(rows)
        >>> 0.2 < low < 0.5 < high < 0.8
        True
    """
    if not units or resamples < 1:
        return None
    sums = _resampled_sums(units, resamples=resamples, seed=seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = sums[:, 0::2] / sums[:, 1::2]
    valid = ~np.isnan(acc).any(axis=1)
    above = valid & (acc[:, 2] > acc[:, 1])
    if above.sum() < (1.0 - (1.0 - level) / 2) * resamples:
        return None
    gap = (acc[above, 0] - acc[above, 1]) / (acc[above, 2] - acc[above, 1])
    return _percentiles(gap, level)


def _clean(value: float) -> float:
    # Identical outcomes give sums that are exact; avoid printing -0.0.
    return 0.0 if value == 0 else value


def _by_unit(outcomes: Iterable[tuple[Hashable, float]]) -> list[tuple[float, float]]:
    sums: dict[Hashable, list[float]] = {}
    for unit, value in outcomes:
        acc = sums.setdefault(unit, [0.0, 0.0])
        acc[0] += float(value)
        acc[1] += 1.0
    return [(n, d) for n, d in sums.values()]


def rate_ci(
    outcomes: Iterable[tuple[Hashable, bool]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> Interval | None:
    """Cluster-bootstrap interval of a rate (share of ``True`` outcomes).

    Args:
        outcomes: ``(unit, outcome)`` pairs; the units are the independent
            clusters (a question, a base problem).
        resamples: Number of bootstrap resamples.
        seed: Seed of the resampling.
        level: Coverage of the interval.

    Returns:
        ``(low, high)``, or ``None`` without outcomes.

    Example:
        >>> rate_ci([("a", True), ("b", True)])
        (1.0, 1.0)
        >>> rate_ci([]) is None
        True
    """
    units = _by_unit((u, float(bool(v))) for u, v in outcomes)
    return cluster_bootstrap(units, resamples=resamples, seed=seed, level=level)


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Exact two-sided McNemar p-value: a binomial test on the discordant pairs.

    Under "no difference" each discordant pair (one side right, the other wrong)
    goes either way with probability 1/2; the p-value is twice the smaller tail
    of Binomial(``a_only + b_only``, 1/2), capped at 1.

    Args:
        a_only: Pairs where only the first side is correct.
        b_only: Pairs where only the second side is correct.

    Returns:
        The p-value (1.0 without discordant pairs).

    Example:
        >>> mcnemar_exact(1, 9)  # 2 * (1 + 10) / 1024
        0.021484375
        >>> mcnemar_exact(3, 3)
        1.0
    """
    n = a_only + b_only
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(a_only, b_only) + 1))
    return min(1.0, 2 * tail / (1 << n))


@dataclass(frozen=True)
class PairedDifference:
    """A paired comparison of two conditions on the same items.

    Attributes:
        diff: Mean of ``a - b`` over the pairs (a share difference: +0.05 is
            five points in favour of ``a``).
        ci95: Cluster-bootstrap 95% interval of ``diff`` (units resampled).
        p: Exact two-sided McNemar p-value (pairs taken as independent).
        p_units: Exact two-sided sign test over units: units whose pairs favour
            ``a`` on balance against units favouring ``b`` (ties left out). It
            respects the clustering that McNemar ignores, at some loss of power.
        n_pairs: Number of pairs.
        n_units: Number of independent units the pairs come from.
        a_only: Pairs where only ``a`` is correct.
        b_only: Pairs where only ``b`` is correct.
    """

    diff: float
    ci95: Interval
    p: float
    p_units: float
    n_pairs: int
    n_units: int
    a_only: int
    b_only: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (``{"diff", "ci95", "p", ...}``)."""
        return {
            "diff": self.diff,
            "ci95": list(self.ci95),
            "p": self.p,
            "p_units": self.p_units,
            "n_pairs": self.n_pairs,
            "n_units": self.n_units,
            "a_only": self.a_only,
            "b_only": self.b_only,
        }


def paired_difference(
    pairs: Iterable[tuple[Hashable, bool, bool]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PairedDifference | None:
    """Difference of two conditions' accuracies on the same items, with interval and p.

    Each pair is ``(unit, a_correct, b_correct)`` for one item (or one matched
    pair of items). The interval resamples the *units*, keeping every pair of a
    unit together, so a question's templates or a problem's variants count once
    as evidence. The McNemar test treats pairs as independent; with several pairs
    per unit its p-value is optimistic (``p_units``, a sign test over units, is
    not), so read significance from the interval (``covers_zero``) first.

    Args:
        pairs: ``(unit, a_correct, b_correct)`` triples.
        resamples: Number of bootstrap resamples.
        seed: Seed of the resampling.

    Returns:
        The comparison, or ``None`` without pairs.

    Example:
        >>> same = [(f"q{i}", i % 2 == 0, i % 2 == 0) for i in range(10)]
        >>> d = paired_difference(same)
        >>> d.diff, d.ci95, d.p
        (0.0, (0.0, 0.0), 1.0)
    """
    triples = [(u, bool(a), bool(b)) for u, a, b in pairs]
    if not triples:
        return None
    a_only = sum(1 for _, a, b in triples if a and not b)
    b_only = sum(1 for _, a, b in triples if b and not a)
    units = _by_unit((u, float(a) - float(b)) for u, a, b in triples)
    interval = cluster_bootstrap(units, resamples=resamples, seed=seed)
    diff = (a_only - b_only) / len(triples)
    return PairedDifference(
        diff=_clean(diff),
        ci95=interval if interval is not None else (diff, diff),
        p=mcnemar_exact(a_only, b_only),
        p_units=mcnemar_exact(sum(1 for n, _ in units if n > 0), sum(1 for n, _ in units if n < 0)),
        n_pairs=len(triples),
        n_units=len(units),
        a_only=a_only,
        b_only=b_only,
    )


def covers_zero(interval: Sequence[float] | None) -> bool:
    """Whether an interval includes 0 (no detectable difference).

    Example:
        >>> covers_zero((-0.02, 0.05)), covers_zero((0.01, 0.2)), covers_zero(None)
        (True, False, True)
    """
    if interval is None:
        return True
    low, high = interval
    return low <= 0.0 <= high
