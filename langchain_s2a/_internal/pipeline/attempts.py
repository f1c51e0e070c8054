"""What the S2A chain and the S2A graph share around their rewriter.

Both shells take either a ready :class:`~langchain_s2a.S2ARewriter` (``rewriter=``)
or the rewriter's options as a shorthand (:func:`resolve_rewriter`, which rewrites
with the answer model stripped of its tools: :func:`without_tools`); both retry a
rejected rewrite with the rejected reply and its reason (:func:`retry_wanted`,
:func:`combine_attempts`); and both record a run with no rewrite step the same way
(:func:`passthrough`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableWithFallbacks
from langchain_core.runnables.base import RunnableBindingBase

from langchain_s2a._internal.io.inputs import DEFAULT_MAX_INPUT_CHARS, InputParts
from langchain_s2a._internal.pipeline.answer import passthrough_rewrite
from langchain_s2a.result import S2ARewrite
from langchain_s2a.rewriter import S2ARewriter

__all__ = [
    "REWRITER_OPTIONS",
    "combine_attempts",
    "passthrough",
    "resolve_rewriter",
    "retry_wanted",
    "without_tools",
]

REWRITER_OPTIONS: dict[str, Any] = {
    "rewriter_model": None,
    "preset": "opinion",
    "variant": "extractive",
    "language": "auto",
    "on_failure": "original",
    "structured_output": "auto",
    "max_input_chars": DEFAULT_MAX_INPUT_CHARS,
    "prompt_style": "ours",
    "judge_sentences": "auto",
}
"""The factories' shorthand options for the rewriter they build, with their defaults.

With a ready ``rewriter=`` these must stay at their defaults. ``timeout`` and
``max_attempts`` are not among them: they are the answer call's options too, and
with a ready rewriter they apply to the answer call only."""


TOOL_KWARGS = frozenset(
    {
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "parallel_tool_calls",
        "response_format",
        "ls_structured_output_format",
    }
)
"""Call parameters ``bind_tools`` (and an agent's response format) bind on a model."""


def without_tools(
    model: Runnable[LanguageModelInput, BaseMessage],
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` without the tools (and tool choice) bound on it, for the rewrite call.

    ``llm.bind_tools(tools, tool_choice="any")`` is a ``RunnableBinding`` whose
    ``kwargs`` carry the tools; a provider that obeys them answers the rewrite
    prompt with a tool call, and every rewrite would fall back. The bindings (also
    under ``with_retry``, ``with_config`` and fallbacks) keep every other parameter.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> llm = GenericFakeChatModel(messages=iter([]))
        >>> bound = llm.bind(tools=[{"type": "function"}], tool_choice="any", temperature=0)
        >>> dict(without_tools(bound).kwargs)
        {'temperature': 0}
        >>> without_tools(llm) is llm
        True
    """
    if isinstance(model, RunnableBindingBase):
        inner = without_tools(model.bound)
        kwargs = {k: v for k, v in model.kwargs.items() if k not in TOOL_KWARGS}
        if inner is model.bound and len(kwargs) == len(model.kwargs):
            return model
        return model.model_copy(update={"bound": inner, "kwargs": kwargs})
    if isinstance(model, RunnableWithFallbacks):
        runnable = without_tools(model.runnable)
        fallbacks = [without_tools(f) for f in model.fallbacks]
        return model.model_copy(update={"runnable": runnable, "fallbacks": fallbacks})
    return model


def resolve_rewriter(
    rewriter: S2ARewriter | None,
    model: Runnable[LanguageModelInput, BaseMessage],
    *,
    factory: str,
    timeout: float | None,
    max_attempts: int,
    **options: Any,
) -> S2ARewriter:
    """The ready ``rewriter`` as is, or one built from the shorthand ``options``.

    Args:
        rewriter: A ready rewriter, or ``None`` to build one.
        model: The answer model; without its tools (:func:`without_tools`), the
            rewrite model when no ``rewriter_model`` is given.
        factory: The caller's name, for the error message.
        timeout: Seconds one rewrite call may take (built rewriter only).
        max_attempts: Attempts per rewrite call (built rewriter only).
        **options: Keys of :data:`REWRITER_OPTIONS` (the model is resolved already).

    Returns:
        The rewriter to use.

    Raises:
        ValueError: If a ready rewriter comes with shorthand options set.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> ready = S2ARewriter(GenericFakeChatModel(messages=iter([])), variant="split")
        >>> resolve_rewriter(ready, ready.model, factory="f", timeout=None, max_attempts=3) is ready
        True
        >>> resolve_rewriter(ready, ready.model, factory="f", timeout=None, max_attempts=3,
        ...                  preset="relevance")
        Traceback (most recent call last):
        ...
        ValueError: f got rewriter= and rewriter options ['preset']; set them on the S2ARewriter instead
    """
    if rewriter is not None:
        clashes = sorted(k for k, v in options.items() if v != REWRITER_OPTIONS[k])
        if clashes:
            raise ValueError(
                f"{factory} got rewriter= and rewriter options {clashes}; "
                "set them on the S2ARewriter instead"
            )
        return rewriter
    rewrite_model = options.pop("rewriter_model", None)
    return S2ARewriter(
        without_tools(model) if rewrite_model is None else rewrite_model,
        timeout=timeout,
        max_attempts=max_attempts,
        **options,
    )


def passthrough(parts: InputParts, rewriter: S2ARewriter) -> S2ARewrite:
    """The record of a run with no rewrite step (``baseline`` / ``instructed`` modes)."""
    return passthrough_rewrite(
        parts, preset=rewriter.preset, language=rewriter.resolve_language(parts.text)
    )


def retry_wanted(rewrite: S2ARewrite, max_retries: int) -> bool:
    """Whether a rejected ``rewrite`` gets another attempt (``max_retries`` extra in all)."""
    return rewrite.fallback and rewrite.attempts <= max_retries


def _sum_usage(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if not a or not b:
        return a or b
    keys = ("input_tokens", "output_tokens", "total_tokens")
    return {**b, **{k: int(a.get(k, 0)) + int(b.get(k, 0)) for k in keys}}


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
            "usage": _sum_usage(previous.usage, rewrite.usage),
            "latency_s": (rewrite.latency_s or 0.0) + (previous.latency_s or 0.0),
        }
    )
