"""Build the answer step's prompt from a rewrite (shared by the chain and the graph)."""

from __future__ import annotations

from langchain_core.messages import BaseMessage
from langgraph.constants import TAG_NOSTREAM

from langchain_s2a._inputs import InputParts
from langchain_s2a._types import Instructed, Language, Mode, Preset
from langchain_s2a.prompts import detect_language, get_prompts
from langchain_s2a.result import S2ARewrite

ANSWER_RUN_NAME = "s2a_answer"
"""Run name of the answer step's model call (chain and graph)."""
REWRITE_TAGS = (TAG_NOSTREAM, "s2a_rewrite")
"""Tags of the rewrite step's runs; ``nostream`` keeps its tokens out of token streams
(LangGraph's ``messages`` mode, UIs reading ``astream_events``)."""


def passthrough_rewrite(
    parts: InputParts, *, preset: Preset, language: Language | None
) -> S2ARewrite:
    """The rewrite record of a run with no rewrite step (``baseline`` / ``instructed``)."""
    return S2ARewrite(
        original=parts.text,
        question=parts.text,
        variant="none",
        preset=preset,
        language=language or detect_language(parts.text),
    )


def answer_messages(
    parts: InputParts,
    rewrite: S2ARewrite,
    *,
    mode: Mode = "s2a",
    keep_original: bool = False,
    instructed: Instructed = True,
    answer_format: str | None = None,
) -> list[BaseMessage]:
    """The messages the answer model receives.

    In ``s2a`` mode the original input is dropped and replaced by the rewrite
    (unless ``keep_original``); the debiasing instruction is added when
    ``instructed``. ``instructed`` mode is the original plus that instruction;
    ``baseline`` is the original alone. ``answer_format`` is appended in every mode.
    ``instructed="auto"`` adds the instruction only after an abstractive
    (``split``/``single``) rewrite. After a verbatim (``extractive``) rewrite the
    text is the user's own sentences with the opinion or distractor left out, and
    after a fallback it is the original: either way the answer step sees what a
    plain call on that text would (so a rewrite that keeps everything, or one that
    is rejected, costs nothing but the rewrite call).
    """
    prompts = get_prompts(rewrite.preset, rewrite.language, rewrite.prompt_style)
    if mode == "baseline":
        body = parts.text
    elif mode == "instructed":
        body = f"{parts.text}\n\n{prompts.answer_instruction}"
    else:
        body = rewrite.text
        if keep_original and not rewrite.fallback:
            body = (
                f"{prompts.original_label}:\n{parts.text}\n\n"
                f"{prompts.rewrite_label}:\n{rewrite.text}"
            )
        abstractive = rewrite.variant in ("split", "single") and not rewrite.fallback
        if instructed is True or (instructed == "auto" and abstractive):
            body = f"{body}\n\n{prompts.answer_instruction}"
    if answer_format:
        body = f"{body}\n\n{answer_format}"
    return parts.with_text(body)
