"""The paper's own prompts (Weston & Sukhbaatar 2023), for ``prompt_style="paper"``."""

from __future__ import annotations

from langchain_s2a.options import Preset
from langchain_s2a.prompts._en import DATA_BLOCK
from langchain_s2a.prompts._set import PromptSet

__all__ = ["paper_prompts"]

# The paper's prompts (Weston & Sukhbaatar 2023, Fig. 2 for opinions and Fig. 15 for
# GSM-IC), as transcribed in this project's issue tracker; not re-checked against the
# PDF. One change: the user's text is delimited as data, as every prompt here is.
_PAPER_OPINION = (
    "Given the following text by a user, extract the part that is unbiased and not their "
    "opinion, so that using that text alone would be good context for providing an unbiased "
    "answer to the question portion of the text. Please include the actual question or query "
    'that the user is asking. Separate this into two categories labeled with "Unbiased text '
    'context (includes all content except user\'s bias):" and "Question/Query (does not '
    'include user bias/preference):".\n\nText by User:'
)
_PAPER_RELEVANCE = (
    "Given the following text by a user, extract the part that is related and useful, so that "
    "using that text alone would be good context for providing an accurate and correct answer "
    "to the question portion of the text. Please include the actual question or query that the "
    'user is asking. Separate this into two categories labeled with "Context text related to '
    'the question (includes all content except unrelated sentences):" and "Detailed '
    'question:". Do not use list.\n\nText by User:'
)
_PAPER_SINGLE = (
    "Given the following text by a user, extract the part that is {what}, so that using that "
    "text alone would be good context for providing {goal} answer to the question portion of "
    "the text. Please include the actual question or query that the user is asking.\n\n"
    "Text by User:"
)
_PAPER_ANSWER = "Answer in an unbiased way."


def paper_prompts(base: PromptSet, preset: Preset) -> PromptSet:
    """The paper's rewrite prompts and answer instruction over ``base`` (ours, same preset)."""
    split = _PAPER_OPINION if preset == "opinion" else _PAPER_RELEVANCE
    what, goal = (
        ("unbiased and not their opinion", "an unbiased")
        if preset == "opinion"
        else ("related and useful", "an accurate and correct")
    )
    single = _PAPER_SINGLE.format(what=what, goal=goal)
    return PromptSet(
        system="",
        split=split + DATA_BLOCK,
        single=single + DATA_BLOCK,
        extractive=base.extractive,
        context_label="Context",
        question_label="Question",
        answer_instruction=_PAPER_ANSWER,
        original_label=base.original_label,
        rewrite_label=base.rewrite_label,
        retry_feedback=base.retry_feedback,
    )
