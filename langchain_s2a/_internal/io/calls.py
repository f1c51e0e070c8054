"""Model calls with a per-call timeout and bounded retries of transient errors.

A sync call under a timeout runs on its own daemon thread, so time spent waiting
for a worker never counts against the timeout and a call that hangs holds only its
own thread (Python cannot kill it; it is abandoned). Async calls are bounded with
``asyncio.timeout`` in the caller's task, and a timed-out call is cancelled.
Streams are bounded per chunk: the wait for the first chunk and each gap between
chunks may each take up to the timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import queue
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.utils import message_chunk_to_message
from langchain_core.runnables import Runnable, RunnableConfig

from langchain_s2a.errors import S2AError

_T = TypeVar("_T")

_TRANSIENT_NAMES = (
    "RateLimit",
    "APIConnection",
    "APITimeout",
    "Timeout",
    "ConnectError",
    "InternalServer",
    "Unavailable",
    "Overloaded",
)
_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})
_UNSUPPORTED = re.compile(
    r"not\s+(?:yet\s+)?(?:be\s+)?supported|unsupported|does\s*(?:not|n't)\s+support"
    r"|not\s+implemented"
    # a request parameter of structured output named in a rejection, e.g. llama.cpp's
    # server: 500 "response_format.type: Input should be 'text' or 'json_object'"
    r"|response_format|json_schema|tool_choice",
    re.IGNORECASE,
)


def _status_code(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def is_transient(exc: BaseException) -> bool:
    """Whether a model error is worth retrying (timeouts, rate limits, 5xx, lost connections).

    An HTTP status decides when the error carries one (408, 409, 425, 429 and 5xx
    are transient; other 4xx such as 400/401/403/404 are permanent). Otherwise
    timeouts, lost connections and errors named like them are transient; anything
    else, including our own typed errors and bad input, fails fast.

    Example:
        >>> is_transient(TimeoutError()), is_transient(ValueError("bad input"))
        (True, False)
    """
    if isinstance(exc, S2AError | TypeError | ValueError | KeyError):
        return False
    status = _status_code(exc)
    if status is not None:
        return status in _TRANSIENT_STATUS or status >= 500
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return any(part in type(exc).__name__ for part in _TRANSIENT_NAMES)


def is_unsupported(exc: BaseException) -> bool:
    """Whether an error says definitely that the model cannot do what was asked.

    ``NotImplementedError`` (LangChain's answer for a model without tool calling or
    structured output), or an error whose message says "not supported",
    "unsupported", "does not support" or "not implemented", or names the request
    parameter it rejects (``response_format``, ``json_schema``, ``tool_choice``), as
    providers answer a request for a JSON schema or tools a model lacks (with a 400,
    or a 500 from some OpenAI-compatible servers). Timeouts, lost connections and
    rate limits never count, whatever their message.

    Example:
        >>> is_unsupported(NotImplementedError()), is_unsupported(TimeoutError("not supported"))
        (True, False)
    """
    if isinstance(exc, NotImplementedError):
        return True
    if isinstance(exc, TimeoutError | ConnectionError) or _status_code(exc) in _TRANSIENT_STATUS:
        return False
    if any(part in type(exc).__name__ for part in ("RateLimit", "Timeout", "APIConnection")):
        return False
    return bool(_UNSUPPORTED.search(str(exc)))


@dataclass(frozen=True)
class CallPolicy:
    """How one model call is made: timeout and retries of transient errors."""

    timeout: float | None = None
    """Seconds one attempt may take; ``None`` waits for ever. For a stream, the
    bound of the wait for the first chunk and of each gap between chunks."""
    max_attempts: int = 1
    """Attempts in all (1 = no retry). Only :func:`is_transient` errors are retried."""
    initial_backoff: float = 0.5
    """Seconds before the second attempt; doubles each time, with jitter."""
    max_backoff: float = 8.0
    """Cap of one backoff pause."""

    def __post_init__(self) -> None:
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def backoff(self, attempt: int) -> float:
        """Pause before attempt ``attempt + 1`` (attempts count from 1)."""
        base = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
        return float(base * (0.5 + random.random() / 2))

    def retry_after(self, attempt: int, exc: Exception, *, started: bool = False) -> float | None:
        """Seconds to wait before retrying after attempt ``attempt`` failed, or ``None``.

        ``None`` (give up: re-raise ``exc``) when the attempts are spent, the error is
        not :func:`is_transient`, or a stream had ``started`` (chunks were yielded).
        This is the one retry decision of every model call, sync or async, stream or not.

        Example:
            >>> policy = CallPolicy(max_attempts=2)
            >>> policy.retry_after(1, ValueError("bad")), policy.retry_after(2, TimeoutError())
            (None, None)
            >>> 0 < policy.retry_after(1, TimeoutError()) <= policy.initial_backoff
            True
        """
        if started or attempt >= self.max_attempts or not is_transient(exc):
            return None
        return self.backoff(attempt)


def _timeout_error(seconds: float, what: str = "model call") -> TimeoutError:
    return TimeoutError(f"{what} exceeded the S2A timeout of {seconds:g} s")


def _start_thread(target: Callable[[], None]) -> None:
    """Run ``target`` on a new daemon thread, in a copy of the caller's context."""
    ctx = contextvars.copy_context()
    threading.Thread(target=ctx.run, args=(target,), name="s2a-timeout", daemon=True).start()


def _run_with_timeout(fn: Callable[[], _T], timeout: float) -> _T:
    """``fn()`` on its own thread; raise ``TimeoutError`` if it takes over ``timeout`` s."""
    future: concurrent.futures.Future[_T] = concurrent.futures.Future()

    def run() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the caller
            future.set_exception(exc)
        else:
            future.set_result(result)

    _start_thread(run)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise _timeout_error(timeout) from None


def call_model(
    model: Runnable[LanguageModelInput, Any],
    messages: LanguageModelInput,
    config: RunnableConfig | None,
    policy: CallPolicy,
) -> Any:
    """Invoke ``model`` under ``policy`` (sync). A timed-out call is abandoned, not killed."""
    timeout = policy.timeout
    for attempt in range(1, policy.max_attempts + 1):
        try:
            if timeout is None:
                return model.invoke(messages, config)
            return _run_with_timeout(lambda: model.invoke(messages, config), timeout)
        except Exception as exc:
            if (pause := policy.retry_after(attempt, exc)) is None:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


async def acall_model(
    model: Runnable[LanguageModelInput, Any],
    messages: LanguageModelInput,
    config: RunnableConfig | None,
    policy: CallPolicy,
) -> Any:
    """Async twin of :func:`call_model`; a timed-out call is cancelled."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            if policy.timeout is None:
                return await model.ainvoke(messages, config)
            try:
                async with asyncio.timeout(policy.timeout):
                    return await model.ainvoke(messages, config)
            except TimeoutError:
                raise _timeout_error(policy.timeout) from None
        except Exception as exc:
            if (pause := policy.retry_after(attempt, exc)) is None:
                raise
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


_END = object()


def _stream_with_timeout(
    model: Runnable[LanguageModelInput, Any],
    messages: LanguageModelInput,
    config: RunnableConfig | None,
    timeout: float,
) -> Iterator[Any]:
    """``model.stream`` read on its own thread; each wait for a chunk is bounded."""
    chunks: queue.SimpleQueue[tuple[Any, BaseException | None]] = queue.SimpleQueue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in model.stream(messages, config):
                if stop.is_set():  # the reader has gone: stop the model's stream
                    break
                chunks.put((chunk, None))
        except BaseException as exc:  # handed to the reader
            chunks.put((_END, exc))
        else:
            chunks.put((_END, None))

    _start_thread(produce)
    try:
        while True:
            try:
                chunk, error = chunks.get(timeout=timeout)
            except queue.Empty:
                raise _timeout_error(timeout, "model stream (wait for a chunk)") from None
            if chunk is _END:
                if error is not None:
                    raise error
                return
            yield chunk
    finally:
        stop.set()


async def _astream_with_timeout(
    model: Runnable[LanguageModelInput, Any],
    messages: LanguageModelInput,
    config: RunnableConfig | None,
    timeout: float,
) -> AsyncIterator[Any]:
    """``model.astream`` with each wait for a chunk bounded; a timed-out stream is closed."""
    stream = model.astream(messages, config)
    try:
        while True:
            try:
                async with asyncio.timeout(timeout):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise _timeout_error(timeout, "model stream (wait for a chunk)") from None
            yield chunk
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def stream_model(
    model: Runnable[LanguageModelInput, Any],
    messages: LanguageModelInput,
    config: RunnableConfig | None,
    policy: CallPolicy,
) -> Iterator[Any]:
    """Stream ``model`` under ``policy``: retried only until the first chunk."""
    for attempt in range(1, policy.max_attempts + 1):
        started = False
        try:
            if policy.timeout is None:
                stream = model.stream(messages, config)
            else:
                stream = _stream_with_timeout(model, messages, config, policy.timeout)
            for chunk in stream:
                started = True
                yield chunk
            return
        except Exception as exc:
            if (pause := policy.retry_after(attempt, exc, started=started)) is None:
                raise
            time.sleep(pause)


async def astream_model(
    model: Runnable[LanguageModelInput, Any],
    messages: LanguageModelInput,
    config: RunnableConfig | None,
    policy: CallPolicy,
) -> AsyncIterator[Any]:
    """Async twin of :func:`stream_model`."""
    for attempt in range(1, policy.max_attempts + 1):
        started = False
        try:
            if policy.timeout is None:
                stream = model.astream(messages, config)
            else:
                stream = _astream_with_timeout(model, messages, config, policy.timeout)
            async for chunk in stream:
                started = True
                yield chunk
            return
        except Exception as exc:
            if (pause := policy.retry_after(attempt, exc, started=started)) is None:
                raise
            await asyncio.sleep(pause)


def message_of(value: Any) -> BaseMessage:
    """Type guard for a model's reply."""
    if not isinstance(value, BaseMessage):
        raise TypeError(f"the model returned {type(value).__name__}, not a message")
    return value


def as_ai_message(value: Any) -> AIMessage:
    """A model's reply as an ``AIMessage`` (a chunk is merged, another message converted).

    Example:
        >>> from langchain_core.messages import AIMessageChunk
        >>> as_ai_message(AIMessageChunk("Paris")).content
        'Paris'
    """
    message = message_of(value)
    if isinstance(message, AIMessageChunk):
        converted = message_chunk_to_message(message)
        return converted if isinstance(converted, AIMessage) else AIMessage(converted.content)
    if isinstance(message, AIMessage):
        return message
    return AIMessage(content=message.content, response_metadata=message.response_metadata)
