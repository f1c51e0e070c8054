"""A chat model whose calls make child runs: the base of :class:`~langchain_s2a.S2AChatModel`.

A wrapper chat model calls other runnables (a rewriter, the wrapped model) from
``_generate``/``_stream``, and their runs belong under the wrapper's own run, with
the caller's callbacks, tags, metadata and ``configurable``. ``_generate`` gets a
run manager for that, but langchain-core calls ``_stream`` without one; so
``invoke``/``stream`` (and their async twins) fix the run id of the model's run in
advance and keep the caller's config in a context variable, from which
:meth:`NestingChatModel._child_config` builds the children's config.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context
from typing import Any, cast

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    BaseRunManager,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_core.runnables.config import patch_config
from langchain_core.runnables.utils import coro_with_context

__all__ = ["NestingChatModel"]

# The caller's config of the call in progress, keyed by the model's id(), with the
# run id its run gets.
_CURRENT: ContextVar[tuple[int, RunnableConfig] | None] = ContextVar(
    "s2a_chat_model_call", default=None
)


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
    def _calling(self, config: RunnableConfig) -> Iterator[None]:
        """Within: ``config`` is the call in progress (for :meth:`_child_config`)."""
        token = _CURRENT.set((id(self), config))
        try:
            yield
        finally:
            _CURRENT.reset(token)

    def _stream_context(self, config: RunnableConfig | None) -> tuple[Context, RunnableConfig]:
        """A context to run a stream in, in which ``config`` is the call in progress."""
        config = self._call_config(config)
        context = copy_context()
        context.run(_CURRENT.set, (id(self), config))
        return context, config

    def _child_config(
        self,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        *,
        async_api: bool,
    ) -> RunnableConfig:
        """The caller's config, with callbacks that make child runs of this model's run."""
        current = _CURRENT.get()
        mine = current is not None and current[0] == id(self)
        base = current[1] if current is not None and mine else ensure_config()
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
        with self._calling(config):
            return super().invoke(input, config, stop=stop, **kwargs)

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
        with self._calling(config):
            return await super().ainvoke(input, config, stop=stop, **kwargs)

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """Stream the model; its child runs nest under this run."""
        context, config = self._stream_context(config)
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
                yield chunk
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
        context, config = self._stream_context(config)
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
                yield chunk
        finally:
            await coro_with_context(chunks.aclose(), context)
