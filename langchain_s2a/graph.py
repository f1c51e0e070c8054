"""S2A as a LangGraph state graph: rewrite → (append original) → answer, with retry."""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Annotated, Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import merge_configs, patch_config
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph, add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import get_runtime
from langgraph.types import Checkpointer, RetryPolicy, Send
from typing_extensions import TypedDict

from langchain_s2a._answer import ANSWER_RUN_NAME, REWRITE_TAGS, answer_messages
from langchain_s2a._calls import CallPolicy, acall_model, call_model, is_transient
from langchain_s2a._inputs import DEFAULT_MAX_INPUT_CHARS, InputParts, coerce_input
from langchain_s2a._types import (
    Instructed,
    LanguageOption,
    OnFailure,
    Preset,
    StructuredOutput,
    Variant,
)
from langchain_s2a.models import ModelLike, resolve_chat_model
from langchain_s2a.result import _as_ai_message
from langchain_s2a.rewrite import S2ARewrite
from langchain_s2a.rewriter import S2ARewriter

__all__ = ["S2AContext", "S2AInput", "S2AOutput", "S2AState", "build_s2a_graph", "is_transient"]


class S2AInput(TypedDict, total=False):
    """Input state: ``input`` (text, content blocks, messages) or ``messages`` (a chat)."""

    input: Any
    """The user's text, a list of content blocks, or a list of chat messages."""
    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation (``MessagesState`` style): its last human turn is rewritten."""


class S2AOutput(TypedDict, total=False):
    """Output state."""

    answer: str
    """The answer text."""
    rewrite: dict[str, Any]
    """The rewrite, as :class:`S2ARewrite` fields (``S2ARewrite(**state["rewrite"])``)."""
    message: AIMessage
    """The answer model's message."""
    messages: Annotated[list[AnyMessage], add_messages]
    """In messages mode: the conversation, the user's turns as sent and the answer appended."""


class S2AState(TypedDict, total=False):
    """Full graph state.

    On a checkpointed thread every run starts fresh: the first ``rewrite`` attempt
    of a run overwrites ``rewrite``, ``attempts`` and ``keep_original`` whatever an
    earlier run left there. ``messages`` is the exception: it is the thread's
    conversation, so each run's answer is appended to it.
    """

    input: Any
    messages: Annotated[list[AnyMessage], add_messages]
    rewrite: dict[str, Any]
    attempts: int
    keep_original: bool
    answer: str
    message: AIMessage
    retry_of: dict[str, Any]
    """Only in the ``Send`` of the retry edge: the rejected rewrite of this run."""


@dataclass
class S2AContext:
    """Per-run options (LangGraph runtime context); ``None`` keeps the build-time value.

    Example:
        ``graph.invoke({"input": text}, context=S2AContext(preset="relevance"))``

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


def _messages_mode(state: S2AState) -> bool:
    """Whether this run answers ``messages`` rather than ``input``.

    ``messages`` is answered when there is no ``input``, or when its last message is
    not an answer yet (on a thread, ``input`` may be an earlier run's).
    """
    messages = state.get("messages")
    if not messages:
        return False
    return state.get("input") is None or messages[-1].type != "ai"


def _sum_usage(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if not a or not b:
        return a or b
    keys = ("input_tokens", "output_tokens", "total_tokens")
    return {**b, **{k: int(a.get(k, 0)) + int(b.get(k, 0)) for k in keys}}


class _S2AGraphNodes:
    """The node functions, closed over the build-time options."""

    def __init__(
        self,
        model: Runnable[LanguageModelInput, BaseMessage],
        rewriter: S2ARewriter,
        *,
        keep_original: bool,
        instructed: Instructed,
        answer_format: str | None,
        max_retries: int,
        timeout: float | None,
    ) -> None:
        self.model = model
        self.rewriter = rewriter
        self.keep_original = keep_original
        self.instructed = instructed
        self.answer_format = answer_format
        self.max_retries = max_retries
        self.policy = CallPolicy(timeout=timeout)  # retries come from the node RetryPolicy
        self._models: dict[str, Runnable[LanguageModelInput, BaseMessage]] = {}

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _context() -> S2AContext:
        try:
            context = get_runtime().context
        except RuntimeError:  # pragma: no cover - outside a graph run
            return S2AContext()
        if isinstance(context, S2AContext):
            return context
        if isinstance(context, dict):
            return S2AContext(**context)
        return S2AContext()

    def _model(self, name: str | None) -> Runnable[LanguageModelInput, BaseMessage]:
        if name is None:
            return self.model
        if name not in self._models:
            self._models[name] = resolve_chat_model(name)
        return self._models[name]

    def _rewriter(self, ctx: S2AContext) -> S2ARewriter:
        updates: dict[str, Any] = {
            key: value
            for key in ("preset", "variant", "language")
            if (value := getattr(ctx, key)) is not None
        }
        if ctx.rewriter_model or ctx.model:
            updates["model"] = self._model(ctx.rewriter_model or ctx.model)
        return self.rewriter.model_copy(update=updates) if updates else self.rewriter

    def _finish_rewrite(
        self, state: S2AState, rewriter: S2ARewriter, rewrite: S2ARewrite
    ) -> dict[str, Any]:
        # A retry comes with ``retry_of`` (see ``route``); any other call is a run's
        # first attempt, so what an earlier run on the thread left in the state is ignored.
        previous = state.get("retry_of")
        attempts = state.get("attempts", 0) + 1 if previous else 1
        rewrite = rewrite.model_copy(
            update={
                "attempts": attempts,
                "usage": _sum_usage(previous and previous.get("usage"), rewrite.usage),
                "latency_s": (rewrite.latency_s or 0.0)
                + ((previous or {}).get("latency_s") or 0.0),
            }
        )
        if rewrite.fallback and attempts > self.max_retries:
            rewriter.check(rewrite)  # raises S2ARewriteError when on_failure="raise"
        data = rewrite.model_dump()
        get_stream_writer()({"s2a_rewrite": data})
        return {"rewrite": data, "attempts": attempts, "keep_original": False}

    @staticmethod
    def _rewrite_config(config: RunnableConfig) -> RunnableConfig:
        return merge_configs(config, {"tags": list(REWRITE_TAGS)})

    @staticmethod
    def _parts(state: S2AState, max_chars: int) -> InputParts:
        source = state.get("messages") if _messages_mode(state) else state.get("input")
        # Only text blocks are rewritten; images, audio and files stay in the human
        # turn and reach the answer model in order.
        return coerce_input(source, max_chars=max_chars, other_blocks="skip")

    @staticmethod
    def _previous(state: S2AState) -> S2ARewrite | None:
        data = state.get("retry_of")
        return S2ARewrite(**data) if data else None

    # --------------------------------------------------------------- nodes
    def rewrite(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        rewriter = self._rewriter(self._context())
        parts = self._parts(state, rewriter.max_input_chars)
        result = rewriter.attempt(
            parts, self._rewrite_config(config), previous=self._previous(state)
        )
        return self._finish_rewrite(state, rewriter, result)

    async def arewrite(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        rewriter = self._rewriter(self._context())
        parts = self._parts(state, rewriter.max_input_chars)
        result = await rewriter.aattempt(
            parts, self._rewrite_config(config), previous=self._previous(state)
        )
        return self._finish_rewrite(state, rewriter, result)

    def route(self, state: S2AState) -> str | Send:
        rewrite = state.get("rewrite") or {}
        if rewrite.get("fallback") and state.get("attempts", 0) <= self.max_retries:
            # The retry edge (drawn as "retry") carries the rejected rewrite, so the
            # node tells a retry from the first attempt of a new run on the thread.
            retry: S2AState = {
                "input": state.get("input"),
                "attempts": state.get("attempts", 0),
                "retry_of": rewrite,
            }
            if "messages" in state:
                retry["messages"] = state["messages"]
            return Send("rewrite", retry)
        ctx = self._context()
        keep = self.keep_original if ctx.keep_original is None else ctx.keep_original
        return "keep_original" if keep else "answer"

    @staticmethod
    def append_original(state: S2AState) -> dict[str, Any]:
        return {"keep_original": True}

    def _answer_messages(self, state: S2AState) -> list[BaseMessage]:
        ctx = self._context()
        parts = self._parts(state, self.rewriter.max_input_chars)
        return answer_messages(
            parts,
            S2ARewrite(**(state.get("rewrite") or {})),
            keep_original=bool(state.get("keep_original")),
            instructed=self.instructed if ctx.instructed is None else ctx.instructed,
            answer_format=ctx.answer_format or self.answer_format,
        )

    def answer(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        started = time.perf_counter()
        message = call_model(
            self._model(self._context().model),
            self._answer_messages(state),
            patch_config(config, run_name=ANSWER_RUN_NAME),
            self.policy,
        )
        return self._answer_update(state, message, started)

    async def aanswer(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        started = time.perf_counter()
        message = await acall_model(
            self._model(self._context().model),
            self._answer_messages(state),
            patch_config(config, run_name=ANSWER_RUN_NAME),
            self.policy,
        )
        return self._answer_update(state, message, started)

    @staticmethod
    def _answer_update(state: S2AState, message: BaseMessage, started: float) -> dict[str, Any]:
        ai = _as_ai_message(message)
        ai.response_metadata.setdefault("s2a_answer_latency_s", time.perf_counter() - started)
        update: dict[str, Any] = {"answer": ai.text, "message": ai}
        if _messages_mode(state):
            update["messages"] = [ai]  # appended by add_messages; the user's turn stays
        return update


def build_s2a_graph(
    model: ModelLike = None,
    *,
    rewriter_model: ModelLike = None,
    preset: Preset = "opinion",
    variant: Variant = "extractive",
    language: LanguageOption = "auto",
    keep_original: bool = False,
    instructed: Instructed = "auto",
    max_retries: int = 1,
    on_failure: OnFailure = "original",
    answer_format: str | None = None,
    structured_output: StructuredOutput = "auto",
    max_input_chars: int = DEFAULT_MAX_INPUT_CHARS,
    timeout: float | None = None,
    retry_policy: RetryPolicy | None = None,
    checkpointer: Checkpointer = None,
    name: str = "s2a",
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
    blocks are rewritten for the answer model, which sees the whole conversation;
    the answer is appended to ``messages`` as an ``AIMessage`` and the user's turn
    stays as sent. On a checkpointed thread each run adds its answer to the chat.
    In every input form, image, audio and file blocks reach the answer model
    untouched and in order.

    Args:
        model: The answering model (chat model, name, or ``None`` for the local one).
        rewriter_model: A separate rewrite model; defaults to ``model``.
        preset: ``"opinion"`` or ``"relevance"``.
        variant: ``"extractive"`` (default: the model picks sentence numbers and
            the rewrite is the input's own sentences, verbatim), ``"split"``
            (the paper's S2A: context + question written by the model) or
            ``"single"`` (S2A-Single).
        language: ``"auto"``, ``"en"`` or ``"zh"``.
        keep_original: Route through ``append_original`` by default (S2A-KeepOrig).
        instructed: Add the debiasing instruction to the answer step:
            ``"auto"`` (default) only after an abstractive rewrite,
            ``True`` always, ``False`` never (S2A-NI).
        max_retries: Extra rewrite attempts after a rejected rewrite (0 disables
            the retry edge).
        on_failure: ``"original"`` or ``"raise"`` once retries are spent.
        answer_format: Format instruction appended to the answer prompt.
        structured_output: See :class:`S2ARewriter`.
        max_input_chars: Input length limit.
        timeout: Seconds each model call may take, as a whole (also when the
            answer's tokens are streamed in ``messages`` mode); time waiting for
            a worker does not count. A timeout is a transient error, retried by
            ``retry_policy``.
        retry_policy: Policy for transient model errors; default retries
            :func:`is_transient` errors 3 times with backoff.
        checkpointer: Passed to ``compile`` (e.g. ``InMemorySaver()``). Each run
            on a thread starts fresh (attempts, rewrite, route); the thread keeps
            the latest run's state and the history of all.
        name: The compiled graph's name.

    Returns:
        A compiled graph. Input ``{"input": ...}`` or ``{"messages": [...]}``;
        output ``answer``, ``rewrite``, ``message`` and ``messages``.

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

    """
    if max_retries < 0:
        raise ValueError(f"max_retries must be >= 0, got {max_retries}")
    answer_model = resolve_chat_model(model)
    rewriter = S2ARewriter(
        answer_model if rewriter_model is None else resolve_chat_model(rewriter_model),
        preset=preset,
        variant=variant,
        language=language,
        on_failure=on_failure,
        structured_output=structured_output,
        max_input_chars=max_input_chars,
        timeout=timeout,
        max_attempts=1,  # the node's RetryPolicy retries
    )
    nodes = _S2AGraphNodes(
        answer_model,
        rewriter,
        keep_original=keep_original,
        instructed=instructed,
        answer_format=answer_format,
        max_retries=max_retries,
        timeout=timeout,
    )
    policy = retry_policy or RetryPolicy(max_attempts=3, retry_on=is_transient)
    builder = StateGraph(
        S2AState, context_schema=S2AContext, input_schema=S2AInput, output_schema=S2AOutput
    )
    builder.add_node(
        "rewrite", RunnableLambda(nodes.rewrite, afunc=nodes.arewrite), retry_policy=policy
    )
    builder.add_node("append_original", nodes.append_original)
    builder.add_node(
        "answer", RunnableLambda(nodes.answer, afunc=nodes.aanswer), retry_policy=policy
    )
    builder.add_edge(START, "rewrite")
    path_map: dict[Hashable, str] = {"keep_original": "append_original", "answer": "answer"}
    if max_retries:
        path_map["retry"] = "rewrite"
    builder.add_conditional_edges("rewrite", nodes.route, path_map)
    builder.add_edge("append_original", "answer")
    builder.add_edge("answer", END)
    return builder.compile(checkpointer=checkpointer, name=name)
