"""S2A in front of any chat model, as a chat model: :class:`S2AChatModel`.

``S2AChatModel(model=llm)`` drops in wherever ``llm`` sits (an LCEL chain, an agent,
a graph node): it rewrites the last human turn with :class:`~langchain_s2a.S2ARewriter`,
then returns ``llm``'s own message for the conversation with the rewrite in place of
that turn's text. It is a thin adapter over :class:`~langchain_s2a.S2AChain`, so the
answer prompt, timeouts and retries are the chain's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, NamedTuple, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool
from langchain_core.utils.utils import LC_ID_PREFIX
from langgraph.constants import TAG_NOSTREAM
from langgraph.errors import GraphBubbleUp
from pydantic import BaseModel, ConfigDict

from langchain_s2a._internal.io.calls import acall_model, as_ai_message, call_model
from langchain_s2a._internal.io.inputs import InputParts, chat_parts
from langchain_s2a._internal.io.nesting import NestingChatModel
from langchain_s2a._internal.pipeline.answer import recorded_rewrite
from langchain_s2a.chain import S2AChain, create_s2a_chain
from langchain_s2a.errors import S2ARewriteError
from langchain_s2a.models import ModelLike, model_label
from langchain_s2a.options import REWRITE_OPTIONS, OnFailure
from langchain_s2a.result import METADATA_KEY, S2ARewrite

__all__ = ["CHAIN_OPTIONS", "ERROR_KEY", "S2AChatModel"]

CHAIN_OPTIONS = REWRITE_OPTIONS | {
    "rewriter",
    "rewriter_model",
    "mode",
    "keep_original",
    "instructed",
    "answer_format",
    "timeout",
    "max_attempts",
}
"""The options of :func:`~langchain_s2a.create_s2a_chain` this model passes on: the
rewriter's (:class:`~langchain_s2a.options.RewriteOptions`) and the chain's own.
``max_retries`` is the chat models' standard parameter here (transient retries), not
the chain's rewrite retries: set those on a ready ``chain=``."""
_CALL_FIELDS = ("temperature", "max_tokens")


ERROR_KEY = "s2a_error"
"""Key of the rewrite step's error in the answer's ``response_metadata``
(with ``on_error="original"``)."""

logger = logging.getLogger(__name__)


class _Prepared(NamedTuple):
    """What the answer call gets, and what its message's metadata records."""

    messages: list[BaseMessage]
    record: dict[str, Any]


def _record(rewrite: S2ARewrite) -> dict[str, Any]:
    return {METADATA_KEY: rewrite.model_dump(mode="json")}


def _nostream(config: RunnableConfig) -> RunnableConfig:
    return merge_configs(config, {"tags": [TAG_NOSTREAM]})


class S2AChatModel(NestingChatModel):
    """A chat model that runs System 2 Attention before the model it wraps.

    The last human turn of the input is rewritten by the S2A rewriter (only its
    text blocks: image, audio and file blocks stay in place, and the turn keeps
    its ``name``, ``id`` and ``additional_kwargs``); system messages and tool turns
    pass unchanged, exactly as :func:`~langchain_s2a.create_s2a_chain` passes them.
    Each turn is rewritten once: an earlier human turn whose answer carries its
    rewrite (``response_metadata["s2a"]``, made for the turn's current text) is sent
    as that rewrite, and a last turn that already has one (an agent's tool loop) is
    not rewritten again; other earlier turns pass unchanged. The result is the
    wrapped model's own ``AIMessage`` (tool calls, usage metadata and all) with
    the rewrite, as the fields of :class:`~langchain_s2a.S2ARewrite` in a dict,
    at ``response_metadata["s2a"]``.
    A conversation with no human text (only a system message, an image-only turn)
    goes to the wrapped model unchanged, with ``response_metadata["s2a"] = None``.

    ``stream``/``astream`` run the rewrite first, then yield the wrapped model's
    own chunks; the rewrite's tokens never reach a token stream (its run is named
    ``s2a_rewrite`` and tagged ``nostream``, like the answer call ``s2a_answer``,
    whose tokens this model re-emits once as its own). Callbacks, tags and
    metadata reach both calls, and their runs report the token usage: this
    model's own run reports none (so usage callbacks and LangSmith count each
    call once), while the message it returns carries the wrapped model's. ``bind_tools`` and ``with_structured_output`` bind
    on the wrapped model and keep S2A in front, so it can be the model of
    ``langchain.agents.create_agent``.

    Args:
        model: The wrapped chat model that answers (a chat model, an
            ``init_chat_model`` name, or ``None`` for the embedded local model).
        rewriter_model: A separate model for the rewrite; defaults to ``model``
            (without any tools bound on it).
        on_error: ``"raise"`` (default) or ``"original"``: when the rewrite step
            raises, send the turn unchanged (see :attr:`on_error`).
        **options: The options of :func:`~langchain_s2a.create_s2a_chain`
            (:data:`CHAIN_OPTIONS`: the rewriter's, such as ``preset`` and
            ``variant``, a ready ``rewriter=``, and ``mode``, ``keep_original``,
            ``instructed``, ``answer_format``, ``timeout``, ``max_attempts``), the
            standard chat-model parameters below, and :class:`BaseChatModel`'s own
            (``callbacks``, ``tags``, ...). Or ``chain=``: a ready :class:`S2AChain`.

    Raises:
        TypeError: For an option neither this class nor the chain knows.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_core.output_parsers import StrOutputParser
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> rewriter = GenericFakeChatModel(messages=iter(["Context: none\\nQuestion: Who wrote Hamlet?"]))
        >>> llm = GenericFakeChatModel(messages=iter(["William Shakespeare."]))
        >>> s2a = S2AChatModel(model=llm, rewriter_model=rewriter)
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
        >>> chain = prompt | s2a | StrOutputParser()
        >>> chain.invoke({"q": "Who wrote Hamlet? I think it was Marlowe."})
        'William Shakespeare.'

    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    chain: S2AChain
    """The S2A chain this model runs: its rewriter, answer model and answer options."""
    temperature: float | None = None
    """Standard parameter: passed to the wrapped model's answer call when set."""
    max_tokens: int | None = None
    """Standard parameter: passed to the wrapped model's answer call when set."""
    stop: list[str] | None = None
    """Standard parameter: stop sequences of the answer call."""
    streaming: bool = False
    """Standard parameter: ``invoke`` streams the wrapped model (callbacks see tokens)."""
    on_error: OnFailure = "raise"
    """When the rewrite step raises (a provider outage, a timeout, an input over
    ``max_input_chars``): ``"raise"`` (default) or ``"original"``, which sends the turn
    to the wrapped model unchanged, records ``response_metadata["s2a"] = None`` and
    ``["s2a_error"] = "<type>: <message>"``, and logs a warning. An unusable rewrite
    with ``on_failure="raise"`` still raises :class:`~langchain_s2a.S2ARewriteError`."""

    def __init__(self, model: ModelLike = None, /, **kwargs: Any) -> None:
        if "chain" not in kwargs:
            model = kwargs.pop("model", model)
            options = {k: kwargs.pop(k) for k in list(kwargs) if k in CHAIN_OPTIONS}
            if "max_retries" in kwargs:  # standard parameter: retries after the first attempt
                options.setdefault("max_attempts", int(kwargs.pop("max_retries")) + 1)
            kwargs["chain"] = create_s2a_chain(model, **options)
        kwargs.pop("max_retries", None)
        kwargs.pop("api_key", None)  # standard parameter; credentials belong to the models
        if kwargs.get("on_error", "raise") not in ("raise", "original"):
            raise ValueError(
                f"S2AChatModel on_error must be 'raise' or 'original'; got {kwargs['on_error']!r}"
            )
        unknown = set(kwargs) - set(type(self).model_fields)
        if unknown:
            raise TypeError(
                f"S2AChatModel got unexpected options {sorted(unknown)}; it takes the "
                "options of create_s2a_chain and the chat-model fields "
                f"{sorted(type(self).model_fields)}"
            )
        inner = kwargs["chain"].model
        if "profile" not in kwargs and isinstance(inner, BaseChatModel) and inner.profile:
            kwargs["profile"] = inner.profile
        super().__init__(**kwargs)

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Not serialisable: it holds live models."""
        return False

    # ----------------------------------------------------------- description
    @property
    def _llm_type(self) -> str:
        return "s2a-chat"

    @property
    def model_name(self) -> str:
        """The wrapped model's name (its ``ls_model_name`` when it reports one)."""
        inner = self.chain.model
        if isinstance(inner, BaseChatModel):
            name = inner._get_ls_params().get("ls_model_name")
            if isinstance(name, str) and name:
                return name
        return model_label(inner)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        rewriter = self.chain.rewriter
        return {
            "model": model_label(self.chain.model),
            "rewriter_model": model_label(rewriter.model),
            "mode": self.chain.mode,
            "preset": rewriter.preset,
            "variant": rewriter.variant,
            "keep_original": self.chain.keep_original,
            "instructed": self.chain.instructed,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "s2a"
        override = kwargs.get("model")
        params["ls_model_name"] = override if isinstance(override, str) else self.model_name
        return params

    # ------------------------------------------------------------------ steps
    def _answer_chain(self, stop: list[str] | None, kwargs: dict[str, Any]) -> S2AChain:
        """The chain, with this call's stop sequences and parameters bound on its model."""
        call: dict[str, Any] = {
            k: getattr(self, k) for k in _CALL_FIELDS if getattr(self, k) is not None
        }
        if stop or self.stop:
            call["stop"] = stop or self.stop
        call.update(kwargs)
        if not call:
            return self.chain
        return self.chain.model_copy(update={"model": self.chain.model.bind(**call)})

    def _parts(self, messages: Sequence[BaseMessage]) -> InputParts | None:
        return chat_parts(messages, max_chars=self.chain.rewriter.max_input_chars)

    def _recorded(self, parts: InputParts) -> S2ARewrite | None:
        """The turn's rewrite, when an earlier call recorded it (an agent's tool loop)."""
        if self.chain.mode != "s2a" or parts.messages is None or parts.human_index is None:
            return None
        return recorded_rewrite(parts.messages, parts.human_index)

    def _failed_open(self, messages: Sequence[BaseMessage], exc: Exception) -> _Prepared:
        """The turn sent as it was, after the rewrite step raised ``exc`` (or re-raise it)."""
        if self.on_error == "raise" or isinstance(exc, S2ARewriteError | GraphBubbleUp):
            raise exc
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("S2A left the turn unchanged: the rewrite step raised %s", error)
        return _Prepared(list(messages), {METADATA_KEY: None, ERROR_KEY: error})

    def _rewrite(self, messages: Sequence[BaseMessage], config: RunnableConfig) -> _Prepared:
        try:
            if (parts := self._parts(messages)) is None:
                return _Prepared(list(messages), {METADATA_KEY: None})
            rewrite = self._recorded(parts) or self.chain.rewrite(parts, _nostream(config))
        except Exception as exc:
            return self._failed_open(messages, exc)
        return _Prepared(self.chain.prompt(parts, rewrite), _record(rewrite))

    async def _arewrite(self, messages: Sequence[BaseMessage], config: RunnableConfig) -> _Prepared:
        try:
            if (parts := self._parts(messages)) is None:
                return _Prepared(list(messages), {METADATA_KEY: None})
            rewrite = self._recorded(parts) or await self.chain.arewrite(parts, _nostream(config))
        except Exception as exc:
            return self._failed_open(messages, exc)
        return _Prepared(self.chain.prompt(parts, rewrite), _record(rewrite))

    @staticmethod
    def _tagged(message: AIMessage, record: dict[str, Any]) -> AIMessage:
        """``message`` with the rewrite in its metadata and, for an id LangChain made, none."""
        update: dict[str, Any] = {"response_metadata": {**message.response_metadata, **record}}
        if message.id and message.id.startswith(LC_ID_PREFIX):
            update["id"] = None  # this run's id replaces the inner run's
        return message.model_copy(update=update)

    def _result(self, message: Any, record: dict[str, Any]) -> ChatResult:
        ai = self._unreported(self._tagged(as_ai_message(message), record))
        return ChatResult(generations=[ChatGeneration(message=ai)])

    def _generation_chunk(
        self, message: BaseMessage, record: dict[str, Any], *, first: bool
    ) -> ChatGenerationChunk:
        chunk = self._chunk(message)
        if first:  # the rewrite rides on the first chunk, so the sum carries it
            chunk = cast("AIMessageChunk", self._tagged(chunk, record))
        return ChatGenerationChunk(message=self._unreported(chunk))

    @staticmethod
    def _chunk(message: BaseMessage) -> AIMessageChunk:
        if isinstance(message, AIMessageChunk):
            chunk = message
        else:
            chunk = AIMessageChunk(
                content=message.content, response_metadata=message.response_metadata
            )
        if chunk.id and chunk.id.startswith(LC_ID_PREFIX):
            chunk = chunk.model_copy(update={"id": None})
        return chunk

    # ------------------------------------------------------------- BaseChatModel
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        config = self._child_config(run_manager, async_api=False)
        prompt, record = self._rewrite(messages, config)
        chain = self._answer_chain(stop, kwargs)
        answer_config = chain.answer_config(_nostream(config))
        message = call_model(chain.model, prompt, answer_config, chain.call_policy)
        return self._result(message, record)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        config = self._child_config(run_manager, async_api=True)
        prompt, record = await self._arewrite(messages, config)
        chain = self._answer_chain(stop, kwargs)
        answer_config = chain.answer_config(_nostream(config))
        message = await acall_model(chain.model, prompt, answer_config, chain.call_policy)
        return self._result(message, record)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        config = self._child_config(run_manager, async_api=False)
        prompt, record = self._rewrite(messages, config)
        chain = self._answer_chain(stop, kwargs)
        for index, message in enumerate(chain.stream_answer(prompt, _nostream(config))):
            yield self._generation_chunk(message, record, first=index == 0)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        config = self._child_config(run_manager, async_api=True)
        prompt, record = await self._arewrite(messages, config)
        chain = self._answer_chain(stop, kwargs)
        first = True
        async for message in chain.astream_answer(prompt, _nostream(config)):
            yield self._generation_chunk(message, record, first=first)
            first = False

    # ------------------------------------------------------- tools and schemas
    def _with_model(self, model: Runnable[LanguageModelInput, BaseMessage]) -> S2AChatModel:
        """A copy answering with ``model``; the rewriter keeps its own model."""
        return self.model_copy(update={"chain": self.chain.model_copy(update={"model": model})})

    def _inner_method(self, name: str) -> Callable[..., Any]:
        method = getattr(self.chain.model, name, None)
        if method is None:
            raise NotImplementedError(
                f"the wrapped model {model_label(self.chain.model)} has no {name}()"
            )
        return cast("Callable[..., Any]", method)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools on the wrapped model; S2A stays in front of it.

        Args:
            tools: Tools, as the wrapped model's ``bind_tools`` takes them.
            tool_choice: Passed on when given.
            **kwargs: Passed on to the wrapped model's ``bind_tools``.

        Returns:
            This model, answering with the tool-bound wrapped model.

        Raises:
            NotImplementedError: If the wrapped model has no ``bind_tools``.

        """
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        bound = self._inner_method("bind_tools")(tools, **kwargs)
        return self._with_model(bound).bind()

    def _prepare(self, input: LanguageModelInput, config: RunnableConfig) -> list[BaseMessage]:
        return self._rewrite(self._convert_input(input).to_messages(), config).messages

    async def _aprepare(
        self, input: LanguageModelInput, config: RunnableConfig
    ) -> list[BaseMessage]:
        return (await self._arewrite(self._convert_input(input).to_messages(), config)).messages

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """The wrapped model's structured output, with the S2A rewrite in front of it.

        Args:
            schema: The output schema, as the wrapped model takes it.
            include_raw: Passed on.
            **kwargs: Passed on (``method``, ``strict``, ...).

        Returns:
            ``rewrite | wrapped_model.with_structured_output(schema, ...)``; the
            rewrite step is a Runnable named ``s2a``.

        Raises:
            NotImplementedError: If the wrapped model has no ``with_structured_output``.

        """
        structured = self._inner_method("with_structured_output")(
            schema, include_raw=include_raw, **kwargs
        )
        front: Runnable[LanguageModelInput, list[BaseMessage]] = RunnableLambda(
            self._prepare, afunc=self._aprepare, name="s2a"
        )
        return cast("Runnable[LanguageModelInput, dict[str, Any] | BaseModel]", front | structured)
