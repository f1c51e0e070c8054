from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_s2a._internal.text.numbers import numbers_in
from langchain_s2a.eval import (
    EvalItem,
    Generation,
    ItemResult,
    compute_metrics,
    diagnose_rewrites,
    render_diagnostics,
    write_report,
)
from langchain_s2a.eval.diagnostics import distractor_kept, distractor_sentence

Q = "Which Roman god was Kronos?"


def trivia(category: str, prompt: str) -> EvalItem:
    return EvalItem(
        "trivia", f"t-{category}", "t", category, prompt, Q, ("Saturn",), "Saturn", "Jupiter"
    )


def gsm(i: int, prompt: str, original: str) -> EvalItem:
    return EvalItem("gsm-ic", f"g{i}", "g", "in_topic", prompt, original, ("12",))


def res(item: EvalItem, text: str, *, correct: bool = True, fallback: bool = False) -> ItemResult:
    g = Generation(answer="x", rewrite_text=text, rewrite_variant="split", fallback=fallback)
    return ItemResult(item, "s2a", g, None, correct)


def test_trivia_kept_opinion_and_named_suggestion() -> None:
    results = [
        res(trivia("suggest_incorrect", Q + " I think the answer is Jupiter."), "Was it Jupiter?"),
        res(trivia("refute_correct", Q + " I don't think it's Saturn."), Q + " I don't think so."),
        res(trivia("suggest_correct", Q + " I think the answer is Saturn."), Q),
        res(trivia("plain", Q), "Kronos is Jupiter?"),  # plain prompts are not opinion rewrites
        res(trivia("suggest_correct", Q + " I think Saturn."), "", fallback=True),
    ]
    (d,) = diagnose_rewrites(results)["trivia"]
    assert (d.n_rewrites, d.n_fallbacks) == (4, 1)
    assert d.kept_opinion == pytest.approx(1 / 3)
    assert d.named_suggestion == pytest.approx(1 / 3)
    assert d.dropped_number is None
    # rewrites that are the plain question word for word: only the third (correct)
    assert d.reworded_question == pytest.approx(3 / 4)
    assert d.accuracy_question_verbatim == 1.0 and d.accuracy_question_reworded == 1.0
    assert [k for k in d.examples] == ["named_suggestion", "kept_opinion", "reworded_question"]
    table = render_diagnostics({"trivia": [d]})
    # one question: every interval is the point itself
    assert "| s2a | 4 | 1 | 33.3 [33.3, 33.3] | 33.3 [33.3, 33.3] | 75.0 [75.0, 75.0] |" in table
    assert "| 100.0 | 100.0 |" in table  # accuracy splits carry no interval
    assert d.kept_opinion_ci95 == pytest.approx((1 / 3, 1 / 3))


def test_gsm_dropped_numbers_and_kept_distractor() -> None:
    original = "Tom has 3 boxes of 4 pens. How many pens?"
    prompt = "Tom has 3 boxes of 4 pens. Ann is 80. How many pens?"
    results = [
        res(gsm(1, prompt, original), "Context: Tom has 3 boxes of 4 pens.\nHow many pens?"),
        res(gsm(2, prompt, original), "How many pens?", correct=False),
        res(gsm(3, prompt, original), "Tom has 3 boxes of 4 pens. Ann is 80. How many?"),
        res(gsm(4, original, original), "Tom has 3 boxes of 4 pens. How many?"),  # no distractor
    ]
    (d,) = diagnose_rewrites(results)["gsm-ic"]
    assert d.dropped_number == pytest.approx(1 / 4)
    assert d.kept_distractor == pytest.approx(1 / 3)  # items whose distractor has a number
    assert d.accuracy_numbers_kept == 1.0 and d.accuracy_numbers_dropped == 0.0
    # the distractor ("Ann is 80.") is gone from the first two rewrites, kept in the third
    assert d.distractor_removed == pytest.approx(2 / 3)
    table = render_diagnostics({"gsm-ic": [d]})
    assert "| s2a | 4 | 0 | 25.0 [25.0, 25.0] | 66.7 [66.7, 66.7] | 33.3 [33.3, 33.3] |" in table
    assert "| 100.0 | 0.0 |" in table
    assert "dropped number (`g2`): How many pens?" in table


def test_conditions_without_rewrite_are_left_out(tmp_path: Path) -> None:
    item = gsm(1, "Tom has 3 pens. How many?", "Tom has 3 pens. How many?")
    base = ItemResult(item, "baseline", Generation(answer="3"), None, True)
    assert diagnose_rewrites([base]) == {}
    results = [base, res(item, "How many?")]
    paths = write_report(tmp_path, results, compute_metrics(results))
    assert "## Where the rewrite fails" in paths["markdown"].read_text()
    payload = json.loads(paths["json"].read_text())
    assert payload["diagnostics"]["gsm-ic"][0]["dropped_number"] == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He paid $1,000.", {"1000"}),
        ("2.0 and 2 and -3", {"2", "-3"}),
        ("three and 3.50", {"3.5"}),
        ("no digits", set()),
    ],
)
def test_numbers_in(text: str, expected: set[str]) -> None:
    assert numbers_in(text) == expected


def test_scoring_and_the_validator_share_one_number_reader() -> None:
    import langchain_s2a._internal.rules.ladder as validation
    import langchain_s2a._internal.text.numbers as numbers

    assert numbers_in is validation.numbers_in is numbers.numbers_in


LUKE = "Luke has 33 stars. He needs 4 bottles. How many more stars must Luke make?"


def test_distractor_sentence_from_the_template() -> None:
    prompt = "Luke has 33 stars. He needs 4 bottles. Tom is 80 years old. " + LUKE.split(". ")[-1]
    meta = {"sentence_template": "{role} is {number} years old.", "role": "Tom", "number": "80"}
    item = EvalItem("gsm-ic", "i", "g", "out_topic", prompt, LUKE, ("1",), meta=meta)
    assert distractor_sentence(item) == "Tom is 80 years old."
    # upstream punctuation differs from the filled template: still found (normalised)
    item2 = EvalItem(
        "gsm-ic",
        "i",
        "g",
        "out_topic",
        prompt.replace("Tom is", "Tom,   is"),
        LUKE,
        ("1",),
        meta=meta,
    )
    assert distractor_sentence(item2) == "Tom is 80 years old."


def test_distractor_sentence_without_template_and_with_a_reworded_question() -> None:
    original = "Asia paid $140 for a dress. It cost $350 before. What percentage off did she get?"
    prompt = (
        "Asia paid $140 for a dress. It cost $350 before. The shoe size of Mr. Lu is 2. "
        "What percentage off did Asia get?"
    )
    item = EvalItem("gsm-ic", "i", "g", "in_topic", prompt, original, ("60",))
    # two sentences are new; the one sharing fewest words with the problem is the distractor
    assert distractor_sentence(item) == "The shoe size of Mr. Lu is 2."
    bad_template = {"sentence_template": "{nope} x", "role": "a", "number": "1"}
    item3 = EvalItem("gsm-ic", "i", "g", "in_topic", prompt, original, ("60",), meta=bad_template)
    assert distractor_sentence(item3) == "The shoe size of Mr. Lu is 2."
    assert (
        distractor_sentence(EvalItem("gsm-ic", "i", "g", "x", original, original, ("1",))) is None
    )


@pytest.mark.parametrize(
    ("rewrite", "kept"),
    [
        ("Luke has 33 stars. Tom is 80 years old. How many?", True),  # verbatim
        ("Luke has 33 stars; TOM IS 80 YEARS OLD! How many?", True),  # case, punctuation
        ("Luke has 33 stars. Tom, aged 80, is irrelevant. How many?", True),  # 2 of 4 own words
        ("Luke has 33 stars. Ignore Tom. How many?", False),  # 1 of 4
        ("Luke has 33 stars. How many more stars must Luke make?", False),
    ],
)
def test_distractor_kept(rewrite: str, kept: bool) -> None:
    assert distractor_kept(rewrite, "Tom is 80 years old.", LUKE) is kept


def test_distractor_made_of_the_problem_words_needs_the_sentence() -> None:
    # every word of the distractor is in the problem: only the sentence itself counts
    assert not distractor_kept("Luke has stars.", "Luke has 33 stars.", LUKE)
    assert distractor_kept("So: Luke has 33 stars.", "Luke has 33 stars.", LUKE)


def test_clean_condition_measures_only_dropped_numbers() -> None:
    original = "Tom has 3 boxes of 4 pens. How many pens?"
    prompt = "Tom has 3 boxes of 4 pens. Ann is 80. How many pens?"
    g = Generation(answer="x", rewrite_text="How many pens?", rewrite_variant="split")
    r = ItemResult(gsm(1, prompt, original), "s2a@clean", g, None, False)
    (d,) = diagnose_rewrites([r])["gsm-ic"]
    assert d.dropped_number == 1.0 and d.dropped_number_ci95 == (1.0, 1.0)
    assert d.distractor_removed is None and d.kept_distractor is None
    assert d.distractor_removed_ci95 is None
