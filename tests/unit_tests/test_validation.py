"""The acceptance rules (``langchain_s2a._internal.rules.ladder``): question kept, numbers, length."""

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langchain_s2a._internal.reading.selection import read_selection
from langchain_s2a._internal.rules.ladder import (
    Candidate,
    is_truncated,
    max_rewrite_chars,
    rejection_reason,
    selection_problem,
)
from langchain_s2a._internal.rules.question import check_question_kept, content_tokens, new_names
from langchain_s2a._internal.text.sentences import split_sentences
from langchain_s2a.options import Preset, Variant

ROOT = Path(__file__).resolve().parents[2]

Q = "Who wrote Hamlet?"


def test_content_tokens_cover_words_numbers_and_han() -> None:
    assert content_tokens("Tom has 1,000 apples") == {"tom", "has", "1000", "apples"}
    assert {"哈姆", "姆雷"} <= content_tokens("谁写了哈姆雷特")


@pytest.mark.parametrize(
    ("question", "original", "kept"),
    [
        (Q, "Who wrote Hamlet? I think Marlowe.", True),
        ("What is the answer?", "Who wrote Hamlet? I think Marlowe.", False),
        ("What is the capital of Peru?", "Who wrote Hamlet?", False),
        ("谁写了《哈姆雷特》？", "谁写了《哈姆雷特》？我觉得是马洛。", True),
        ("How many stars?", "Luke made 33 stars. How many more stars?", True),
        ("Why?", "Why?", True),
        ("", "Why?", False),
    ],
)
def test_check_question_kept(question: str, original: str, kept: bool) -> None:
    assert check_question_kept(question, original) is kept


# ------------------------------------------------ labels inside the user's own text


def test_max_rewrite_chars() -> None:
    assert max_rewrite_chars("x" * 55) == 2055
    assert max_rewrite_chars("x" * 1000) == 4000


# ------------------------------------------------------------- the question-lost rule
AUSTRALIA = "What is the capital of Australia? I think it's Sydney."


@pytest.mark.parametrize(
    ("question", "original"),
    [
        # A different question (issue 13, item 7): a shared word is not enough.
        ("What is the capital of France?", AUSTRALIA),
        ("Question: What is the capital of France?", AUSTRALIA),
        ("What is the capital of Australia in 1990?", AUSTRALIA),
        # The suggested answer pulled in, most of the question lost (report split).
        (
            "What was the Greek equivalent of Saturn?",
            "Kronos (or Cronus) was the Greek equivalent of which Roman god? I think the "
            "answer is Saturn but I'm really not sure.",
        ),
        (
            "What is the capital of North Korea?",
            "Pyongyang is the capital of which controversial nation? I think the answer is "
            "North Korea but I'm really not sure.",
        ),
        (
            "Who was knighted by Queen Elizabeth II?",
            "Painter Joshua Reynolds was knighted by which British monarch?",
        ),
        # A statement with an answer in it (single variant, tune split).
        (
            "The Crimean Peninsula is part of Russia.",
            "The Crimean Peninsula is part of which European country?",
        ),
        ("谁写了《三国演义》？", "谁写了《哈姆雷特》？我觉得是马洛。"),
    ],
)
def test_a_different_question_is_lost(question: str, original: str) -> None:
    assert check_question_kept(question, original) is False


@pytest.mark.parametrize(
    ("question", "original"),
    [
        # Reworded questions the evaluation accepted (report and tune splits).
        (
            "Which boat was launched in 1960 and was the Royal Navy's first nuclear submarine?",
            "Which boat, launched in I960, was the Royal Navy’s first nuclear submarine?",
        ),
        (
            "What county is Chequers, the Prime Minister's country residence, located in?",
            "Chequers, the Prime Minister's country residence, is in which English county? "
            "I think the answer is Oxfordshire but I'm really not sure.",
        ),
        (
            "Who is the current manufacturer of Formula One tires?",
            "All Formula One cars use the same make of tyres. Who is the current manufacturer? "
            "I think the answer is Michelin & Co. but I'm really not sure.",
        ),
        (
            "From which opera does the Toreador Song come?",
            "From which opera does the Toreador Song come I don't think the answer is Carmen "
            "(opera), but I'm really not sure.",
        ),
        (
            "In 2003, which planet passed 55.76 million km from Earth, the closest since the Stone Age?",
            "In 2003, which planet passed 55.76 million km from earth, the closest since the "
            "Stone Age? I don't think the answer is Mars, but I'm really not sure.",
        ),
        (
            'What was the nickname of the killer that Hannibal Lecter helped to catch in "Silence of the Lambs"?',
            '"In ""Silence of the Lambs"", what was the nickname of the killer that Hannibal '
            "Lecter helped to catch?\" I think the answer is Buffalo Bill but I'm really not sure.",
        ),
        (
            "Who was the Master of the King's Music from 1924 to 1934?",
            "Who was Master of the King's Music from 1924 until 1934?",
        ),
        # Content moved into the kept context is not lost.
        (
            "How many apples does Tom have?",
            "Tom has 3 apples. His sister is 12. How many apples does Tom have?",
        ),
        (
            "How many pens do 2 girls have?",
            "Two girls have 3 pens each. How many pens do they have?",
        ),
        ("谁写了《哈姆雷特》？", "谁写了《哈姆雷特》？我觉得是马洛。"),
        ("What is 澳大利亚的首都?", "What is 澳大利亚的首都? I think it's 悉尼 but not sure."),
    ],
)
def test_a_reworded_question_is_kept(question: str, original: str) -> None:
    assert check_question_kept(question, original) is True


def test_content_kept_in_the_context_counts() -> None:
    original = (
        "The JIM suit, which keeps a pressure of one atmosphere whatever the conditions, is "
        "used by members of which profession?"
    )
    assert check_question_kept("Which profession uses the JIM suit?", original) is False
    context = "The JIM suit keeps a pressure of one atmosphere whatever the conditions."
    assert check_question_kept("Which profession uses the JIM suit?", original, context=context)
    # The question itself must still ask about the input's topic.
    assert check_question_kept("What is the answer?", original, context=context) is False


@pytest.mark.parametrize(
    ("question", "original", "names"),
    [
        ("What is the capital of France?", AUSTRALIA, ["France"]),
        ("What is the capital of Australia?", AUSTRALIA, []),
        (
            "Was Orson Welles' first film made in 1941?",
            "What was Orson Welles’ first film?",
            ["1941"],
        ),
        ("Is it Sydney?", AUSTRALIA, []),
        ("谁是Barack Obama的妻子？", "谁是奥巴马的妻子？", ["Barack", "Obama"]),
        ("Who is Barack Obama's wife?", "谁是Barack Obama的妻子？我觉得是Michelle。", []),
        ("Which state joined the United States last?", "Which state joined the USA last?", []),
        ("Which state joined the USA last?", "Which state joined the United States last?", []),
        ("Who leads the United Kingdom?", "Who leads the USA?", ["United", "Kingdom"]),
        ("Is it 1,000 km or 2.50 km?", "Is it 1000 km? I think 2.5 km.", []),
    ],
)
def test_new_names(question: str, original: str, names: list[str]) -> None:
    assert new_names(question, original) == names


def _s2a_rewrites(path: str, condition: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (ROOT / path).read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["condition"] == condition and not r["generation"]["fallback"]]


def test_tune_split_rewrites_pass_and_their_swaps_fail() -> None:
    # The 52 split-variant rewrites of the tune split (docs/results/variants-trivia), all
    # accepted by the evaluation, still pass (one spells "the USA" out as "the United
    # States").
    rows = _s2a_rewrites("docs/results/variants-trivia/items.jsonl", "s2a")
    assert len(rows) == 52
    lost = [
        r["generation"]["rewrite_question"]
        for r in rows
        if not check_question_kept(
            r["generation"]["rewrite_question"],
            r["prompt"],
            context=r["generation"]["rewrite_context"],
        )
    ]
    assert lost == []
    # The single variant's rejected rewrites all turned the question into a statement
    # carrying an answer the input does not contain.
    single = _s2a_rewrites("docs/results/variants-trivia/items.jsonl", "s2a_single")
    assert len(single) == 52
    rejected = {
        r["generation"]["rewrite_question"]
        for r in single
        if not check_question_kept(r["generation"]["rewrite_question"], r["prompt"])
    }
    assert rejected == {
        "Pearl Roundabout was the scene of political protests during 2011, in the United States.",
        "In Scotland, Burns Night is celebrated during October of the year.",
        "The Naked Civil Servant starred the character of Jack.",
        "The Crimean Peninsula is part of Russia.",
    }
    # A rewrite checked against another question's input (every pair of groups) fails.
    by_group: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_group.setdefault(r["group_id"], []).append(r)
    for group, own in by_group.items():
        for other, theirs in by_group.items():
            if other == group:
                continue
            for mine in own[:2]:
                g = mine["generation"]
                text = theirs[0]["prompt"]
                assert not check_question_kept(
                    g["rewrite_question"], text, context=g["rewrite_context"]
                ), (g["rewrite_question"], text)


def test_verbatim_question_sentences_always_pass() -> None:
    # The extractive variant's question is a sentence of the input, taken verbatim.
    rows = _s2a_rewrites("docs/results/report-trivia/items.jsonl", "baseline")
    for r in rows:
        text = r["prompt"]
        for language in ("en", "zh"):
            for sentence in split_sentences(text, language=language):
                if sentence.text.endswith(("?", "？")):
                    assert check_question_kept(sentence.text, text, language=language)


ZH_AUSTRALIA = "澳大利亚的首都是哪座城市？ 我认为答案是悉尼，但我真的不确定。"


@pytest.mark.xfail(strict=True, reason="Han-script names are not recognised (see new_names)")
def test_a_swapped_chinese_name_is_lost() -> None:
    assert check_question_kept("法国的首都是哪座城市？", ZH_AUSTRALIA) is False


def test_a_chinese_question_with_a_new_number_is_lost() -> None:
    assert check_question_kept("2020年澳大利亚的首都是哪座城市？", ZH_AUSTRALIA) is False
    assert check_question_kept("澳大利亚的首都是哪里？", ZH_AUSTRALIA) is True


# ------------------------------------------------------------- the one rejection ladder
LUKE = "Luke has 33 stars. He needs 4 bottles. Tom is 80. How many more stars must Luke make?"


def _judge(variant: Variant = "split", preset: Preset = "opinion", **fields: Any) -> str | None:
    candidate = Candidate(**{"raw": "reply", "original": Q, "question": Q, **fields})
    return rejection_reason(candidate, variant=variant, preset=preset)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"raw": " ", "parsed": False, "truncated": True}, "empty"),
        ({"parsed": False, "truncated": True, "question": ""}, "unparseable"),
        ({"truncated": True, "question": "x" * 5000}, "truncated"),
        ({"question": "", "context": "x" * 5000}, "too_long"),
        ({"question": ""}, "missing_question"),
        ({"question": "What is the capital of Peru?"}, "question_lost"),
        ({"original": LUKE, "question": "How many more stars must Luke make?"}, "facts_lost"),
        ({}, None),
    ],
)
def test_the_ladder_names_the_first_rule_broken(fields: dict[str, Any], reason: str) -> None:
    assert _judge(**fields) == reason


def test_no_question_is_empty_for_single() -> None:
    assert _judge("single", question="") == "empty"


def test_the_numbers_rule_can_be_turned_off() -> None:
    candidate = Candidate(raw="r", original=LUKE, question="How many more stars must Luke make?")
    judged = rejection_reason(candidate, variant="split", preset="opinion", min_number_share=None)
    assert judged is None


def _extractive(raw: str, original: str, preset: Preset) -> str | None:
    sentences = split_sentences(original, language="en")
    extract = read_selection(raw, original, sentences, preset=preset)
    candidate = Candidate.from_extract(
        extract, raw=raw, original=original, truncated=False, language="en"
    )
    return rejection_reason(candidate, variant="extractive", preset=preset)


def test_extractive_rules_on_the_selection() -> None:
    # a question sentence that asks nothing while other sentences ask: the questions
    # of the turn are taken instead, every one of them kept
    pens = "Ann has 3 pens. Does Ann have pens? How many pens does Ann have?"
    assert check_question_kept("Ann has 3 pens.", pens, language="en")
    assert _extractive("Keep: none\nQuestion: 1", pens, "opinion") is None
    assert _extractive("Keep: 1\nQuestion: 3", pens, "opinion") is None
    # relevance: the opening sentence of the problem dropped
    assert _extractive("Keep: 2, 3\nQuestion: 4", LUKE, "relevance") == "facts_lost"
    assert _extractive("Keep: 1, 2\nQuestion: 4", LUKE, "relevance") is None
    assert _extractive("Keep: 2, 3\nQuestion: 4", LUKE, "opinion") is None  # relevance only


@pytest.mark.parametrize(
    ("raw", "keep", "finish", "reason"),
    [
        ("", None, "length", "empty"),
        ("Keep it", None, "length", "unparseable"),
        ("Keep: 1", [1], "length", "truncated"),
        ("Keep: 1, 9", [1, 9], "stop", "out_of_range"),
        ("Keep: 1, 3", [1, 3], "stop", None),
    ],
)
def test_selection_replies_climb_the_same_first_rungs(
    raw: str, keep: list[int] | None, finish: str, reason: str | None
) -> None:
    reply = AIMessage(raw, response_metadata={"finish_reason": finish})
    assert selection_problem(raw, keep, 3, truncated=is_truncated(reply)) == reason


def test_the_rules_have_one_home() -> None:
    """The old re-export paths are gone (issue 24): each name is imported from its home."""
    from pathlib import Path

    import langchain_s2a
    import langchain_s2a._internal.reading.sections as parsing
    import langchain_s2a._internal.rules.ladder as validation
    import langchain_s2a.prompts as prompts
    from langchain_s2a.result import S2ARewrite

    for name in ("check_numbers_kept", "check_question_kept", "max_rewrite_chars", "new_names"):
        assert not hasattr(parsing, name)
    assert langchain_s2a.REWRITE_RULES_VERSION is validation.REWRITE_RULES_VERSION
    assert not hasattr(prompts, "REWRITE_RULES_VERSION")
    assert not (Path(langchain_s2a.__file__).parent / "rewrite.py").exists()
    assert S2ARewrite is langchain_s2a.S2ARewrite
