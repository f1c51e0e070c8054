"""A chat model whose calls make child runs: the base of :class:`~langchain_s2a.S2AChatModel`.

A wrapper chat model calls other runnables (a rewriter, the wrapped model) from
``_generate``/``_stream``, and their runs belong under the wrapper's own run, with
the caller's callbacks, tags, metadata and ``configurable``. ``_generate`` gets a
run manager for that, but langchain-core calls ``_stream`` without one; so
``invoke``/``stream`` (and their async twins) fix the run id of the model's run in
advance and keep the caller's config in a context variable, from which
:meth:`NestingChatModel._child_config` builds the children's config.

The message such a wrapper returns is a child's (the wrapped model's), usage and
all; the child's run has reported that usage to the callbacks already. So the
wrapper's own run reports none (:meth:`NestingChatModel._unreported`): usage
callbacks (``get_usage_metadata_callback``) and LangSmith count each model call
once, and ``invoke``/``stream`` put the usage back on the message the caller gets.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    BaseRunManager,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_core.runnables.config import patch_config
from langchain_core.runnables.utils import coro_with_context

__all__ = ["NestingChatModel"]

_M = TypeVar("_M", AIMessage, AIMessageChunk)


@dataclass
class _Call:
    """The call in progress: whose it is, the caller's config, the usage held back."""

    owner: int
    """``id()`` of the model making the call."""
    config: RunnableConfig
    """The caller's config, with the run id the model's run gets."""
    held: UsageMetadata | None = None
    """Usage taken off this run's output (see ``_unreported``), not yet handed back."""

    def hold(self, usage: UsageMetadata) -> None:
        self.held = usage if self.held is None else add_usage(self.held, usage)

    def release(self, message: _M) -> _M:
        """``message`` with the usage held back so far (none is held after)."""
        if self.held is None:
            return message
        usage, self.held = self.held, None
        if message.usage_metadata is not None:
            usage = add_usage(message.usage_metadata, usage)
        return message.model_copy(update={"usage_metadata": usage})


_CURRENT: ContextVar[_Call | None] = ContextVar("s2a_chat_model_call", default=None)


class NestingChatModel(BaseChatModel):
    """A :class:`BaseChatModel` whose ``_generate``/``_stream`` make child runs.

    Subclasses pass ``self._child_config(run_manager, async_api=...)`` as the
    config of every runnable they call.
    """

    def _call_config(self, config: RunnableConfig | None) -> RunnableConfig:
        config = ensure_config(config)
        if config.get("run_id") is None:
            config["run_id"] = uuid.uuid4()
        return config

    @contextmanager
    def _calling(self, config: RunnableConfig) -> Iterator[_Call]:
        """Within: ``config`` is the call in progress (for :meth:`_child_config`)."""
        call = _Call(id(self), config)
        token = _CURRENT.set(call)
        try:
            yield call
        finally:
            _CURRENT.reset(token)

    def _stream_context(
        self, config: RunnableConfig | None
    ) -> tuple[Context, RunnableConfig, _Call]:
        """A context to run a stream in, in which ``config`` is the call in progress."""
        config = self._call_config(config)
        call = _Call(id(self), config)
        context = copy_context()
        context.run(_CURRENT.set, call)
        return context, config, call

    def _unreported(self, message: _M) -> _M:
        """``message`` as this model's run reports it: without the usage a child reported.

        The usage is held back and put on the message ``invoke``/``stream`` return.
        Outside those (``generate()``) the message keeps it.
        """
        call = _CURRENT.get()
        if call is None or call.owner != id(self) or message.usage_metadata is None:
            return message
        call.hold(message.usage_metadata)
        return message.model_copy(update={"usage_metadata": None})

    def _child_config(
        self,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        *,
        async_api: bool,
    ) -> RunnableConfig:
        """The caller's config, with callbacks that make child runs of this model's run."""
        current = _CURRENT.get()
        mine = current is not None and current.owner == id(self)
        base = current.config if current is not None and mine else ensure_config()
        config = cast("RunnableConfig", dict(base))
        run_id = config.pop("run_id", None)
        config.pop("run_name", None)
        handlers: BaseRunManager | CallbackManager
        if run_manager is not None:
            parent, handlers = run_manager.run_id, run_manager
        elif mine and run_id is not None:  # BaseChatModel streams without a run manager
            parent = run_id
            handlers = CallbackManager.configure(
                config.get("callbacks"),
                self.callbacks,
                self.verbose,
                config.get("tags"),
                self.tags,
                config.get("metadata"),
                self.metadata,
            )
        else:  # outside invoke/stream (e.g. generate()): siblings of this run
            return config
        # What ParentRunManager.get_child does; LLM run managers have no such method.
        manager = (AsyncCallbackManager if async_api else CallbackManager)(
            handlers=[], parent_run_id=parent
        )
        manager.set_handlers(handlers.inheritable_handlers)
        manager.add_tags(handlers.inheritable_tags)
        manager.add_metadata(handlers.inheritable_metadata)
        return patch_config(config, callbacks=manager)

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """Call the model; its child runs nest under this run."""
        config = self._call_config(config)
        with self._calling(config) as call:
            return call.release(super().invoke(input, config, stop=stop, **kwargs))

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """Async twin of :meth:`invoke`."""
        config = self._call_config(config)
        with self._calling(config) as call:
            return call.release(await super().ainvoke(input, config, stop=stop, **kwargs))

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """Stream the model; its child runs nest under this run."""
        context, config, call = self._stream_context(config)
        chunks = cast(
            "Generator[AIMessageChunk, None, None]",
            context.run(super().stream, input, config, stop=stop, **kwargs),
        )
        try:
            while True:
                try:
                    chunk = context.run(next, chunks)
                except StopIteration:
                    return
                yield call.release(chunk)
        finally:
            context.run(chunks.close)

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        """Async twin of :meth:`stream`."""
        context, config, call = self._stream_context(config)
        chunks = cast(
            "AsyncGenerator[AIMessageChunk, None]",
            context.run(super().astream, input, config, stop=stop, **kwargs),
        )
        try:
            while True:
                try:
                    chunk = await coro_with_context(anext(chunks), context)
                except StopAsyncIteration:
                    return
                yield call.release(chunk)
        finally:
            await coro_with_context(chunks.aclose(), context)
