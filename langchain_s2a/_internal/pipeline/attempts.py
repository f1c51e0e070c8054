"""What the S2A shells do around a rewrite attempt: retry it, add attempts up, or skip it.

The chain (:class:`~langchain_s2a.chain.S2AChain`) and the graph's ``rewrite`` node
retry a rejected rewrite with the rejected reply and its reason (:func:`retry_wanted`,
:func:`combine_attempts`, token usage added up by :func:`sum_usage`, the one place usage
is summed); both record a run with no rewrite step the same way (:func:`passthrough`);
and both tag the rewrite's runs with :data:`REWRITE_TAGS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langgraph.constants import TAG_NOSTREAM

from langchain_s2a._internal.io.inputs import InputParts
from langchain_s2a._internal.text.language import detect_language
from langchain_s2a.options import LanguageOption, Preset
from langchain_s2a.result import REWRITE_NAME, S2ARewrite

__all__ = ["REWRITE_TAGS", "combine_attempts", "passthrough", "retry_wanted", "sum_usage"]

REWRITE_TAGS = (TAG_NOSTREAM, REWRITE_NAME)
"""Tags of the rewrite step's runs; ``nostream`` keeps its tokens out of token streams
(LangGraph's ``messages`` mode, UIs reading ``astream_events``)."""

_COUNTS = ("input_tokens", "output_tokens", "total_tokens")


def passthrough(parts: InputParts, *, preset: Preset, language: LanguageOption) -> S2ARewrite:
    """The record of a run with no rewrite step (``baseline`` / ``instructed`` modes).

    Example:
        >>> from langchain_s2a._internal.io.inputs import InputParts
        >>> r = passthrough(InputParts("谁写了哈姆雷特？"), preset="opinion", language="auto")
        >>> r.variant, r.language, r.text
        ('none', 'zh', '谁写了哈姆雷特？')
    """
    return S2ARewrite(
        original=parts.text,
        question=parts.text,
        variant="none",
        preset=preset,
        language=detect_language(parts.text) if language == "auto" else language,
    )


def retry_wanted(rewrite: S2ARewrite, max_retries: int) -> bool:
    """Whether a rejected ``rewrite`` gets another attempt (``max_retries`` extra in all)."""
    return rewrite.fallback and rewrite.attempts <= max_retries


def sum_usage(replies: Iterable[Any]) -> dict[str, Any] | None:
    """The token usage of several replies added up (``None`` when none reports any).

    Each item is a model reply (its ``usage_metadata`` is read), a usage dict (an
    :class:`~langchain_s2a.S2ARewrite`'s ``usage``) or ``None``. The token counts are
    added; other keys (token details) are the newest usage's.

    Example:
        >>> sum_usage([{"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}, None,
        ...            {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}])
        {'input_tokens': 8, 'output_tokens': 3, 'total_tokens': 11}
    """
    usages = [usage for usage in map(_usage_of, replies) if usage]
    if len(usages) <= 1:
        return dict(usages[0]) if usages else None
    return {**usages[-1], **{k: sum(int(u.get(k, 0)) for u in usages) for k in _COUNTS}}


def _usage_of(item: Any) -> Mapping[str, Any] | None:
    if item is None or isinstance(item, Mapping):
        return item
    usage: Mapping[str, Any] | None = getattr(item, "usage_metadata", None)
    return usage


def combine_attempts(previous: S2ARewrite | None, rewrite: S2ARewrite) -> S2ARewrite:
    """``rewrite`` (the newest attempt) with the attempts, usage and time of all so far.

    Example:
        >>> first = S2ARewrite(original="Q?", fallback=True, attempts=1, latency_s=1.0)
        >>> second = S2ARewrite(original="Q?", question="Q?", attempts=1, latency_s=0.5)
        >>> both = combine_attempts(first, second)
        >>> both.attempts, both.latency_s, both.question
        (2, 1.5, 'Q?')
    """
    if previous is None:
        return rewrite.model_copy(update={"attempts": 1})
    return rewrite.model_copy(
        update={
            "attempts": previous.attempts + 1,
            "usage": sum_usage([previous.usage, rewrite.usage]),
            "latency_s": (rewrite.latency_s or 0.0) + (previous.latency_s or 0.0),
        }
    )
