"""The record of every text S2A needs for one (preset, language) pair."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PromptSet"]


@dataclass(frozen=True)
class PromptSet:
    """All texts S2A needs for one (preset, language) pair."""

    system: str
    """System message of the rewrite step."""
    split: str
    """Rewrite instruction for the two-section ``split`` variant."""
    single: str
    """Rewrite instruction for the unpartitioned ``single`` variant."""
    extractive: str
    """Instruction for the ``extractive`` variant (``{text}`` holds numbered sentences)."""
    context_label: str
    """Label of the context section (also used to render the rewrite)."""
    question_label: str
    """Label of the question section."""
    answer_instruction: str
    """The "answer in an unbiased way" instruction of the answer step."""
    original_label: str
    """Heading of the original input in the keep-original variant."""
    rewrite_label: str
    """Heading of the rewrite in the keep-original variant."""
    retry_feedback: str
    """Sent with a retry: what was wrong with the previous reply (``{reason}``)."""
