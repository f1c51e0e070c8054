"""The S2A graph's node functions (see :func:`langchain_s2a.graph.build_s2a_graph`)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import BaseCallbackManager
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import merge_configs, patch_config
from langchain_core.tracers._streaming import _StreamingCallbackHandler
from langgraph.config import get_stream_writer
from langgraph.runtime import get_runtime
from langgraph.types import Send

from langchain_s2a._internal.io.calls import (
    CallPolicy,
    acall_model,
    as_ai_message,
    astream_model,
    call_model,
    stream_model,
)
from langchain_s2a._internal.io.inputs import InputParts, coerce_input
from langchain_s2a._internal.pipeline.answer import ANSWER_RUN_NAME, answer_messages
from langchain_s2a._internal.pipeline.attempts import (
    REWRITE_TAGS,
    combine_attempts,
    passthrough,
    retry_wanted,
)
from langchain_s2a._internal.pipeline.graph_state import (
    REWRITE_KEYS,
    S2AContext,
    S2AState,
    s2a_context,
)
from langchain_s2a.models import resolve_chat_model
from langchain_s2a.options import Instructed, Mode
from langchain_s2a.result import METADATA_KEY, REWRITE_NAME, S2ARewrite

if TYPE_CHECKING:  # the graph hands its rewriter in; this layer sits below rewriter.py
    from langchain_s2a.rewriter import S2ARewriter

__all__ = ["S2AGraphNodes"]

_Model = Runnable[LanguageModelInput, BaseMessage]


def _joined(chunks: list[Any]) -> Any:
    """A streamed reply's chunks as one message."""
    if not chunks:
        raise ValueError("the answer model's stream returned no chunks")
    return sum(chunks[1:], chunks[0]) if len(chunks) > 1 else chunks[0]


class S2AGraphNodes:
    """The node functions, closed over the build-time options."""

    def __init__(
        self,
        model: _Model,
        rewriter: S2ARewriter,
        *,
        mode: Mode,
        keep_original: bool,
        instructed: Instructed,
        answer_format: str | None,
        max_retries: int,
        timeout: float | None,
    ) -> None:
        self.model = model
        self.rewriter = rewriter
        self.mode: Mode = mode
        self.keep_original = keep_original
        self.instructed = instructed
        self.answer_format = answer_format
        self.max_retries = max_retries
        self.policy = CallPolicy(timeout=timeout)  # retries come from the node RetryPolicy
        self._models: dict[str, _Model] = {}

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _context() -> S2AContext:
        # As a node of a parent graph, the runtime context is the parent's: only
        # an S2AContext, or one under the "s2a" key, holds this graph's options.
        try:
            context = get_runtime().context
        except RuntimeError:  # pragma: no cover - outside a graph run
            return S2AContext()
        return s2a_context(context)

    def _model(self, name: str | None) -> _Model:
        if name is None:
            return self.model
        if name not in self._models:
            self._models[name] = resolve_chat_model(name)
        return self._models[name]

    def _rewriter(self, ctx: S2AContext, *, with_model: bool = True) -> S2ARewriter:
        updates: dict[str, Any] = {
            key: value for key in REWRITE_KEYS if (value := getattr(ctx, key)) is not None
        }
        if with_model and (ctx.rewriter_model or ctx.model):
            updates["model"] = self._model(ctx.rewriter_model or ctx.model)
        return self.rewriter.model_copy(update=updates) if updates else self.rewriter

    def _run_input(self, state: S2AState, *, first_step: bool) -> Any:
        """This run's ``input``, or ``None`` when the run answers ``messages``.

        ``input`` is in the state in the run's first step only (the ``rewrite`` node,
        whose retries get it in their ``Send``, or ``answer`` when there is no
        rewrite step); the first rewrite attempt keeps it as ``run_input``.
        """
        if first_step or self.mode != "s2a":
            return state.get("input")
        return state.get("run_input")

    def _parts(self, state: S2AState, max_chars: int, *, first_step: bool) -> InputParts:
        source = self._run_input(state, first_step=first_step)
        if source is None and state.get("messages"):
            source = state["messages"]
        # Only text blocks are rewritten; images, audio and files stay in the human
        # turn and reach the answer model in order.
        return coerce_input(source, max_chars=max_chars, other_blocks="skip")

    # ------------------------------------------------------------- rewrite
    def _rewrite_inputs(
        self, state: S2AState, config: RunnableConfig
    ) -> tuple[S2ARewriter, InputParts, RunnableConfig, S2ARewrite | None]:
        rewriter = self._rewriter(self._context())
        parts = self._parts(state, rewriter.max_input_chars, first_step=True)
        # A retry comes with ``retry_of`` (see ``route``); any other call is a run's
        # first attempt, so what an earlier run on the thread left in the state is ignored.
        data = state.get("retry_of")
        previous = S2ARewrite(**data) if data else None
        return rewriter, parts, merge_configs(config, {"tags": list(REWRITE_TAGS)}), previous

    def _rewrite_update(
        self,
        state: S2AState,
        rewriter: S2ARewriter,
        previous: S2ARewrite | None,
        attempt: S2ARewrite,
    ) -> dict[str, Any]:
        rewrite = combine_attempts(previous, attempt)
        if not retry_wanted(rewrite, self.max_retries):
            rewriter.check(rewrite)  # raises S2ARewriteError when on_failure="raise"
        data = rewrite.model_dump()
        get_stream_writer()({REWRITE_NAME: data})
        return {
            "rewrite": data,
            "attempts": rewrite.attempts,
            "keep_original": False,
            "run_input": self._run_input(state, first_step=True),
        }

    def rewrite(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        rewriter, parts, config, previous = self._rewrite_inputs(state, config)
        attempt = rewriter.attempt(parts, config, previous=previous)
        return self._rewrite_update(state, rewriter, previous, attempt)

    async def arewrite(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        rewriter, parts, config, previous = self._rewrite_inputs(state, config)
        attempt = await rewriter.aattempt(parts, config, previous=previous)
        return self._rewrite_update(state, rewriter, previous, attempt)

    def rewrite_node(self) -> RunnableLambda[S2AState, dict[str, Any]]:
        """The ``rewrite`` node (sync and async)."""
        return RunnableLambda(self.rewrite, afunc=self.arewrite)

    def route(self, state: S2AState) -> str | Send:
        rewrite = state.get("rewrite") or {}
        if rewrite.get("fallback") and state.get("attempts", 0) <= self.max_retries:
            # The retry edge (drawn as "retry") carries the rejected rewrite, so the
            # node tells a retry from the first attempt of a new run on the thread.
            retry: S2AState = {
                "input": state.get("run_input"),
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

    # -------------------------------------------------------------- answer
    def _answer_inputs(
        self, state: S2AState, config: RunnableConfig
    ) -> tuple[_Model, list[BaseMessage], RunnableConfig, S2ARewrite]:
        ctx = self._context()
        parts = self._parts(state, self.rewriter.max_input_chars, first_step=False)
        if self.mode == "s2a":
            rewrite = S2ARewrite(**(state.get("rewrite") or {}))
        else:  # no rewrite node: the chain's passthrough record
            rewriter = self._rewriter(ctx, with_model=False)
            rewrite = passthrough(parts, preset=rewriter.preset, language=rewriter.language)
        messages = answer_messages(
            parts,
            rewrite,
            mode=self.mode,
            keep_original=bool(state.get("keep_original")),
            instructed=self.instructed if ctx.instructed is None else ctx.instructed,
            answer_format=ctx.answer_format or self.answer_format,
        )
        answer_config = patch_config(config, run_name=ANSWER_RUN_NAME)
        return self._model(ctx.model), messages, answer_config, rewrite

    def _per_chunk(self, config: RunnableConfig) -> bool:
        """Whether the answer's tokens are streamed (``messages`` mode) under a timeout.

        Then the answer is streamed and the timeout bounds the wait for each chunk,
        as in the chain's ``stream``; otherwise it bounds the call as a whole.
        """
        if self.policy.timeout is None:
            return False
        callbacks = config.get("callbacks")
        handlers = callbacks.handlers if isinstance(callbacks, BaseCallbackManager) else callbacks
        return any(isinstance(h, _StreamingCallbackHandler) for h in handlers or [])

    def answer(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        model, messages, config, rewrite = self._answer_inputs(state, config)
        started = time.perf_counter()
        if self._per_chunk(config):
            message = _joined(list(stream_model(model, messages, config, self.policy)))
        else:
            message = call_model(model, messages, config, self.policy)
        return self._answer_update(state, rewrite, message, started)

    async def aanswer(self, state: S2AState, config: RunnableConfig) -> dict[str, Any]:
        model, messages, config, rewrite = self._answer_inputs(state, config)
        started = time.perf_counter()
        if self._per_chunk(config):
            stream = astream_model(model, messages, config, self.policy)
            message = _joined([chunk async for chunk in stream])
        else:
            message = await acall_model(model, messages, config, self.policy)
        return self._answer_update(state, rewrite, message, started)

    def answer_node(self) -> RunnableLambda[S2AState, dict[str, Any]]:
        """The ``answer`` node (sync and async)."""
        return RunnableLambda(self.answer, afunc=self.aanswer)

    def _answer_update(
        self, state: S2AState, rewrite: S2ARewrite, message: Any, started: float
    ) -> dict[str, Any]:
        latency = time.perf_counter() - started
        ai = as_ai_message(message)
        ai.response_metadata.setdefault("s2a_answer_latency_s", latency)
        update: dict[str, Any] = {
            "answer": ai.text,
            "message": ai,
            "mode": self.mode,
            "answer_latency_s": latency,
        }
        if self.mode != "s2a":
            update["rewrite"] = rewrite.model_dump()
        if self._run_input(state, first_step=False) is None:
            # The turn's rewrite rides on its answer, so later turns send this turn
            # as its rewrite without rewriting it again (see ``recorded_rewrite``).
            record = {METADATA_KEY: rewrite.model_dump(mode="json")}
            ai = ai.model_copy(update={"response_metadata": {**ai.response_metadata, **record}})
            update["message"] = ai
            update["messages"] = [ai]  # appended by add_messages; the user's turn stays
        return update
