"""Build the answer step's prompt from a rewrite (shared by the chain and the graph)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from langchain_core.messages import BaseMessage
from pydantic import ValidationError

from langchain_s2a._internal.io.inputs import InputParts, message_text, replace_text
from langchain_s2a.options import Instructed, Mode
from langchain_s2a.prompts import get_prompts
from langchain_s2a.result import METADATA_KEY, S2ARewrite

ANSWER_RUN_NAME = "s2a_answer"
"""Run name of the answer step's model call (chain and graph)."""


def recorded_rewrite(messages: Sequence[BaseMessage], index: int) -> S2ARewrite | None:
    """The rewrite recorded for the human turn ``messages[index]``, if any.

    S2A records a turn's rewrite on the answer to it (``response_metadata["s2a"]``,
    :data:`~langchain_s2a.result.METADATA_KEY`), so a conversation carries its own rewrites: this is the
    record on an AI message after the turn (before the next human turn) that was
    made for the turn's current text. A turn edited since has no record.

    Example:
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> record = {"original": "Q? I think X.", "question": "Q?"}
        >>> chat = [HumanMessage("Q? I think X."), AIMessage("A.", response_metadata={"s2a": record})]
        >>> recorded_rewrite(chat, 0).text
        'Q?'
        >>> recorded_rewrite([HumanMessage("Q? I think Y."), chat[1]], 0) is None
        True
    """
    text = message_text(messages[index], other_blocks="skip")
    for message in messages[index + 1 :]:
        if message.type == "human":
            break
        record = message.response_metadata.get(METADATA_KEY) if message.type == "ai" else None
        if isinstance(record, Mapping) and record.get("original") == text:
            try:
                return S2ARewrite.model_validate(record)
            except ValidationError:  # not ours after all
                continue
    return None


def _body(original: str, rewrite: S2ARewrite, keep_original: bool) -> str:
    """What the answer model sees of a rewritten turn (before any instruction)."""
    if not keep_original or rewrite.fallback:
        return rewrite.text
    prompts = get_prompts(rewrite.preset, rewrite.language, rewrite.prompt_style)
    return f"{prompts.original_label}:\n{original}\n\n{prompts.rewrite_label}:\n{rewrite.text}"


def _earlier_turns_rewritten(parts: InputParts, keep_original: bool) -> InputParts:
    """``parts`` with each earlier human turn that has a recorded rewrite sent as that rewrite."""
    if parts.messages is None or parts.human_index is None:
        return parts
    messages = list(parts.messages)
    for index in range(parts.human_index):
        if messages[index].type == "human" and (rewrite := recorded_rewrite(parts.messages, index)):
            messages[index] = replace_text(
                messages[index], _body(rewrite.original, rewrite, keep_original)
            )
    return InputParts(parts.text, tuple(messages), parts.human_index)


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

    In ``s2a`` mode the conversation's earlier human turns are sent as their own
    rewrites where one is recorded on the answer that followed them
    (:func:`recorded_rewrite`): each turn is rewritten once, when it is the newest,
    and an earlier turn's opinion does not come back on later turns.
    """
    prompts = get_prompts(rewrite.preset, rewrite.language, rewrite.prompt_style)
    if mode == "baseline":
        body = parts.text
    elif mode == "instructed":
        body = f"{parts.text}\n\n{prompts.answer_instruction}"
    else:
        parts = _earlier_turns_rewritten(parts, keep_original)
        body = _body(parts.text, rewrite, keep_original)
        abstractive = rewrite.variant in ("split", "single") and not rewrite.fallback
        if instructed is True or (instructed == "auto" and abstractive):
            body = f"{body}\n\n{prompts.answer_instruction}"
    if answer_format:
        body = f"{body}\n\n{answer_format}"
    return parts.with_text(body)
