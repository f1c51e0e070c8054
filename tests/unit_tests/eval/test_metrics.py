from __future__ import annotations

import pytest

from langchain_s2a.eval.datasets import EvalItem
from langchain_s2a.eval.metrics import (
    ConditionMetrics,
    Generation,
    ItemResult,
    answers_match,
    compute_metrics,
)
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
