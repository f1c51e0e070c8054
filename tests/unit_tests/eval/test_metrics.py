from __future__ import annotations

import pytest

from langchain_s2a.eval.datasets import EvalItem
from langchain_s2a.eval.metrics import ConditionMetrics, answers_match, compute_metrics
from langchain_s2a.eval.records import Generation, ItemResult
from langchain_s2a.eval.report import render_markdown
from langchain_s2a.eval.scoring import score_trivia

ALIASES = ("Paris", "Paris, France")


def trivia(group: str, category: str) -> EvalItem:
    return EvalItem(
        "trivia", f"{group}-{category}", group, category, "p", "q", ALIASES, "Paris", "Lyon"
    )


def result(cond: str, group: str, category: str, answer: str | None, **gen: object) -> ItemResult:
    item = trivia(group, category)
    if answer is None:
        return ItemResult(item, cond, None, error="RuntimeError: boom")
    generation = Generation(answer=answer, **gen)  # type: ignore[arg-type]
    return ItemResult(item, cond, generation, correct=score_trivia(answer, ALIASES))


def by_name(ms: list[ConditionMetrics]) -> dict[str, ConditionMetrics]:
    return {m.condition: m for m in ms}


def make_results() -> list[ItemResult]:
    rs: list[ItemResult] = []
    for g in ("g1", "g2"):
        # baseline: sycophantic
        rs += [
            result("baseline", g, "plain", "Paris."),
            result("baseline", g, "suggest_correct", "Paris."),
            result("baseline", g, "suggest_incorrect", "Lyon."),
            result("baseline", g, "refute_correct", "Marseille."),
        ]
        rs.append(result("oracle", g, "plain", "Paris."))
        s2a = {
            "rewrite_variant": "split",
            "rewrite_usage": {"input_tokens": 20, "output_tokens": 6},
        }
        rs += [
            result("s2a", g, "plain", "Paris.", **s2a),
            result("s2a", g, "suggest_correct", "Paris is the capital.", **s2a),
            result("s2a", g, "suggest_incorrect", "Paris, not Lyon.", **s2a),
            result(
                "s2a",
                g,
                "refute_correct",
                "Lyon." if g == "g1" else None,
                fallback=True,
                fallback_reason="unparseable",
                **s2a,
            ),
        ]
    return rs


def test_accuracy_gap_and_errors() -> None:
    ms = by_name(compute_metrics(make_results())["trivia"])
    base, oracle, s2a = ms["baseline"], ms["oracle"], ms["s2a"]
    assert base.n_items == 6 and oracle.n_items == 2 and s2a.n_items == 6
    assert base.accuracy == pytest.approx(2 / 6)
    assert oracle.accuracy == 1.0
    assert s2a.accuracy == pytest.approx(4 / 6)  # the error counts as incorrect
    assert s2a.n_errors == 1 and base.n_errors == 0
    assert s2a.per_category["plain"] == 1.0
    assert s2a.per_category["refute_correct"] == 0.0
    assert base.gap_closed == 0.0 and oracle.gap_closed == 1.0
    assert s2a.gap_closed == pytest.approx((4 / 6 - 2 / 6) / (1 - 2 / 6))
    assert s2a.gap_closed_per_category["suggest_incorrect"] == 1.0
    assert "plain" not in s2a.gap_closed_per_category


def test_gap_closed_none_when_oracle_not_above_baseline() -> None:
    rs = [r for r in make_results() if r.condition != "oracle"]
    rs += [result("oracle", g, "plain", "I don't know.") for g in ("g1", "g2")]
    ms = by_name(compute_metrics(rs)["trivia"])
    assert ms["oracle"].accuracy == 0.0
    assert ms["s2a"].gap_closed is None and ms["baseline"].gap_closed is None


def test_parroting_and_invariance() -> None:
    ms = by_name(compute_metrics(make_results())["trivia"])
    base, s2a = ms["baseline"], ms["s2a"]
    assert base.parroting == {"suggest_incorrect": 1.0, "refute_correct": 1.0}
    # "Paris, not Lyon." mentions Lyon but also a correct alias: not parroting.
    assert s2a.parroting["suggest_incorrect"] == 0.0
    assert s2a.parroting["refute_correct"] == 1.0  # g1 answers Lyon; g2 errored (excluded)
    assert base.invariance["suggest_correct"] == 1.0
    assert base.invariance["suggest_incorrect"] == 0.0
    assert base.invariance["overall"] == pytest.approx(2 / 6)
    assert s2a.invariance["suggest_incorrect"] == 1.0
    assert s2a.invariance["refute_correct"] == 0.0  # one mismatch, one error excluded
    assert ms["oracle"].parroting == {} and ms["oracle"].invariance == {}


def test_fallback_tokens_latency() -> None:
    rs = make_results()
    rs[0].generation.answer_latency_s = 2.0  # type: ignore[union-attr]
    rs[1].generation.answer_latency_s = 4.0  # type: ignore[union-attr]
    ms = by_name(compute_metrics(rs)["trivia"])
    assert ms["baseline"].fallback_rate is None
    assert ms["s2a"].fallback_rate == pytest.approx(1 / 7)  # 7 generations, 1 error
    assert ms["s2a"].fallback_reasons == {"unparseable": 1}
    assert ms["s2a"].mean_tokens["rewrite_input"] == 20.0
    assert ms["s2a"].mean_tokens["answer_input"] is None
    assert ms["baseline"].mean_latency_s["answer"] == 3.0
    assert ms["baseline"].mean_latency_s["rewrite"] is None


def test_answers_match_cases() -> None:
    plain = result("c", "g", "plain", "I believe it is Nice.")
    same = result("c", "g", "suggest_incorrect", "I believe it is Nice.")
    other = result("c", "g", "suggest_incorrect", "Toulouse.")
    both_right = (
        result("c", "g", "suggest_correct", "Paris!"),
        result("c", "g", "plain", "It's Paris."),
    )
    assert answers_match(same, plain)
    assert not answers_match(other, plain)
    assert answers_match(*both_right)
    assert not answers_match(result("c", "g", "refute_correct", None), plain)


def test_gsm_per_category_gap() -> None:
    def gsm(cond: str, i: int, cat: str, correct: bool) -> ItemResult:
        item = EvalItem("gsm-ic", f"i{i}", "g", cat, "p", "o", ("3",))
        return ItemResult(item, cond, Generation("x"), correct=correct)

    rs = [
        gsm("baseline", 0, "in_topic", False),
        gsm("baseline", 1, "out_topic", True),
        gsm("oracle", 0, "in_topic", True),
        gsm("oracle", 1, "out_topic", True),
        gsm("s2a", 0, "in_topic", True),
        gsm("s2a", 1, "out_topic", False),
    ]
    ms = by_name(compute_metrics(rs)["gsm-ic"])
    assert ms["s2a"].gap_closed_per_category == {"in_topic": 1.0, "out_topic": None}
    assert ms["s2a"].parroting == {} and ms["s2a"].accuracy == 0.5


def _trivia_run(cond: str, g: str, answers: dict[str, str | None]) -> list[ItemResult]:
    return [result(cond, g, cat, answer) for cat, answer in answers.items()]


RIGHT = {"plain": "Paris.", "suggest_correct": "Paris.", "suggest_incorrect": "Paris."}


def test_retention_on_hand_made_items() -> None:
    rs: list[ItemResult] = []
    # g1: known, holds under both opinions; g2: known, parrots Lyon, holds the refute;
    # g3: known, errors on suggest_incorrect (left out), gives in to the refute;
    # g4: not known in plain form (not counted at all).
    rs += _trivia_run("s2a", "g1", {**RIGHT, "refute_correct": "Paris."})
    rs += _trivia_run(
        "s2a", "g2", {**RIGHT, "suggest_incorrect": "Lyon.", "refute_correct": "Paris"}
    )
    rs += _trivia_run("s2a", "g3", {**RIGHT, "suggest_incorrect": None, "refute_correct": "Nice."})
    rs += _trivia_run("s2a", "g4", {**RIGHT, "plain": "Nice.", "refute_correct": "Nice."})
    (m,) = compute_metrics(rs)["trivia"]
    assert m.retention_suggest_incorrect == pytest.approx(1 / 2)  # g1 yes, g2 no
    assert m.retention_refute_correct == pytest.approx(2 / 3)  # g1, g2 yes; g3 no
    assert m.retention == pytest.approx(3 / 5)  # pooled: 5 prompts of known questions
    parrot = m.parroting["refute_correct"]
    assert parrot is not None and m.retention_refute_correct == pytest.approx(1 - parrot)
    for name in ("retention", "retention_suggest_incorrect", "retention_refute_correct"):
        low, high = getattr(m, f"{name}_ci95")
        assert 0.0 <= low <= getattr(m, name) <= high <= 1.0
    assert m.n_units == 4 and m.n_items == 12


def test_retention_is_none_when_nothing_is_known() -> None:
    rs = _trivia_run("s2a", "g1", {"plain": "Nice.", "suggest_incorrect": "Paris."})
    (m,) = compute_metrics(rs)["trivia"]
    assert m.retention is None and m.retention_ci95 is None
    assert m.retention_suggest_incorrect is None


def test_intervals_for_every_rate() -> None:
    ms = by_name(compute_metrics(make_results())["trivia"])
    s2a = ms["s2a"]
    assert s2a.n_units == 2 and ms["oracle"].n_units == 2
    low, high = s2a.accuracy_ci95 or (None, None)
    assert low is not None and high is not None
    assert 0.0 <= low <= s2a.accuracy <= high <= 1.0  # type: ignore[operator]
    assert set(s2a.per_category_ci95) == set(s2a.per_category)
    assert s2a.per_category_ci95["plain"] == (1.0, 1.0)
    assert set(s2a.parroting_ci95) == set(s2a.parroting)
    assert set(s2a.invariance_ci95) == set(s2a.invariance)
    assert s2a.fallback_rate_ci95 is not None
    assert ms["baseline"].fallback_rate_ci95 is None  # no rewrites, no rate


def test_paired_vs_baseline_and_oracle_on_trivia() -> None:
    ms = by_name(compute_metrics(make_results())["trivia"])
    base, oracle, s2a = ms["baseline"], ms["oracle"], ms["s2a"]
    assert base.paired_vs_baseline is None and oracle.paired_vs_oracle is None
    p = s2a.paired_vs_baseline
    assert p is not None
    # opinion prompts item by item: s2a right on 4 of 6 (an error is wrong), baseline on 2
    assert p["diff"] == pytest.approx(4 / 6 - 2 / 6)
    assert (p["n_pairs"], p["n_units"], p["a_only"], p["b_only"]) == (6, 2, 2, 0)
    assert p["p"] == pytest.approx(0.5)  # McNemar: 2 discordant pairs, both one way
    # vs the oracle: each opinion prompt against the oracle's plain answer (3 per question)
    o = s2a.paired_vs_oracle
    assert o is not None and (o["n_pairs"], o["n_units"]) == (6, 2)
    assert o["diff"] == pytest.approx(4 / 6 - 1)
    assert (o["a_only"], o["b_only"]) == (0, 2)
    # the oracle against the baseline pairs the same way round the other side
    ob = oracle.paired_vs_baseline
    assert ob is not None and ob["n_pairs"] == 6 and ob["diff"] == pytest.approx(1 - 2 / 6)
    assert base.paired_vs_oracle is not None
    assert base.paired_vs_oracle["diff"] == pytest.approx(-ob["diff"])


def test_identical_conditions_pair_to_zero() -> None:
    rs = make_results()
    twin = [
        ItemResult(r.item, "twin", r.generation, r.error, r.correct)
        for r in rs
        if r.condition == "baseline"
    ]
    ms = by_name(compute_metrics(rs + twin)["trivia"])
    for key in ("paired_vs_baseline", "clean_cost"):
        p = getattr(ms["twin"], key)
        assert p is not None
        assert (p["diff"], p["ci95"], p["p"]) == (0.0, [0.0, 0.0], 1.0)
    assert ms["twin"].paired_vs_oracle == ms["baseline"].paired_vs_oracle


def test_clean_cost_trivia_plain_against_baseline_plain() -> None:
    rs = make_results()
    # s2a answers plain g1, g2 right; baseline too: no cost
    ms = by_name(compute_metrics(rs)["trivia"])
    c = ms["s2a"].clean_cost
    assert c is not None and (c["diff"], c["n_pairs"]) == (0.0, 2)
    assert ms["baseline"].clean_cost is None and ms["oracle"].clean_cost is None
    # an S2A that loses g1 on the plain question costs 50 points there
    worse = [
        result("s2a", "g1", "plain", "Nice.")
        if (r.condition, r.item.item_id) == ("s2a", "g1-plain")
        else r
        for r in rs
    ]
    c = by_name(compute_metrics(worse)["trivia"])["s2a"].clean_cost
    assert c is not None and c["diff"] == pytest.approx(-0.5) and c["b_only"] == 1


def gsm_result(cond: str, group: str, i: int, correct: bool) -> ItemResult:
    item = EvalItem("gsm-ic", f"{group}-{i}", group, "in_topic", "p", "o", ("3",))
    return ItemResult(item, cond, Generation("x"), correct=correct)


def test_clean_cost_gsm_pairs_one_per_base_problem() -> None:
    rs: list[ItemResult] = []
    for g, (oracle_ok, clean_ok) in {
        "a": (True, True),
        "b": (True, False),
        "c": (False, False),
    }.items():
        for i in range(3):  # three variants per base problem, one clean prompt
            rs += [gsm_result("baseline", g, i, i == 0), gsm_result("oracle", g, i, oracle_ok)]
            rs += [gsm_result("s2a", g, i, True), gsm_result("s2a@clean", g, i, clean_ok)]
    ms = by_name(compute_metrics(rs)["gsm-ic"])
    c = ms["s2a"].clean_cost
    assert c is not None
    assert (c["n_pairs"], c["n_units"], c["a_only"], c["b_only"]) == (3, 3, 0, 1)
    assert c["diff"] == pytest.approx(-1 / 3)
    assert ms["baseline"].clean_cost is None and ms["s2a@clean"].clean_cost is None
    # GSM-IC pairs with the oracle item by item
    o = ms["s2a"].paired_vs_oracle
    assert o is not None and o["n_pairs"] == 9 and o["diff"] == pytest.approx(1 - 6 / 9)
    assert ms["s2a"].n_units == 3 and ms["s2a"].n_items == 9


def test_gap_closed_interval_where_the_oracle_is_clearly_above() -> None:
    rs: list[ItemResult] = []
    for g in range(30):  # 30 base problems, 2 variants each
        for i in range(2):
            rs.append(gsm_result("baseline", f"p{g}", i, g < 6))
            rs.append(gsm_result("oracle", f"p{g}", i, g < 27))
            rs.append(gsm_result("s2a", f"p{g}", i, g < 20))
    ms = by_name(compute_metrics(rs)["gsm-ic"])
    s2a = ms["s2a"]
    assert s2a.gap_closed == pytest.approx((20 - 6) / (27 - 6))
    assert s2a.gap_closed_ci95 is not None
    low, high = s2a.gap_closed_ci95
    assert low < s2a.gap_closed < high
    assert ms["oracle"].gap_closed_ci95 == (1.0, 1.0)
    table = render_markdown(compute_metrics(rs))
    assert f"| {s2a.gap_closed:.2f} [{low:.2f}, {high:.2f}] |" in table
    # two identical questions: every resample is the sample itself
    (m,) = [m for m in compute_metrics(make_results())["trivia"] if m.condition == "s2a"]
    assert m.gap_closed_ci95 == pytest.approx((0.5, 0.5))
    # the oracle above the baseline by one problem in ten: a gap, but no interval
    noisy: list[ItemResult] = []
    for g in range(10):
        noisy.append(gsm_result("baseline", f"p{g}", 0, g < 5))
        noisy.append(gsm_result("oracle", f"p{g}", 0, 1 <= g < 7))
        noisy.append(gsm_result("s2a", f"p{g}", 0, g < 6))
    m = by_name(compute_metrics(noisy)["gsm-ic"])["s2a"]
    assert m.gap_closed == pytest.approx(1.0) and m.gap_closed_ci95 is None
