"""The option types shared across the package, written once.

Every keyword option that takes one of a few strings is typed with one of these
aliases, so a value means the same in the rewriter, the chain, the graph, the
conversation chain, the RAG compressor and the agent integrations.

Example:
    >>> from typing import get_args
    >>> from langchain_s2a.options import OnFailure
    >>> get_args(OnFailure)
    ('original', 'raise')
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "FallbackReason",
    "Instructed",
    "JudgeSentences",
    "Language",
    "LanguageOption",
    "Mode",
    "OnFailure",
    "Preset",
    "PromptStyle",
    "RecordVariant",
    "StructuredOutput",
    "Variant",
]

Preset = Literal["opinion", "relevance"]
"""What the rewrite removes: the user's opinion, or sentences irrelevant to the question."""

PromptStyle = Literal["ours", "paper"]
"""``ours`` (the package's prompts) or ``paper`` (Weston & Sukhbaatar's Figs 2 and 15)."""

Variant = Literal["split", "single", "extractive"]
"""How the rewrite is produced: context and question apart, one block, or sentence numbers."""

RecordVariant = Literal["split", "single", "extractive", "none"]
"""A :data:`Variant`, or ``none`` where no rewrite was made (baseline, instructed)."""

Language = Literal["en", "zh"]
"""The language of the prompts actually used."""

LanguageOption = Literal["auto", "en", "zh"]
"""The ``language`` option: ``auto`` picks Chinese prompts when the input is mostly CJK."""

OnFailure = Literal["original", "raise"]
"""What a failure does: go on with the original input, or raise. ``on_failure`` applies it
to an unusable rewrite (raising :class:`~langchain_s2a.errors.S2ARewriteError`);
``on_error`` (:class:`~langchain_s2a.S2AChatModel`, :class:`~langchain_s2a.S2AMiddleware`)
to a rewrite step that raised (re-raising its error)."""

Mode = Literal["s2a", "instructed", "baseline"]
"""``s2a`` rewrites then answers; ``instructed`` answers the original with the debiasing
instruction; ``baseline`` sends the original straight to the model."""

Instructed = bool | Literal["auto"]
"""Whether the answer prompt carries the debiasing instruction; ``auto`` adds it only
after an abstractive rewrite."""

JudgeSentences = bool | Literal["auto"]
"""Whether the extractive selection is made by one yes/no judgement per sentence;
``auto`` for the relevance preset on inputs of a few sentences (see
:func:`langchain_s2a._internal.reading.judgements.wants_judgements`)."""

StructuredOutput = bool | Literal["auto"]
"""Whether the rewrite uses the model's structured output; ``auto`` where it has it."""

FallbackReason = Literal[
    "empty",
    "unparseable",
    "missing_question",
    "question_lost",
    "facts_lost",
    "truncated",
    "too_long",
    "out_of_range",
]
"""Why a rewrite was rejected and the original input used instead."""
