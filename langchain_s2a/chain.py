"""S2A as one LCEL Runnable: rewrite, then answer from the rewrite alone."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.callbacks.manager import (
    AsyncCallbackManagerForChainRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.output_parsers import BaseOutputParser
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, RunnableSerializable
from langchain_core.runnables.config import merge_configs, patch_config
from pydantic import ConfigDict, Field
from typing_extensions import Unpack

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
from langchain_s2a.models import ModelLike, resolve_chat_model
from langchain_s2a.options import Instructed, Mode, RewriteOptions
from langchain_s2a.result import REWRITE_NAME, S2AResult, S2AResultChunk, S2ARewrite
from langchain_s2a.rewriter import S2ARewriter, resolve_rewriter

__all__ = ["S2AChain", "create_s2a_chain"]


Other = TypeVar("Other")


async def _once(value: Any) -> AsyncIterator[Any]:
    yield value


def _no_parser(other: object) -> None:
    """Refuse an output parser piped after the chain: it cannot read an ``S2AResult``.

    Output parsers take a string or a message; run with the chain's result they
    fail deep in pydantic ("Generation.text ... Input should be a valid string").
    """
    if isinstance(other, BaseOutputParser):
        raise TypeError(
            f"create_s2a_chain returns an S2AResult, not a message, so {type(other).__name__} "
            "cannot read it: pipe `| (lambda result: result.answer)` for the answer text, or "
            "use S2AChatModel(model=llm), a chat model that output parsers accept"
        )


class S2AChain(RunnableSerializable[Any, S2AResult]):
    """Rewrite with :class:`S2ARewriter`, then answer; build it with :func:`create_s2a_chain`.

    ``stream``/``astream`` yield :class:`S2AResultChunk` objects: first one with
    the rewrite, then the answer's tokens; adding them up gives the full result
    (``chunk.to_result()``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Runnable[LanguageModelInput, BaseMessage]
    """The model that answers."""
    rewriter: S2ARewriter
    """The rewrite step (unused in ``baseline`` and ``instructed`` modes)."""
    mode: Mode = "s2a"
    """``s2a``, ``instructed`` or ``baseline``."""
    keep_original: bool = False
    """S2A-KeepOrig: show the answer step the original input too."""
    instructed: Instructed = "auto"
    """Add the "answer in an unbiased way" instruction: ``"auto"`` (default) after an
    abstractive rewrite only (not after a verbatim extractive one nor a fallback);
    ``True`` always; ``False`` never (the paper's S2A-NI)."""
    answer_format: str | None = None
    """Extra format instruction for the answer step, in every mode."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds the answer call may take; in ``stream``/``astream``, the bound of the
    wait for the first token and of each gap between tokens."""
    max_attempts: int = Field(default=3, ge=1)
    """Attempts of the answer call for transient errors; a stream is retried only
    until its first token."""
    max_retries: int = Field(default=0, ge=0)
    """Extra rewrite attempts after a rejected rewrite, each sent the rejected reply
    and the reason (0: a rejected rewrite falls back at once)."""
    name: str | None = "s2a"
    """Run name shown in traces."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Not serialisable: it holds live models."""
        return False

    # ------------------------------------------------------------- composition
    def __or__(self, other: Any) -> RunnableSerializable[Any, Any]:
        """``self | other``; an output parser is refused at once (see :func:`_no_parser`)."""
        _no_parser(other)
        return super().__or__(other)

    def pipe(
        self, *others: Runnable[Any, Other] | Callable[[Any], Other], name: str | None = None
    ) -> RunnableSerializable[Any, Other]:
        """``self | others[0] | ...``; an output parser right after is refused at once."""
        if others:
            _no_parser(others[0])
        return super().pipe(*others, name=name)

    # ------------------------------------------------------------------ stages
    def parts(self, input: Any) -> InputParts:
        """The input, coerced once per run: the text to rewrite and the chat around it."""
        # Content blocks other than text (images, audio, files) are not rewritten:
        # they stay in the human turn and reach the answer model in order.
        return coerce_input(input, max_chars=self.rewriter.max_input_chars, other_blocks="skip")

    def prompt(self, parts: InputParts, rewrite: S2ARewrite) -> list[BaseMessage]:
        """The messages the answer model receives for ``parts`` after ``rewrite``."""
        return answer_messages(
            parts,
            rewrite,
            mode=self.mode,
            keep_original=self.keep_original,
            instructed=self.instructed,
            answer_format=self.answer_format,
        )

    def _rewrite_step(self, parts: InputParts) -> RunnableLambda[str, S2ARewrite]:
        """The rewrite as one traced run (named as the rewriter), with its retries."""

        def run(text: str, config: RunnableConfig) -> S2ARewrite:
            rewrite: S2ARewrite | None = None
            while rewrite is None or retry_wanted(rewrite, self.max_retries):
                attempt = self.rewriter.attempt(parts, config, previous=rewrite)
                rewrite = combine_attempts(rewrite, attempt)
            self.rewriter.check(rewrite)  # raises when on_failure="raise"
            dispatch_custom_event(REWRITE_NAME, rewrite.model_dump(), config=config)
            return rewrite

        async def arun(text: str, config: RunnableConfig) -> S2ARewrite:
            rewrite: S2ARewrite | None = None
            while rewrite is None or retry_wanted(rewrite, self.max_retries):
                attempt = await self.rewriter.aattempt(parts, config, previous=rewrite)
                rewrite = combine_attempts(rewrite, attempt)
            self.rewriter.check(rewrite)
            await adispatch_custom_event(REWRITE_NAME, rewrite.model_dump(), config=config)
            return rewrite

        return RunnableLambda(run, afunc=arun, name=self.rewriter.get_name())

    def _passthrough(self, parts: InputParts) -> S2ARewrite:
        return passthrough(parts, preset=self.rewriter.preset, language=self.rewriter.language)

    def rewrite(self, parts: InputParts, config: RunnableConfig) -> S2ARewrite:
        """The rewrite of ``parts`` (a passthrough record outside ``s2a`` mode)."""
        if self.mode != "s2a":
            return self._passthrough(parts)
        return self._rewrite_step(parts).invoke(parts.text, config)

    async def arewrite(self, parts: InputParts, config: RunnableConfig) -> S2ARewrite:
        """Async twin of :meth:`rewrite`."""
        if self.mode != "s2a":
            return self._passthrough(parts)
        return await self._rewrite_step(parts).ainvoke(parts.text, config)

    @staticmethod
    def _rewrite_config(config: RunnableConfig) -> RunnableConfig:
        # Tagged as in the graph: token streams (LangGraph's messages mode, UIs reading
        # astream_events) skip the rewrite model's tokens and show only the answer's.
        return merge_configs(config, {"tags": list(REWRITE_TAGS)})

    @staticmethod
    def answer_config(config: RunnableConfig) -> RunnableConfig:
        """``config`` for the answer call (its run is named ``s2a_answer``)."""
        return patch_config(config, run_name=ANSWER_RUN_NAME)

    @property
    def call_policy(self) -> CallPolicy:
        """Timeout and retry policy of the answer call."""
        return CallPolicy(timeout=self.timeout, max_attempts=self.max_attempts)

    def stream_answer(
        self, messages: list[BaseMessage], config: RunnableConfig
    ) -> Iterator[BaseMessage]:
        """The answer's stream: retried until its first chunk, each wait bounded by ``timeout``."""
        return stream_model(self.model, messages, self.answer_config(config), self.call_policy)

    def astream_answer(
        self, messages: list[BaseMessage], config: RunnableConfig
    ) -> AsyncIterator[BaseMessage]:
        """Async twin of :meth:`stream_answer`."""
        return astream_model(self.model, messages, self.answer_config(config), self.call_policy)

    def _result(self, rewrite: S2ARewrite, message: Any, started: float) -> S2AResult:
        ai = as_ai_message(message)
        return S2AResult(
            answer=ai.text,
            message=ai,
            rewrite=rewrite,
            mode=self.mode,
            answer_latency_s=time.perf_counter() - started,
        )

    # ------------------------------------------------------------------ invoke
    def _invoke(
        self, input: Any, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> S2AResult:
        parts = self.parts(input)
        rewrite = self.rewrite(parts, self._rewrite_config(config))
        started = time.perf_counter()
        messages, answer_config = self.prompt(parts, rewrite), self.answer_config(config)
        message = call_model(self.model, messages, answer_config, self.call_policy)
        return self._result(rewrite, message, started)

    async def _ainvoke(
        self, input: Any, run_manager: AsyncCallbackManagerForChainRun, config: RunnableConfig
    ) -> S2AResult:
        parts = self.parts(input)
        rewrite = await self.arewrite(parts, self._rewrite_config(config))
        started = time.perf_counter()
        messages, answer_config = self.prompt(parts, rewrite), self.answer_config(config)
        message = await acall_model(self.model, messages, answer_config, self.call_policy)
        return self._result(rewrite, message, started)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> S2AResult:
        """Run S2A on one input and return the :class:`S2AResult`."""
        return self._call_with_config(self._invoke, input, config, **kwargs)

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> S2AResult:
        """Async twin of :meth:`invoke` (real async model calls)."""
        return await self._acall_with_config(self._ainvoke, input, config, **kwargs)

    # ------------------------------------------------------------------ stream
    def _transform(
        self,
        inputs: Iterator[Any],
        run_manager: CallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> Iterator[S2AResultChunk]:
        for input in inputs:
            parts = self.parts(input)
            rewrite = self.rewrite(parts, self._rewrite_config(config))
            yield S2AResultChunk(rewrite=rewrite, mode=self.mode)
            started = time.perf_counter()
            for chunk in self.stream_answer(self.prompt(parts, rewrite), config):
                yield _answer_chunk(chunk, self.mode)
            yield S2AResultChunk(mode=self.mode, answer_latency_s=time.perf_counter() - started)

    async def _atransform(
        self,
        inputs: AsyncIterator[Any],
        run_manager: AsyncCallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> AsyncIterator[S2AResultChunk]:
        async for input in inputs:
            parts = self.parts(input)
            rewrite = await self.arewrite(parts, self._rewrite_config(config))
            yield S2AResultChunk(rewrite=rewrite, mode=self.mode)
            started = time.perf_counter()
            async for chunk in self.astream_answer(self.prompt(parts, rewrite), config):
                yield _answer_chunk(chunk, self.mode)
            yield S2AResultChunk(mode=self.mode, answer_latency_s=time.perf_counter() - started)

    def stream(  # type: ignore[override]
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[S2AResultChunk]:
        """Stream the rewrite (first chunk), then the answer's tokens."""
        yield from self._transform_stream_with_config(  # type: ignore[misc]
            iter([input]),
            self._transform,  # type: ignore[arg-type]
            config,
            **kwargs,
        )

    async def astream(  # type: ignore[override]
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[S2AResultChunk]:
        """Async twin of :meth:`stream`."""
        async for chunk in self._atransform_stream_with_config(
            _once(input),
            self._atransform,  # type: ignore[arg-type]
            config,
            **kwargs,
        ):
            yield chunk  # type: ignore[misc]


def _answer_chunk(chunk: BaseMessage, mode: Mode) -> S2AResultChunk:
    message = chunk if isinstance(chunk, AIMessageChunk) else AIMessageChunk(content=chunk.content)
    return S2AResultChunk(answer=message.text, message=message, mode=mode)


def create_s2a_chain(
    model: ModelLike = None,
    *,
    rewriter: S2ARewriter | None = None,
    rewriter_model: ModelLike = None,
    mode: Mode = "s2a",
    keep_original: bool = False,
    instructed: Instructed = "auto",
    answer_format: str | None = None,
    timeout: float | None = None,
    max_attempts: int = 3,
    max_retries: int = 0,
    **options: Unpack[RewriteOptions],
) -> S2AChain:
    """Build the two-call S2A chain: rewrite the input, then answer from the rewrite.

    Args:
        model: The answering chat model (or an ``init_chat_model`` name, or
            ``None`` for the embedded local model).
        rewriter: A ready :class:`S2ARewriter`, used as is (its own model, which
            may differ from ``model``, and its own options). ``rewriter_model`` and
            the rewriter's ``**options`` are a shorthand for building one and must
            then stay at their defaults (``ValueError`` otherwise); ``timeout`` and
            ``max_attempts`` then apply to the answer call only.
        rewriter_model: A separate model for the rewrite (e.g. a cheap one);
            defaults to ``model``.
        mode: ``"s2a"``; ``"instructed"`` (no rewrite, original + instruction);
            ``"baseline"`` (original straight to the model).
        keep_original: S2A-KeepOrig — the answer step also sees the original.
        instructed: Add the debiasing instruction to the answer step:
            ``"auto"`` (default) only after an abstractive rewrite,
            ``True`` always, ``False`` never (the paper's S2A-NI).
        answer_format: Format instruction appended to the answer prompt.
        timeout: Seconds each model call may take (``None``: no limit). It times
            the call itself (a sync call runs on its own thread, so waiting for a
            worker never counts). For a streamed answer it bounds the wait for the
            first token and each gap between tokens, not the whole stream.
        max_attempts: Attempts per model call on transient errors (timeouts,
            rate limits, 5xx), with exponential backoff; other errors fail fast.
        max_retries: Extra rewrite attempts after a rejected rewrite (empty,
            unparseable, question lost, ...), each sent the rejected reply and
            the reason; once they are spent, ``on_failure`` applies. ``0``
            (default) falls back at once.
        **options: The rewriter's options (:class:`~langchain_s2a.options.RewriteOptions`:
            ``preset``, ``variant``, ``language``, ``prompt_style``, ``on_failure``,
            ``structured_output``, ``max_input_chars``, ``min_number_share``,
            ``constrained``, ``judge_sentences``), with :class:`S2ARewriter`'s
            defaults where not given.

    Returns:
        An :class:`S2AChain` Runnable producing :class:`S2AResult`.

    Raises:
        ValueError: If ``rewriter`` comes with rewriter options set.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> rewriter = GenericFakeChatModel(messages=iter(["Context: none\\nQuestion: Who wrote Hamlet?"]))
        >>> answerer = GenericFakeChatModel(messages=iter(["William Shakespeare."]))
        >>> chain = create_s2a_chain(answerer, rewriter_model=rewriter)
        >>> result = chain.invoke("Who wrote Hamlet? I think Christopher Marlowe did.")
        >>> result.answer, result.rewrite.question
        ('William Shakespeare.', 'Who wrote Hamlet?')
        >>> ready = S2ARewriter(GenericFakeChatModel(messages=iter(["Keep: none\\nQuestion: 1"])))
        >>> answerer = GenericFakeChatModel(messages=iter(["Shakespeare."]))
        >>> create_s2a_chain(answerer, rewriter=ready).invoke("Who wrote Hamlet?").answer
        'Shakespeare.'

    """
    answer_model = resolve_chat_model(model)
    return S2AChain(
        model=answer_model,
        rewriter=resolve_rewriter(
            rewriter,
            answer_model,
            factory="create_s2a_chain",
            rewriter_model=None if rewriter_model is None else resolve_chat_model(rewriter_model),
            timeout=timeout,
            max_attempts=max_attempts,
            options=options,
        ),
        mode=mode,
        keep_original=keep_original,
        instructed=instructed,
        answer_format=answer_format,
        timeout=timeout,
        max_attempts=max_attempts,
        max_retries=max_retries,
    )
