"""S2A as a LangGraph state graph: rewrite → (append original) → answer, with retry."""

from __future__ import annotations

from collections.abc import Hashable

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer, RetryPolicy
from typing_extensions import Unpack

from langchain_s2a._internal.io.calls import is_transient
from langchain_s2a._internal.pipeline.graph_nodes import S2AGraphNodes
from langchain_s2a._internal.pipeline.graph_state import S2AContext, S2AInput, S2AOutput, S2AState
from langchain_s2a.models import ModelLike, resolve_chat_model
from langchain_s2a.options import Instructed, Mode, RewriteOptions
from langchain_s2a.rewriter import S2ARewriter, resolve_rewriter

__all__ = ["S2AContext", "S2AInput", "S2AOutput", "S2AState", "build_s2a_graph"]

_DEFAULT_ATTEMPTS = 3


def build_s2a_graph(
    model: ModelLike = None,
    *,
    rewriter: S2ARewriter | None = None,
    rewriter_model: ModelLike = None,
    mode: Mode = "s2a",
    keep_original: bool = False,
    instructed: Instructed = "auto",
    answer_format: str | None = None,
    max_retries: int = 1,
    timeout: float | None = None,
    max_attempts: int = _DEFAULT_ATTEMPTS,
    retry_policy: RetryPolicy | None = None,
    checkpointer: Checkpointer = None,
    name: str = "s2a",
    **options: Unpack[RewriteOptions],
) -> CompiledStateGraph[S2AState, S2AContext, S2AInput, S2AOutput]:
    """Build the S2A graph: ``rewrite`` → (``append_original``) → ``answer``.

    A rewrite that fails validation (empty, no question section, question lost,
    truncated) loops back to ``rewrite`` — with the rejected reply and the reason
    sent to the model — up to ``max_retries`` times; after that the original input
    is used (``rewrite["fallback"]`` is set) or, with ``on_failure="raise"``,
    :class:`~langchain_s2a.S2ARewriteError` is raised. Transient model errors
    (timeouts, rate limits, 5xx) are retried by LangGraph's ``RetryPolicy``.
    Per-run options come through the runtime context (:class:`S2AContext`).

    The graph speaks messages too: with ``{"messages": [...]}`` (a chat UI, the
    LangGraph SDK, a ``MessagesState`` parent graph) the last human turn's text
    blocks are rewritten for the answer model, which sees the whole conversation
    with earlier turns as their own rewrites (recorded on each answer at
    ``response_metadata["s2a"]`` and reused, so each turn is rewritten once); the
    answer is appended to ``messages`` as an ``AIMessage`` and the user's turn
    stays as sent. On a checkpointed thread each run adds its answer to the chat.
    In every input form, image, audio and file blocks reach the answer model
    untouched and in order.

    With ``mode="instructed"`` or ``"baseline"`` there is no rewrite: the graph is
    ``answer`` alone, with the same answer prompt as :func:`~langchain_s2a.create_s2a_chain`.
    The output carries the fields of :class:`~langchain_s2a.S2AResult`
    (``S2AResult.from_graph_output(out)`` converts it).

    Args:
        model: The answering model (chat model, name, or ``None`` for the local one).
        rewriter: A ready :class:`~langchain_s2a.S2ARewriter`, used as is (its own
            model, which may differ from ``model``, and its own options; its own
            ``max_attempts`` retries inside the node's ``retry_policy``).
            ``rewriter_model`` and the rewriter's ``**options`` are a shorthand for
            building one and must then stay at their defaults (``ValueError``
            otherwise); ``timeout`` then applies to the answer call only.
        rewriter_model: A separate rewrite model; defaults to ``model``.
        mode: ``"s2a"``; ``"instructed"`` (no rewrite, original + instruction);
            ``"baseline"`` (original straight to the model).
        keep_original: Route through ``append_original`` by default (S2A-KeepOrig).
        instructed: Add the debiasing instruction to the answer step:
            ``"auto"`` (default) only after an abstractive rewrite,
            ``True`` always, ``False`` never (S2A-NI).
        answer_format: Format instruction appended to the answer prompt.
        max_retries: Extra rewrite attempts after a rejected rewrite (empty,
            unparseable, question lost, ...), each sent the rejected reply and
            the reason; once they are spent, ``on_failure`` applies. ``0``
            disables the retry edge.
        timeout: Seconds each model call may take, as a whole; when the
            answer's tokens are streamed (``stream_mode="messages"``), the wait
            for its first token and each gap between tokens instead, as in the
            chain's ``stream``. Time waiting for a worker does not count. A
            timeout is a transient error, retried by ``retry_policy``.
        max_attempts: Attempts per model call on transient errors (timeouts,
            rate limits, 5xx), with exponential backoff; other errors fail fast.
            Shorthand for ``retry_policy=RetryPolicy(max_attempts=N,
            retry_on=is_transient)``.
        retry_policy: The nodes' full ``RetryPolicy``, instead of ``max_attempts``.
        checkpointer: Passed to ``compile`` (e.g. ``InMemorySaver()``). Each run
            on a thread starts fresh (attempts, rewrite, route); the thread keeps
            the latest run's state and the history of all.
        name: The compiled graph's name.
        **options: The rewriter's options (:class:`~langchain_s2a.options.RewriteOptions`:
            ``preset``, ``variant``, ``language``, ``on_failure``, ...), with
            :class:`~langchain_s2a.S2ARewriter`'s defaults where not given.

    Returns:
        A compiled graph. Input ``{"input": ...}`` or ``{"messages": [...]}``;
        output ``answer``, ``rewrite``, ``message``, ``mode``, ``answer_latency_s``
        and ``messages``.

    Raises:
        ValueError: For ``max_retries < 0``, ``rewriter`` with rewriter options
            set, or ``max_attempts`` together with ``retry_policy``.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> model = GenericFakeChatModel(messages=iter([
        ...     "Context: none\\nQuestion: Who wrote Hamlet?", "William Shakespeare."]))
        >>> graph = build_s2a_graph(model)
        >>> out = graph.invoke({"input": "Who wrote Hamlet? I think Marlowe did."})
        >>> out["answer"], out["rewrite"]["question"]
        ('William Shakespeare.', 'Who wrote Hamlet?')
        >>> model = GenericFakeChatModel(messages=iter(["Keep: 1\\nQuestion: 1", "Shakespeare."]))
        >>> chat = build_s2a_graph(model).invoke(
        ...     {"messages": [("user", "Who wrote Hamlet? I think Marlowe did.")]})
        >>> [(m.type, m.text) for m in chat["messages"]]
        [('human', 'Who wrote Hamlet? I think Marlowe did.'), ('ai', 'Shakespeare.')]
        >>> from langchain_s2a import S2AResult
        >>> base = build_s2a_graph(GenericFakeChatModel(messages=iter(["Paris."])), mode="baseline")
        >>> S2AResult.from_graph_output(base.invoke({"input": "Capital of France?"})).answer
        'Paris.'

    """
    if max_retries < 0:
        raise ValueError(f"max_retries must be >= 0, got {max_retries}")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    if retry_policy is not None and max_attempts != _DEFAULT_ATTEMPTS:
        raise ValueError("build_s2a_graph got both max_attempts and retry_policy; pass one")
    answer_model = resolve_chat_model(model)
    nodes = S2AGraphNodes(
        answer_model,
        resolve_rewriter(
            rewriter,
            answer_model,
            factory="build_s2a_graph",
            rewriter_model=None if rewriter_model is None else resolve_chat_model(rewriter_model),
            timeout=timeout,
            max_attempts=1,  # the node's RetryPolicy retries
            options=options,
        ),
        mode=mode,
        keep_original=keep_original,
        instructed=instructed,
        answer_format=answer_format,
        max_retries=max_retries,
        timeout=timeout,
    )
    policy = retry_policy or RetryPolicy(max_attempts=max_attempts, retry_on=is_transient)
    builder = StateGraph(
        S2AState, context_schema=S2AContext, input_schema=S2AInput, output_schema=S2AOutput
    )
    if mode == "s2a":
        builder.add_node("rewrite", nodes.rewrite_node(), retry_policy=policy)
        builder.add_node("append_original", nodes.append_original)
    builder.add_node("answer", nodes.answer_node(), retry_policy=policy)
    if mode == "s2a":
        builder.add_edge(START, "rewrite")
        path_map: dict[Hashable, str] = {"keep_original": "append_original", "answer": "answer"}
        if max_retries:
            path_map["retry"] = "rewrite"
        builder.add_conditional_edges("rewrite", nodes.route, path_map)
        builder.add_edge("append_original", "answer")
    else:  # no rewrite step: the answer alone, with the chain's prompt for the mode
        builder.add_edge(START, "answer")
    builder.add_edge("answer", END)
    return builder.compile(checkpointer=checkpointer, name=name)
