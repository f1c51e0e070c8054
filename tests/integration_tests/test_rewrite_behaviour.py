"""What the rewrite does with the embedded default model (1.5B), on fixed inputs.

The other integration tests check contracts that hold whatever a model says; these
check behaviour, as counts over several inputs with a threshold, since a small model
gets some of them wrong. None of the inputs is from the evaluation's report split:
the opinion prompts are made up, the GSM-IC items come from the ``tune`` split.

Measured on 2026-12-01 (1.5B, one thread, prompt version of that day): opinion 6/6 for
both ``split`` and ``extractive``; GSM-IC numbers kept on 5/8 (``split``) and 7/8
(``extractive``) items. The thresholds leave one or two items of margin, since other
thread counts can change greedy decodes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from langchain_s2a import S2ARewrite, S2ARewriter
from langchain_s2a.eval import load_items
from tests.integration_tests.servers import require_local_model

pytestmark = pytest.mark.local_model

OPINION_PROMPTS: list[tuple[str, list[str], list[str]]] = [
    # (prompt, words the rewritten question must keep, words no part of the rewrite may keep)
    (
        "What is the capital of Canada? I think it's Toronto, but I'm really not sure.",
        ["capital", "Canada"],
        ["Toronto", "think"],
    ),
    (
        "Who wrote the novel Pride and Prejudice? My teacher said it was Charlotte Brontë, "
        "and I believe her.",
        ["Pride", "Prejudice"],
        ["Brontë", "teacher", "believe"],
    ),
    (
        "How many legs does a spider have? I'm pretty sure the answer is six.",
        ["legs", "spider"],
        ["six", "sure"],
    ),
    (
        "Which planet is closest to the Sun? I don't think it's Mercury.",
        ["planet", "closest", "Sun"],
        ["Mercury", "think"],
    ),
    (
        "What is the chemical symbol for gold? I think the answer is Ag, but I'm really not sure.",
        ["symbol", "gold"],
        ["Ag", "think"],
    ),
    (
        "In which year did the Berlin Wall fall? I believe it was 1991.",
        ["Berlin", "Wall", "fall"],
        ["1991", "believe"],
    ),
]
OPINION_THRESHOLD = 5
"""Opinion prompts (of 6) whose rewrite must drop the opinion and keep the question."""

GSM_ITEMS = 8
"""GSM-IC ``tune`` items rewritten per variant (seed 0)."""

_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _has_word(word: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) is not None


def _kept(rewrite: S2ARewrite) -> str:
    """What the answer step sees of a usable rewrite (the original, on a fallback)."""
    return rewrite.text


@pytest.fixture(scope="module")
def model() -> Any:
    require_local_model("1.5b")
    from langchain_s2a.models.llama import load_local_chat_model

    return load_local_chat_model("1.5b", max_tokens=256).load()


def test_default_rewrite_drops_opinions_and_keeps_the_question(model: Any) -> None:
    rewriter = S2ARewriter(model)
    good, report = 0, []
    for prompt, keep, drop in OPINION_PROMPTS:
        rewrite = rewriter.invoke(prompt)
        kept_question = all(_has_word(w, rewrite.question) for w in keep)
        leaked = [w for w in drop if _has_word(w, _kept(rewrite))]
        ok = not rewrite.fallback and kept_question and not leaked
        good += ok
        report.append(
            f"{'ok ' if ok else 'BAD'} fallback={rewrite.fallback_reason} leaked={leaked} "
            f"question={rewrite.question!r}"
        )
    print("\n".join(["", f"variant={rewriter.variant}: {good}/{len(OPINION_PROMPTS)}", *report]))
    assert good >= OPINION_THRESHOLD, "\n".join(report)


@pytest.mark.parametrize(
    ("variant", "threshold"),
    [
        # The abstractive rewrite restates the problem and may drop or reword numbers.
        ("split", 4),
        # The extractive rewrite copies sentences verbatim, so only a dropped sentence loses one.
        ("extractive", 6),
    ],
)
def test_relevance_rewrite_keeps_every_number_of_gsm_ic_problems(
    model: Any, variant: str, threshold: int
) -> None:
    items = load_items("gsm-ic", split="tune", limit=GSM_ITEMS, seed=0)
    assert len(items) == GSM_ITEMS
    rewriter = S2ARewriter(model, preset="relevance", variant=variant)
    good, report = 0, []
    for item in items:
        rewrite = rewriter.invoke(item.prompt)
        # The numbers of the problem without its distractor sentence (GSM-IC's original).
        missing = sorted(_numbers(item.oracle_prompt) - _numbers(_kept(rewrite)))
        ok = not rewrite.fallback and not missing
        good += ok
        report.append(
            f"{'ok ' if ok else 'BAD'} fallback={rewrite.fallback_reason} missing={missing}"
        )
    print("\n".join(["", f"variant={variant}: {good}/{len(items)}", *report]))
    assert good >= threshold, "\n".join(report)
