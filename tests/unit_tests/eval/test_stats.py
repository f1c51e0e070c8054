from __future__ import annotations

import math
import random

import pytest

from langchain_s2a.eval.stats import (
    DEFAULT_RESAMPLES,
    cluster_bootstrap,
    covers_zero,
    gap_closed_ci,
    mcnemar_exact,
    paired_difference,
    rate_ci,
)


def test_defaults_meet_the_issue() -> None:
    assert DEFAULT_RESAMPLES >= 2000


def test_identical_conditions_give_zero_difference_and_a_zero_interval() -> None:
    rng = random.Random(1)
    outcomes = [(f"q{i // 4}", rng.random() < 0.6) for i in range(200)]
    d = paired_difference([(u, x, x) for u, x in outcomes])
    assert d is not None
    assert (d.diff, d.ci95, d.p, d.p_units) == (0.0, (0.0, 0.0), 1.0, 1.0)
    assert (d.n_pairs, d.n_units, d.a_only, d.b_only) == (200, 50, 0, 0)


def test_mcnemar_hand_computed_table() -> None:
    # Table: both right 40, only A right 2, only B right 8, both wrong 50.
    # Under H0 the 10 discordant pairs are Binomial(10, 1/2):
    # P(X <= 2) = (1 + 10 + 45) / 1024, two-sided p = 112 / 1024.
    assert mcnemar_exact(2, 8) == pytest.approx(112 / 1024)
    assert mcnemar_exact(8, 2) == mcnemar_exact(2, 8)
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0  # the doubled tail exceeds 1: capped
    # large tables stay exact (no float overflow in 2**n)
    assert mcnemar_exact(0, 2000) == pytest.approx(2 * 0.5**2000, rel=1e-9, abs=0)


def test_paired_counts_follow_the_table() -> None:
    pairs = [("u", True, True)] * 40 + [("u", True, False)] * 2
    pairs += [("u", False, True)] * 8 + [("u", False, False)] * 50
    pairs = [(f"u{i}", a, b) for i, (_, a, b) in enumerate(pairs)]
    d = paired_difference(pairs)
    assert d is not None
    assert (d.a_only, d.b_only, d.n_pairs, d.n_units) == (2, 8, 100, 100)
    assert d.diff == pytest.approx(-0.06)
    assert d.p == pytest.approx(112 / 1024)
    assert d.p_units == pytest.approx(112 / 1024)  # one pair per unit: the same test
    low, high = d.ci95
    assert low < d.diff < high
    assert covers_zero(d.ci95)


def test_interval_excludes_zero_for_a_clear_difference() -> None:
    # 30 questions x 3 templates: A always right, B right only on the first 10 questions.
    pairs = [(f"q{i}", True, i < 10) for i in range(30) for _ in range(3)]
    d = paired_difference(pairs)
    assert d is not None
    assert d.diff == pytest.approx(2 / 3)
    assert d.ci95[0] > 0 and not covers_zero(d.ci95)
    assert d.p < 1e-6
    # 20 units favour A, none favours B: sign test 2 / 2**20
    assert d.p_units == pytest.approx(2 / 2**20)


def test_clustering_widens_the_interval() -> None:
    # The same 60 outcomes, as 60 independent units or as 6 units of 10 identical ones.
    flags = [i % 10 < 5 for i in range(60)]
    independent = rate_ci([(f"u{i}", f) for i, f in enumerate(flags)])
    clustered = rate_ci([(f"g{i // 10}", f) for i, f in enumerate(sorted(flags))])
    assert independent is not None and clustered is not None
    assert clustered[1] - clustered[0] > 2 * (independent[1] - independent[0])


def test_rate_interval_is_a_ratio_over_units_and_seeded() -> None:
    # Unit a: 3/3 right, unit b: 0/1 right. Resamples are (a,a), (a,b), (b,a), (b,b):
    # rates 1, 3/4, 3/4, 0 -- the interval spans [0, 1] and no value lies outside it.
    outcomes = [("a", True)] * 3 + [("b", False)]
    low, high = rate_ci(outcomes) or (None, None)
    assert (low, high) == (0.0, 1.0)
    assert rate_ci(outcomes, seed=7) == rate_ci(outcomes, seed=7)
    assert rate_ci([]) is None
    assert rate_ci([("a", True), ("b", True)]) == (1.0, 1.0)
    # units of 1..5 outcomes: the ratio takes many values, so the seed shows
    mixed = [(f"q{i}", (i + j) % 3 == 0) for i in range(40) for j in range(1 + i % 5)]
    intervals = {rate_ci(mixed, seed=s) for s in range(4)}
    assert len(intervals) > 1
    share = sum(f for _, f in mixed) / len(mixed)
    for interval in intervals:
        assert interval is not None and interval[0] < share < interval[1]


def test_cluster_bootstrap_edge_cases() -> None:
    assert cluster_bootstrap([]) is None
    assert cluster_bootstrap([(0, 0)]) is None  # units without outcomes are dropped
    assert cluster_bootstrap([(1, 2)], resamples=0) is None
    assert cluster_bootstrap([(1, 2), (0, 0)]) == (0.5, 0.5)
    # level: a 50% interval sits inside the 95% one
    units = [(float(i % 2), 1.0) for i in range(40)]
    wide, narrow = cluster_bootstrap(units), cluster_bootstrap(units, level=0.5)
    assert wide is not None and narrow is not None
    assert wide[0] <= narrow[0] <= narrow[1] <= wide[1]
    assert math.isclose(sum(wide) / 2, 0.5, abs_tol=0.05)


def test_paired_difference_empty_and_covers_zero() -> None:
    assert paired_difference([]) is None
    assert covers_zero((0.0, 0.0)) and covers_zero((-0.1, 0.0)) and covers_zero(None)
    assert not covers_zero((-0.3, -0.01))


def test_gap_closed_interval() -> None:
    # 40 units: the oracle knows all, the baseline none, the condition 30 of them
    rows = [(float(i < 30), 1.0, 0.0, 1.0, 1.0, 1.0) for i in range(40)]
    low, high = gap_closed_ci(rows) or (None, None)
    assert low is not None and high is not None
    assert low < 0.75 < high and low > 0.5 and high <= 1.0
    # the oracle only sometimes above the baseline: no interval
    noisy = [(1.0, 1.0, float(i % 2), 1.0, float(i % 2 == 0 or i < 4), 1.0) for i in range(20)]
    assert gap_closed_ci(noisy) is None
    assert gap_closed_ci([]) is None and gap_closed_ci(rows, resamples=0) is None
    # units may lack a side (den 0): sums still work
    assert gap_closed_ci([*rows, (0.0, 0.0, 0.0, 0.0, 1.0, 1.0)]) is not None
