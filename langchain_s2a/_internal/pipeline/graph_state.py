"""The S2A graph's state schemas and per-run context (re-exported by :mod:`langchain_s2a.graph`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.channels import EphemeralValue
from langgraph.graph import add_messages
from typing_extensions import TypedDict

from langchain_s2a.options import (
    REWRITE_OPTIONS,
    Instructed,
    LanguageOption,
    Mode,
    Preset,
    Variant,
    option_choices,
)

__all__ = [
    "CONTEXT_KEY",
    "REWRITE_KEYS",
    "S2AContext",
    "S2AInput",
    "S2AOutput",
    "S2AState",
    "s2a_context",
]

CONTEXT_KEY = "s2a"
"""Key (or attribute) of S2A's options in a parent graph's own runtime context."""


_RunInput = Annotated[Any, EphemeralValue(Any)]
"""``input`` lives for the run's first step only, so a run on a checkpointed thread
sees ``input`` only when it was given one: a run given ``input`` answers it (even when
the thread's ``messages`` end in a turn a failed run left unanswered), and a run given
``messages`` never answers an earlier run's ``input``. The first ``rewrite`` attempt
keeps the run's ``input`` as ``run_input`` for the steps after it."""


class S2AInput(TypedDict, total=False):
    """Input state: ``input`` (text, content blocks, messages) or ``messages`` (a chat).

    A run given ``input`` answers it; a run without answers the last human turn of
    ``messages`` (the thread's conversation, with the run's new turns added).
    """

    input: _RunInput
    """The user's text, a list of content blocks, or a list of chat messages."""
    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation (``MessagesState`` style): its last human turn is rewritten."""


class S2AOutput(TypedDict, total=False):
    """Output state: the fields of :class:`~langchain_s2a.S2AResult`, and ``messages``.

    ``S2AResult.from_graph_output(output)`` turns it into the chain's result type.
    """

    answer: str
    """The answer text."""
    rewrite: dict[str, Any]
    """The rewrite, as :class:`S2ARewrite` fields (``S2ARewrite(**state["rewrite"])``)."""
    message: AIMessage
    """The answer model's message."""
    messages: Annotated[list[AnyMessage], add_messages]
    """In messages mode: the conversation, the user's turns as sent and the answer appended."""
    mode: Mode
    """How the answer was produced (``s2a``, ``instructed`` or ``baseline``)."""
    answer_latency_s: float
    """Wall time of the answer step in seconds (also at
    ``message.response_metadata["s2a_answer_latency_s"]``)."""


class S2AState(TypedDict, total=False):
    """Full graph state.

    On a checkpointed thread every run starts fresh: the first ``rewrite`` attempt
    of a run overwrites ``rewrite``, ``attempts``, ``keep_original`` and
    ``run_input`` whatever an earlier run left there, and ``input`` is not kept past
    the run's first step. ``messages`` is the exception: it is the thread's
    conversation, so each run's answer is appended to it.
    """

    input: _RunInput
    run_input: Any
    """The run's ``input`` (``None``: the run answers ``messages``), kept by the first
    ``rewrite`` attempt for the steps after it."""
    messages: Annotated[list[AnyMessage], add_messages]
    rewrite: dict[str, Any]
    attempts: int
    keep_original: bool
    answer: str
    message: AIMessage
    mode: Mode
    answer_latency_s: float
    retry_of: dict[str, Any]
    """Only in the ``Send`` of the retry edge: the rejected rewrite of this run."""


@dataclass
class S2AContext:
    """Per-run options (LangGraph runtime context); ``None`` keeps the build-time value.

    Run alone, the S2A graph takes an ``S2AContext`` (or a dict of its fields) as
    its context. As a node of a parent graph with a context of its own, the S2A
    graph reads only its options: the parent's context may *be* an ``S2AContext``,
    or carry one (or a dict of its fields) under the key or attribute ``"s2a"``
    (:data:`CONTEXT_KEY`); any other context is the parent's and is ignored.

    Example:
        ``graph.invoke({"input": text}, context=S2AContext(preset="relevance"))``;
        in a parent graph, ``app.invoke(state, context={"user_id": "u1", "s2a":
        {"preset": "relevance"}})``.

    """

    preset: Preset | None = None
    """Prompt preset."""
    variant: Variant | None = None
    """Rewrite variant."""
    language: LanguageOption | None = None
    """Prompt language."""
    keep_original: bool | None = None
    """Route through ``append_original`` (S2A-KeepOrig)."""
    instructed: Instructed | None = None
    """Add the debiasing instruction to the answer step."""
    answer_format: str | None = None
    """Format instruction appended to the answer prompt."""
    model: str | None = None
    """Answer model name (``init_chat_model`` style or ``local:SIZE``)."""
    rewriter_model: str | None = None
    """Rewriter model name; defaults to the answer model."""

    def __post_init__(self) -> None:
        """Refuse a bad option here, where the run's options enter, in one line."""
        for name, choices in _CHOICES.items():
            value = getattr(self, name)
            if value is not None and value not in choices:
                allowed = ", ".join(repr(c) for c in choices)
                raise ValueError(f"S2AContext {name}={value!r} is not one of {allowed} (or None)")
        if self.keep_original is not None and not isinstance(self.keep_original, bool):
            raise ValueError(f"S2AContext keep_original={self.keep_original!r} is not a bool")
        if self.instructed is not None and not (
            isinstance(self.instructed, bool) or self.instructed == "auto"
        ):
            raise ValueError(
                f"S2AContext instructed={self.instructed!r} is not True, False or 'auto'"
            )
        if self.answer_format is not None and not isinstance(self.answer_format, str):
            raise ValueError(f"S2AContext answer_format={self.answer_format!r} is not a string")
        for name in ("model", "rewriter_model"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and value.strip()):
                raise ValueError(
                    f"S2AContext {name}={value!r} is not a model name (such as "
                    "'openai:gpt-4o-mini' or 'local:0.5b')"
                )


REWRITE_KEYS = tuple(f.name for f in fields(S2AContext) if f.name in REWRITE_OPTIONS)
"""The :class:`S2AContext` fields that are rewriter options, checked against
:class:`~langchain_s2a.options.RewriteOptions` and applied to the rewriter per run."""

_CHOICES: dict[str, tuple[str, ...]] = {name: option_choices(name) for name in REWRITE_KEYS}


def s2a_context(context: object) -> S2AContext:
    """S2A's options in a run's runtime ``context``, whoever owns that context.

    Args:
        context: The runtime context: an :class:`S2AContext`, a parent graph's
            context holding one under :data:`CONTEXT_KEY` (a mapping key or an
            attribute), or anything else (no S2A options: the build-time ones apply).

    Returns:
        The options.

    Raises:
        TypeError: If the ``"s2a"`` entry is neither an ``S2AContext`` nor a mapping.
        ValueError: If it names an option ``S2AContext`` does not have, or gives
            one a value it does not take.

    Example:
        >>> s2a_context({"user_id": "u1", "model": "openai:gpt-4o"}) == S2AContext()
        True
        >>> s2a_context({"user_id": "u1", "s2a": {"model": "local:0.5b"}}).model
        'local:0.5b'
    """
    if isinstance(context, S2AContext):
        return context
    if isinstance(context, Mapping):
        own = context.get(CONTEXT_KEY)
    else:
        own = getattr(context, CONTEXT_KEY, None)
    if own is None:
        return S2AContext()
    if isinstance(own, S2AContext):
        return own
    if not isinstance(own, Mapping):
        raise TypeError(
            f"the runtime context's {CONTEXT_KEY!r} entry must be an S2AContext or a dict "
            f"of its fields; got {type(own).__name__}"
        )
    known = {f.name for f in fields(S2AContext)}
    unknown = sorted(str(k) for k in own if k not in known)
    if unknown:
        raise ValueError(
            f"unknown S2A context option(s) {unknown}; S2AContext takes {sorted(known)}"
        )
    return S2AContext(**own)
