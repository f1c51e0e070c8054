"""An offline chat model for tests and benchmarks: scripted replies, every prompt recorded.

:class:`FakeS2AChatModel` replies from a script (one reply, a list or iterator of
replies, or a function of the prompt), records every call, and can be told to be
slow (per call, and between streamed chunks) or to fail on given calls.
:class:`FakeS2AStructuredChatModel` adds ``with_structured_output`` with scripted
outcomes, for the structured-output paths of the rewriter.

Example:
    >>> from langchain_s2a import create_s2a_chain
    >>> from langchain_s2a.testing import FakeS2AChatModel
    >>> model = FakeS2AChatModel(
    ...     replies=["Context: none\\nQuestion: Who wrote Hamlet?", "William Shakespeare."]
    ... )
    >>> create_s2a_chain(model).invoke("Who wrote Hamlet? I think Marlowe.").answer
    'William Shakespeare.'
    >>> len(model.calls), "Marlowe" in model.prompts[0], "Marlowe" in model.prompts[1]
    (2, True, False)
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from pydantic import ConfigDict, PrivateAttr, SkipValidation

__all__ = ["FakeCall", "FakeS2AChatModel", "FakeS2AStructuredChatModel", "Replies", "Reply"]

_T = TypeVar("_T")
Reply = str | AIMessage | BaseException
"""One scripted reply: its text, a whole message, or an exception the call raises."""
Replies = Reply | Sequence[Reply] | Iterator[Reply] | Callable[[list[BaseMessage]], Reply]
"""A script: one reply for every call, replies in call order, or a function of the prompt."""


@dataclass
class FakeCall:
    """One recorded call to a fake model."""

    messages: list[BaseMessage]
    """The prompt, as the model received it."""
    tags: list[str] = field(default_factory=list)
    """Tags of the call's run (``"structured"`` is added for structured-output calls)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Metadata of the call's run."""
    is_async: bool = False
    """Whether the call came through the async API."""
    streamed: bool = False
    """Whether the call was a stream."""

    @property
    def text(self) -> str:
        """The prompt as text: the messages' texts, one per line."""
        return "\n".join(m.text for m in self.messages)


class _Record:
    """What a model and its shallow copies (``model_copy``) share: calls and counters."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[FakeCall] = []
        self.replied = 0
        self.structured = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.release = threading.Event()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Record:
        new = _Record()
        new.calls, new.replied = copy.deepcopy(self.calls, memo), self.replied
        new.structured = self.structured
        return new

    @contextmanager
    def in_flight_call(self) -> Iterator[None]:
        with self.lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self.lock:
                self.in_flight -= 1


def _at(plan: float | Sequence[_T], index: int) -> float | _T:
    """``plan`` itself when it is a number, else its item ``index`` (``0`` past its end)."""
    if isinstance(plan, int | float):
        return plan
    return plan[index] if index < len(plan) else 0.0


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


class FakeS2AChatModel(BaseChatModel):
    """A scripted chat model that records every call; real async; streams word by word.

    Each call is recorded (:attr:`calls`, :attr:`prompts`), then waits its
    ``delay``, then fails if it is one of the failing calls, else takes the next
    scripted reply. A reply that is an exception is raised. Shallow copies
    (``model_copy``) share the record and the script's position.

    Args:
        replies: The script: a ``str``, ``AIMessage`` or exception answers every
            call; a list (or iterator) answers the calls in order (a call past
            its end raises ``IndexError``); a function gets each prompt's messages.
        delay: Seconds each call waits before replying (sync and async); a list
            gives call ``i`` its own (``0`` past its end).
        chunk_delay: Seconds a stream waits before each chunk (the first
            included); a list gives stream call ``i`` its own: a number for
            every chunk, or a list with one per chunk (``0`` past its end).
        fail_calls: Indices of the calls (``0`` is the first) that raise ``fail_with``.
        fail_first: The first ``fail_first`` calls raise ``fail_with``.
        fail_with: The exception (or class) failing calls raise;
            ``RuntimeError`` if not given.
        usage: Usage metadata of every reply: ``True`` counts words, ``False``
            leaves it out, a dict is used as given.
        finish_reason: ``response_metadata["finish_reason"]`` of every reply
            (``None`` leaves it out).
        on_call: Called with each call's record as the call starts.

    Example:
        >>> model = FakeS2AChatModel(replies=["Paris.", "Rome."], fail_first=1)
        >>> model.invoke("Capital of France?")
        Traceback (most recent call last):
        RuntimeError: FakeS2AChatModel: call 0 fails as scripted
        >>> model.invoke("Capital of France?").text
        'Paris.'
        >>> [chunk.text for chunk in model.stream("Capital of Italy?")]
        ['Rome.', '']
        >>> [(c.text, c.streamed) for c in model.calls]
        [('Capital of France?', False), ('Capital of France?', False), ('Capital of Italy?', True)]
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: SkipValidation[Replies]
    delay: SkipValidation[float | Sequence[float]] = 0.0
    chunk_delay: SkipValidation[float | Sequence[float | Sequence[float]]] = 0.0
    fail_calls: SkipValidation[Collection[int]] = ()
    fail_first: int = 0
    fail_with: SkipValidation[BaseException | type[BaseException] | None] = None
    usage: SkipValidation[bool | UsageMetadata] = True
    finish_reason: str | None = "stop"
    on_call: SkipValidation[Callable[[FakeCall], None] | None] = None

    _shared: _Record = PrivateAttr(default_factory=_Record)

    @property
    def _llm_type(self) -> str:
        return "fake-chat"

    # ------------------------------------------------------------------ record
    @property
    def calls(self) -> list[FakeCall]:
        """Every call so far, in the order they started (this model and its copies)."""
        return self._shared.calls

    @property
    def prompts(self) -> list[str]:
        """The prompt of every call as text (:attr:`FakeCall.text`)."""
        return [c.text for c in self._shared.calls]

    @property
    def call_count(self) -> int:
        """Number of calls so far (this model and its copies)."""
        return len(self._shared.calls)

    @property
    def in_flight(self) -> int:
        """Calls started and not yet finished."""
        return self._shared.in_flight

    @property
    def peak_in_flight(self) -> int:
        """The most calls that were in flight at once."""
        return self._shared.peak_in_flight

    @property
    def release(self) -> threading.Event:
        """Set it to end every sync delay now (calls left hanging by a test)."""
        return self._shared.release

    def _record(
        self,
        messages: list[BaseMessage],
        run_manager: Any = None,
        *,
        is_async: bool = False,
        streamed: bool = False,
        structured: bool = False,
    ) -> int:
        tags = list(getattr(run_manager, "tags", None) or [])
        if structured:
            tags.append("structured")
        metadata = dict(getattr(run_manager, "metadata", None) or {})
        call = FakeCall(list(messages), tags, metadata, is_async=is_async, streamed=streamed)
        with self._shared.lock:
            index = len(self._shared.calls)
            self._shared.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        return index

    # ------------------------------------------------------------------ script
    def _delay(self, index: int) -> float:
        return float(_at(self.delay, index))

    def _chunk_delay(self, index: int, chunk: int) -> float:
        return float(_at(_at(self.chunk_delay, index), chunk))

    def _failure(self, index: int) -> BaseException | None:
        if index >= self.fail_first and index not in self.fail_calls:
            return None
        error = self.fail_with
        if error is None:
            return RuntimeError(f"FakeS2AChatModel: call {index} fails as scripted")
        return error() if isinstance(error, type) else error

    def _next(self, messages: list[BaseMessage], index: int) -> Reply:
        replies = self.replies
        if isinstance(replies, str | AIMessage | BaseException):
            return replies
        if callable(replies):
            return replies(messages)
        record = self._shared
        with record.lock:
            try:
                reply = replies[record.replied] if isinstance(replies, Sequence) else next(replies)
            except (IndexError, StopIteration):
                message = f"FakeS2AChatModel: call {index} has no reply left"
                raise IndexError(message) from None
            record.replied += 1
        return reply

    def _reply(self, messages: list[BaseMessage], index: int) -> AIMessage:
        failure = self._failure(index)
        if failure is not None:
            raise failure
        reply = self._next(messages, index)
        if isinstance(reply, BaseException):
            raise reply
        message = AIMessage(reply) if isinstance(reply, str) else reply
        update: dict[str, Any] = {}
        if message.usage_metadata is None and self.usage is not False:
            update["usage_metadata"] = self._usage(message.text, messages)
        if self.finish_reason is not None and "finish_reason" not in message.response_metadata:
            finish = {"finish_reason": self.finish_reason}
            update["response_metadata"] = {**message.response_metadata, **finish}
        return message.model_copy(update=update) if update else message

    def _usage(self, text: str, messages: list[BaseMessage]) -> UsageMetadata:
        if not isinstance(self.usage, bool):
            return self.usage
        n_in = sum(len(m.text.split()) for m in messages)
        n_out = len(text.split())
        return UsageMetadata(input_tokens=n_in, output_tokens=n_out, total_tokens=n_in + n_out)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._shared.release.wait(seconds)

    @staticmethod
    def _chunks(message: AIMessage) -> list[AIMessageChunk]:
        chunks = [AIMessageChunk(content=piece) for piece in _words(message.text)]
        tool_chunks = [
            tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
            for i, c in enumerate(message.tool_calls)
        ]
        last = AIMessageChunk(
            content="",
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
            tool_call_chunks=tool_chunks,
            chunk_position="last",
        )
        return [*chunks, last]

    # ---------------------------------------------------------- BaseChatModel
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        index = self._record(messages, run_manager)
        with self._shared.in_flight_call():
            self._wait(self._delay(index))
            message = self._reply(messages, index)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        index = self._record(messages, run_manager, is_async=True)
        with self._shared.in_flight_call():
            await asyncio.sleep(self._delay(index))
            message = self._reply(messages, index)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        index = self._record(messages, run_manager, streamed=True)
        with self._shared.in_flight_call():
            self._wait(self._delay(index))
            for n, piece in enumerate(self._chunks(self._reply(messages, index))):
                self._wait(self._chunk_delay(index, n))
                chunk = ChatGenerationChunk(message=piece)
                if run_manager and chunk.text:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        index = self._record(messages, run_manager, is_async=True, streamed=True)
        with self._shared.in_flight_call():
            if (delay := self._delay(index)) > 0:
                await asyncio.sleep(delay)
            for n, piece in enumerate(self._chunks(self._reply(messages, index))):
                if (gap := self._chunk_delay(index, n)) > 0:
                    await asyncio.sleep(gap)
                chunk = ChatGenerationChunk(message=piece)
                if run_manager and chunk.text:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk


Outcome = dict[str, Any] | None | BaseException
"""One scripted structured outcome: the schema's fields, ``None`` (unparseable), or an error."""


class FakeS2AStructuredChatModel(FakeS2AChatModel):
    """:class:`FakeS2AChatModel` with ``with_structured_output``: scripted outcomes.

    Each structured call is recorded (with the tag ``"structured"``) and takes the
    next of ``outcomes``: a dict of the schema's fields (parsed into the schema),
    ``None`` (an unparseable reply) or an exception (raised). Past the end of
    ``outcomes`` it takes ``default``. Text calls follow ``replies``.

    Args:
        outcomes: Structured outcomes in call order.
        default: The outcome once ``outcomes`` is used up.
        bind_error: Raised by ``with_structured_output`` itself (a model that
            cannot bind a schema).

    Example:
        >>> from pydantic import BaseModel
        >>> class City(BaseModel):
        ...     name: str
        >>> model = FakeS2AStructuredChatModel(replies="Rome.", outcomes=[{"name": "Rome"}, None])
        >>> structured = model.with_structured_output(City, include_raw=True)
        >>> structured.invoke("Capital of Italy?")["parsed"]
        City(name='Rome')
        >>> structured.invoke("Capital of Italy?")["parsed"] is None
        True
        >>> [c.tags for c in model.calls]
        [['structured'], ['structured']]
    """

    outcomes: SkipValidation[Sequence[Outcome]] = ()
    default: SkipValidation[Outcome] = None
    bind_error: SkipValidation[BaseException | None] = None

    def _outcome(self) -> Outcome:
        record = self._shared
        with record.lock:
            used = record.structured
            record.structured += 1
        return self.outcomes[used] if used < len(self.outcomes) else self.default

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[Any, Any]:
        """A runnable giving the next outcome in ``schema`` (raises ``bind_error`` if set)."""
        if self.bind_error is not None:
            raise self.bind_error

        def run(messages: Any, config: RunnableConfig) -> Any:
            prompt = messages.to_messages() if isinstance(messages, PromptValue) else messages
            source = SimpleNamespace(tags=config.get("tags"), metadata=config.get("metadata"))
            self._record(convert_to_messages(prompt), source, structured=True)
            outcome = self._outcome()
            if isinstance(outcome, BaseException):
                raise outcome
            parsed = schema(**outcome) if outcome is not None else None
            if not include_raw:
                return parsed
            return {"raw": AIMessage("{}"), "parsed": parsed, "parsing_error": None}

        return RunnableLambda(run)
