"""The option types shared across the package, and the rewriter's options, written once.

Every keyword option that takes one of a few strings is typed with one of these
aliases, so a value means the same in the rewriter, the chain, the graph, the
conversation chain, the RAG compressor and the agent integrations.
:class:`RewriteOptions` lists every option of the rewrite step; the shells take them as
``**options`` (their defaults live on :class:`~langchain_s2a.S2ARewriter`).

Example:
    >>> from typing import get_args
    >>> from langchain_s2a.options import OnFailure
    >>> get_args(OnFailure)
    ('original', 'raise')
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_type_hints

from typing_extensions import TypedDict

__all__ = [
    "REWRITE_OPTIONS",
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
    "RewriteOptions",
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


class RewriteOptions(TypedDict, total=False):
    """Every option of the rewrite step, declared once, each with its type.

    :class:`~langchain_s2a.S2ARewriter` has one field per key, and its defaults are the
    only ones. :func:`~langchain_s2a.create_s2a_chain`, :func:`~langchain_s2a.build_s2a_graph`,
    :func:`~langchain_s2a.create_s2a_conversation_chain` and
    :class:`~langchain_s2a.S2AChatModel` take them as ``**options`` and build the rewriter
    from those given, so an option added here and on the rewriter reaches every shell,
    and mypy checks every caller. ``timeout`` and ``max_attempts`` are not among them:
    each shell has its own, for the rewrite call and the answer call alike.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_s2a import S2ARewriter
        >>> options: RewriteOptions = {"preset": "relevance", "judge_sentences": False}
        >>> S2ARewriter(GenericFakeChatModel(messages=iter([])), **options).preset
        'relevance'
    """

    preset: Preset
    """What the rewrite removes: ``"opinion"`` (the user's opinions) or ``"relevance"``."""
    variant: Variant
    """How it is made: ``"extractive"`` (sentence numbers), ``"split"`` or ``"single"``."""
    language: LanguageOption
    """Prompt language: ``"auto"`` (by the input's script), ``"en"`` or ``"zh"``."""
    prompt_style: PromptStyle
    """``"ours"`` or ``"paper"`` (the paper's own rewrite prompts; not ``extractive``)."""
    on_failure: OnFailure
    """An unusable rewrite: fall back to the original input, or raise ``S2ARewriteError``."""
    structured_output: StructuredOutput
    """``split``: the model's structured output, ``"auto"`` where it has one."""
    max_input_chars: int
    """Longer input is refused before any model call."""
    min_number_share: float | None
    """Smallest share of the input's numbers a rewrite keeps (``None``: no check)."""
    constrained: bool
    """``extractive``: constrain the reply by a grammar or structured output."""
    judge_sentences: JudgeSentences
    """``extractive``: one yes/no judgement per sentence instead of one reply."""


REWRITE_OPTIONS: frozenset[str] = RewriteOptions.__optional_keys__
"""The names of :class:`RewriteOptions`."""


def option_choices(name: str) -> tuple[Any, ...]:
    """The values a :class:`RewriteOptions` key of a ``Literal`` type takes.

    Example:
        >>> option_choices("language")
        ('auto', 'en', 'zh')
    """
    return get_args(get_type_hints(RewriteOptions)[name])
