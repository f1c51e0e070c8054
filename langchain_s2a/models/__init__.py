"""The chat models S2A components run on: resolution here, one module per backend.

* :func:`resolve_chat_model` turns a model, a name or ``None`` into a chat model;
  :class:`LazyChatModel` defers that to the first call; :func:`model_label` names a
  model for cache keys and reports; :func:`context_copy` asks a backend for a copy
  labelled for one prompt family (the embedded llama.cpp model supports it).
* :mod:`langchain_s2a.models.llama`: ``ChatLocalLlama``, the embedded GGUF model run
  by llama.cpp, and ``load_local_chat_model``.
* :mod:`langchain_s2a.models.huggingface`: the same weights through transformers.
* ``_weights`` (model specs, chunk assembly, integrity), ``_llama_backend`` (loading
  and chat templates) and ``_prefix_cache`` (KV prefix reuse) are private.

Heavy backends (llama.cpp, torch) are imported only when a model is loaded.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol, TypeAlias, runtime_checkable

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from langchain_s2a.models._weights import ensure_model_file, model_spec

__all__ = [
    "DEFAULT_MODEL_ENV",
    "LazyChatModel",
    "ModelLike",
    "SupportsContextCopy",
    "context_copy",
    "ensure_model_file",
    "model_label",
    "model_spec",
    "resolve_chat_model",
]

ModelLike: TypeAlias = "Runnable[LanguageModelInput, BaseMessage] | str | None"
"""A chat model, an ``init_chat_model`` name, ``"local"`` / ``"local:SIZE"``, or ``None``."""

DEFAULT_MODEL_ENV = "S2A_MODEL"
"""Environment variable naming the model used when none is given (default: embedded local)."""


def resolve_chat_model(
    model: ModelLike = None, **kwargs: Any
) -> Runnable[LanguageModelInput, BaseMessage]:
    """Return a chat model for ``model``.

    * A chat model (or any Runnable taking messages) is returned as it is.
    * ``None`` uses ``$S2A_MODEL`` when set, else the embedded local model.
    * ``"local"`` or ``"local:1.5b"`` / ``"local:0.5b"`` / ``"local:135m"`` loads the
      embedded offline model of that size.
    * Any other string goes to LangChain's ``init_chat_model``, e.g.
      ``"openai:gpt-4o-mini"``; pass ``base_url=...`` for an OpenAI-compatible server.

    Args:
        model: What to resolve.
        **kwargs: Passed to ``init_chat_model`` or ``load_local_chat_model``.

    Returns:
        A Runnable that takes messages and returns a message.

    Raises:
        TypeError: If ``model`` is of another type.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> fake = GenericFakeChatModel(messages=iter(["hi"]))
        >>> resolve_chat_model(fake) is fake
        True

    """
    if isinstance(model, Runnable):
        return model
    if model is None:
        model = os.environ.get(DEFAULT_MODEL_ENV) or "local"
    if not isinstance(model, str):
        raise TypeError(
            "model must be a LangChain chat model, a model name such as "
            f"'openai:gpt-4o-mini', 'local', or None; got {type(model).__name__}"
        )
    name = model.strip()
    if name == "local" or name.startswith("local:"):
        from langchain_s2a.models.llama import load_local_chat_model

        size = name.partition(":")[2] or "1.5b"
        return load_local_chat_model(size, **kwargs)
    from langchain.chat_models import base as chat_models_base
    from langchain.chat_models import init_chat_model

    providers = set(getattr(chat_models_base, "_BUILTIN_PROVIDERS", ())) or {"openai", "ollama"}
    if "base_url" in kwargs and name.partition(":")[0] not in providers:
        # An OpenAI-compatible server; its model names may hold colons ("qwen2.5:7b").
        name = f"openai:{name}"
    chat_model: BaseChatModel = init_chat_model(name, **kwargs)
    return chat_model


def model_label(model: Runnable[Any, Any]) -> str:
    """A stable, human-readable name for a model (for cache keys and reports).

    Args:
        model: A chat model or Runnable.

    Returns:
        ``"<llm type>:<model name>"`` when the model exposes them, else its class name.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> model_label(GenericFakeChatModel(messages=iter([])))
        'generic-fake-chat-model'

    """
    if isinstance(model, LazyChatModel):
        model = model.get()
    if isinstance(model, BaseChatModel):
        params = model._identifying_params
        name = (
            params.get("model_name")
            or params.get("model")
            or getattr(model, "model_name", None)
            or getattr(model, "model", None)
        )
        kind = model._llm_type
        return f"{kind}:{name}" if isinstance(name, str) and name else kind
    return type(model).__name__


@runtime_checkable
class SupportsContextCopy(Protocol):
    """A chat model that can hand out a copy labelled for one prompt family."""

    def with_context(self, name: str) -> BaseChatModel:
        """A copy of this model labelled ``name`` (sharing its weights)."""
        ...


def context_copy(
    model: Runnable[LanguageModelInput, BaseMessage], name: str
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model.with_context(name)`` when the chat model supports it, else ``model`` itself.

    The embedded llama.cpp model (:class:`~langchain_s2a.models.llama.ChatLocalLlama`)
    does: the copy is labelled ``name`` and shares the weights and prompt copies.
    Wrappers (bound models, fallbacks) and other chat models are returned unchanged.

    Args:
        model: A resolved chat model or Runnable.
        name: The label of the copy, e.g. ``"s2a_rewrite"``.

    Returns:
        The labelled copy, or ``model`` unchanged.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> fake = GenericFakeChatModel(messages=iter([]))
        >>> context_copy(fake, "s2a_rewrite") is fake
        True

    """
    if isinstance(model, BaseChatModel) and isinstance(model, SupportsContextCopy):
        return model.with_context(name)
    return model


class LazyChatModel(Runnable[LanguageModelInput, BaseMessage]):
    """A chat model resolved on first use, so importing a graph does not load weights.

    The LangGraph server imports ``graphs/s2a.py`` at start-up; with a lazy model
    the embedded weights are prepared only when the first run needs them.

    Args:
        model: Anything :func:`resolve_chat_model` accepts.
        **kwargs: Passed to :func:`resolve_chat_model`.

    Example:
        >>> lazy = LazyChatModel("local:135m")
        >>> lazy.resolved
        False
    """

    def __init__(self, model: ModelLike = None, **kwargs: Any) -> None:
        self._spec = model
        self._kwargs = kwargs
        self._model: Runnable[LanguageModelInput, BaseMessage] | None = None
        self.name = f"lazy:{model if isinstance(model, str) else 'default'}"

    @property
    def resolved(self) -> bool:
        """Whether the underlying model has been loaded."""
        return self._model is not None

    def get(self) -> Runnable[LanguageModelInput, BaseMessage]:
        """Resolve (once) and return the underlying chat model."""
        if self._model is None:
            self._model = resolve_chat_model(self._spec, **self._kwargs)
        return self._model

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        """Invoke the underlying model."""
        return self.get().invoke(input, config, **kwargs)

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        """Invoke the underlying model asynchronously."""
        return await self.get().ainvoke(input, config, **kwargs)

    def stream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[BaseMessage]:
        """Stream from the underlying model."""
        yield from self.get().stream(input, config, **kwargs)

    async def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[BaseMessage]:
        """Stream from the underlying model asynchronously."""
        async for chunk in self.get().astream(input, config, **kwargs):
            yield chunk
