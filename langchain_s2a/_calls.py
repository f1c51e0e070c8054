"""Model calls with a per-call timeout and bounded retries of transient errors."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import random
import time
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from langchain_s2a.errors import S2AError

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


@dataclass(frozen=True)
class CallPolicy:
    """How one model call is made: timeout and retries of transient errors."""

    timeout: float | None = None
    """Seconds one attempt may take; ``None`` waits for ever."""
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


_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="s2a-timeout")


def _timeout_error(seconds: float) -> TimeoutError:
    return TimeoutError(f"model call exceeded the S2A timeout of {seconds:g} s")


def call_model(
    model: Runnable[LanguageModelInput, Any],
    messages: LanguageModelInput,
    config: RunnableConfig | None,
    policy: CallPolicy,
) -> Any:
    """Invoke ``model`` under ``policy`` (sync). A timed-out call is abandoned, not killed."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            if policy.timeout is None:
                return model.invoke(messages, config)
            ctx = contextvars.copy_context()
            future = _POOL.submit(ctx.run, model.invoke, messages, config)
            try:
                return future.result(timeout=policy.timeout)
            except concurrent.futures.TimeoutError:
                future.cancel()
                raise _timeout_error(policy.timeout) from None
        except Exception as exc:
            if attempt >= policy.max_attempts or not is_transient(exc):
                raise
            time.sleep(policy.backoff(attempt))
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
                return await asyncio.wait_for(model.ainvoke(messages, config), policy.timeout)
            except TimeoutError:
                raise _timeout_error(policy.timeout) from None
        except Exception as exc:
            if attempt >= policy.max_attempts or not is_transient(exc):
                raise
            await asyncio.sleep(policy.backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def message_of(value: Any) -> BaseMessage:
    """Type guard for a model's reply."""
    if not isinstance(value, BaseMessage):
        raise TypeError(f"the model returned {type(value).__name__}, not a message")
    return value
