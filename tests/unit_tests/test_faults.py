"""Fault injection with fake models: errors, timeouts, rate limits, partial streams, load.

Transient faults (timeouts, rate limits, 5xx, lost connections) are retried with a
bounded, growing backoff; permanent ones fail at once with the model's own error;
a stream that breaks after its first token raises instead of returning a truncated
answer; under ``abatch`` every input is accounted for and ``max_concurrency`` holds.

Backoff pauses are shrunk (``CallPolicy.backoff`` is patched) except in the one test
that checks the real pause exists.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langgraph.types import RetryPolicy
from pydantic import Field

from langchain_s2a import (
    S2AInputError,
    S2AResult,
    S2ARewriteError,
    S2ARewriter,
    build_s2a_graph,
    create_s2a_chain,
)
from langchain_s2a._internal.io.calls import CallPolicy, is_transient
from tests.fakes import FakeChat, is_rewrite_prompt, scripted

TEXT = "Who wrote Hamlet? I think it was Marlowe."
REWRITE = "Context: none\nQuestion: Who wrote Hamlet?"
ANSWER = "William Shakespeare wrote Hamlet"
FAST_RETRY = RetryPolicy(
    max_attempts=3, initial_interval=0.001, jitter=False, retry_on=is_transient
)


class RateLimitError(Exception):
    """Shaped like a provider's 429 error (only the name marks it transient)."""


class InvalidRequestError(ValueError):
    """A permanent error: the request itself is wrong."""


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record each backoff pause (by attempt number) and make it ~instant."""
    seen: list[int] = []

    def backoff(self: CallPolicy, attempt: int) -> float:
        seen.append(attempt)
        return 0.001

    monkeypatch.setattr(CallPolicy, "backoff", backoff)
    return seen


def failing(
    errors: list[BaseException], then: str | None = None, *, answer: str = ANSWER
) -> FakeChat:
    """A model raising ``errors`` in turn on rewrite calls, then replying normally."""
    queue = list(errors)
    lock = threading.Lock()
    normal = scripted(then or REWRITE, answer)

    def respond(messages: list[BaseMessage]) -> str | BaseException:
        with lock:
            if queue and is_rewrite_prompt(messages):
                return queue.pop(0)
        return normal(messages)

    return FakeChat(respond=respond)


# ------------------------------------------------------------------ backoff
def test_backoff_grows_and_is_bounded() -> None:
    policy = CallPolicy(max_attempts=10)
    for attempt in range(1, 20):
        base = min(policy.max_backoff, policy.initial_backoff * 2 ** (attempt - 1))
        pause = policy.backoff(attempt)
        assert base / 2 <= pause <= base <= policy.max_backoff
    with pytest.raises(ValueError, match="max_attempts"):
        CallPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="timeout"):
        CallPolicy(timeout=0)


def test_default_backoff_really_pauses() -> None:
    model = failing([RateLimitError("429 slow down")])
    started = time.perf_counter()
    result = create_s2a_chain(model).invoke(TEXT)
    elapsed = time.perf_counter() - started
    assert result.answer == ANSWER and not result.rewrite.fallback
    assert len(model.rewrite_calls) == 2
    assert 0.25 <= elapsed < 2.0  # one pause of 0.5 s x jitter in [0.5, 1]


# ----------------------------------------------------- transient vs permanent
@pytest.mark.parametrize(
    "error",
    [
        RateLimitError("429 Too Many Requests"),
        TimeoutError("read timed out"),
        ConnectionResetError("connection reset by peer"),
        openai.RateLimitError(
            "rate limited",
            response=httpx.Response(429, request=httpx.Request("POST", "http://api")),
            body=None,
        ),
        openai.InternalServerError(
            "bad gateway",
            response=httpx.Response(502, request=httpx.Request("POST", "http://api")),
            body=None,
        ),
        openai.APIConnectionError(request=httpx.Request("POST", "http://api")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transient_errors_are_retried(error: Exception, backoffs: list[int]) -> None:
    assert is_transient(error)
    model = failing([error, error])
    result = create_s2a_chain(model).invoke(TEXT)
    assert result.answer == ANSWER and not result.rewrite.fallback
    assert len(model.rewrite_calls) == 3
    assert backoffs == [1, 2]


def test_retries_are_bounded(backoffs: list[int]) -> None:
    model = failing([RateLimitError("429")] * 10)
    with pytest.raises(RateLimitError, match="429"):
        create_s2a_chain(model, max_attempts=4).invoke(TEXT)
    assert len(model.rewrite_calls) == 4
    assert model.answer_calls == []
    assert backoffs == [1, 2, 3]


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequestError("unknown model 'gpt-9'"),
        TypeError("unexpected keyword"),
        KeyError("choices"),
        S2AInputError("bad input"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_permanent_errors_fail_fast_with_the_models_error(
    error: Exception, backoffs: list[int]
) -> None:
    assert not is_transient(error)
    model = failing([error])
    with pytest.raises(type(error)) as info:
        create_s2a_chain(model).invoke(TEXT)
    assert info.value is error  # the model's own error, message intact
    assert len(model.calls) == 1
    assert backoffs == []  # no pause, no second attempt


def _status_error(cls: type[openai.APIStatusError], code: int) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://api")
    return cls(f"Error code: {code}", response=httpx.Response(code, request=request), body=None)


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (openai.BadRequestError, 400),
        (openai.AuthenticationError, 401),
        (openai.PermissionDeniedError, 403),
        (openai.NotFoundError, 404),
    ],
    ids=["400", "401", "403", "404"],
)
def test_provider_client_errors_are_permanent(
    cls: type[openai.APIStatusError], code: int, backoffs: list[int]
) -> None:
    error = _status_error(cls, code)
    model = failing([error] * 3)
    with pytest.raises(cls):
        create_s2a_chain(model).invoke(TEXT)
    assert len(model.calls) == 1


async def test_async_transient_then_permanent(backoffs: list[int]) -> None:
    model = failing([RateLimitError("429"), InvalidRequestError("context too long")])
    with pytest.raises(InvalidRequestError, match="context too long"):
        await create_s2a_chain(model).ainvoke(TEXT)
    assert len(model.rewrite_calls) == 2 and model.answer_calls == []
    assert backoffs == [1]


def test_answer_step_errors_are_retried_too(backoffs: list[int]) -> None:
    outcomes: list[BaseException | None] = [RateLimitError("429"), None]

    def respond(messages: list[BaseMessage]) -> str | BaseException:
        if is_rewrite_prompt(messages):
            return REWRITE
        return outcomes.pop(0) or ANSWER

    model = FakeChat(respond=respond)
    assert create_s2a_chain(model).invoke(TEXT).answer == ANSWER
    assert len(model.answer_calls) == 2


def test_rewriter_on_failure_does_not_swallow_model_errors() -> None:
    # on_failure="original" is about unusable rewrites, not about model errors.
    model = failing([InvalidRequestError("bad request")])
    with pytest.raises(InvalidRequestError):
        S2ARewriter(model, on_failure="original").invoke(TEXT)


# ----------------------------------------------------------------- timeouts
class Slow(FakeChat):
    """Each call sleeps the next of ``delays`` seconds (sync or async), then replies."""

    delays: list[float] = Field(default_factory=list)
    started: int = 0

    def _next_delay(self) -> float:
        self.started += 1
        return self.delays.pop(0) if self.delays else 0.0

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        time.sleep(self._next_delay())
        return super()._generate(messages, stop, run_manager, **kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.delay = self._next_delay()
        return await super()._agenerate(messages, stop, run_manager, **kwargs)


def slow(delays: list[float]) -> Slow:
    return Slow(respond=scripted(REWRITE, ANSWER), delays=list(delays))


def test_sync_timeout_is_retried(backoffs: list[int]) -> None:
    model = slow([1.0])  # the first call hangs, the retry is instant
    started = time.perf_counter()
    result = create_s2a_chain(model, timeout=0.05).invoke(TEXT)
    assert time.perf_counter() - started < 0.6  # did not wait for the hung call
    assert result.answer == ANSWER and not result.rewrite.fallback
    assert backoffs == [1]


async def test_async_timeout_is_retried(backoffs: list[int]) -> None:
    model = slow([5.0])
    started = time.perf_counter()
    result = await create_s2a_chain(model, timeout=0.05).ainvoke(TEXT)
    assert time.perf_counter() - started < 1.0
    assert result.answer == ANSWER
    assert backoffs == [1]
    assert model.in_flight == 0  # the timed-out call was cancelled, not left running


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_timeout_exhausted_raises_a_clear_timeout_error(
    use_async: bool, backoffs: list[int]
) -> None:
    model = slow([1.0, 1.0])
    rewriter = S2ARewriter(model, timeout=0.05, max_attempts=2)
    started = time.perf_counter()
    with pytest.raises(TimeoutError, match=r"exceeded the S2A timeout of 0\.05 s"):
        if use_async:
            await rewriter.ainvoke(TEXT)
        else:
            rewriter.invoke(TEXT)
    assert time.perf_counter() - started < 0.8  # two 0.05 s attempts, not two 1 s hangs
    assert model.started == 2
    assert backoffs == [1]


def test_timeout_is_validated_before_any_model_call() -> None:
    model = slow([])
    with pytest.raises(ValueError, match=r"timeout\n.*greater than 0"):
        create_s2a_chain(model, timeout=0).invoke(TEXT)
    assert model.calls == []
    with pytest.raises(ValueError, match=r"timeout\n.*greater than 0"):
        build_s2a_graph(model, timeout=-1)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_graph_timeout_is_retried_by_the_retry_policy(use_async: bool) -> None:
    model = slow([3.0, 0.0, 3.0])  # rewrite hangs once, answer hangs once
    graph = build_s2a_graph(model, timeout=0.05, retry_policy=FAST_RETRY)
    inputs = {"input": TEXT}
    started = time.perf_counter()
    out = await graph.ainvoke(inputs) if use_async else graph.invoke(inputs)
    assert (
        time.perf_counter() - started < 2.5
    )  # did not wait for the 3 s hangs (loose: CI may be busy)
    assert out["answer"] == ANSWER and not out["rewrite"]["fallback"]
    assert model.started == 4  # two calls timed out and were retried


def test_graph_permanent_error_fails_fast_with_the_default_policy() -> None:
    model = failing([InvalidRequestError("bad request")])
    with pytest.raises(InvalidRequestError):
        build_s2a_graph(model).invoke({"input": TEXT})
    assert len(model.calls) == 1  # the default RetryPolicy did not retry it


def test_graph_transient_errors_exhaust_the_retry_policy() -> None:
    model = failing([RateLimitError("429")] * 5)
    with pytest.raises(RateLimitError):
        build_s2a_graph(model, retry_policy=FAST_RETRY).invoke({"input": TEXT})
    assert len(model.rewrite_calls) == 3 and model.answer_calls == []


# ------------------------------------------------------------ partial streams
class BreakingStream(FakeChat):
    """Streams the reply word by word; stream call ``k`` breaks after ``breaks[k]`` chunks.

    ``None`` means that call streams to the end.
    """

    breaks: list[int | None] = Field(default_factory=list)
    error: type[Exception] = RateLimitError

    def _plan(self) -> int | None:
        return self.breaks.pop(0) if self.breaks else None

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        cut = self._plan()
        for index, chunk in enumerate(super()._stream(messages, stop, run_manager, **kwargs)):
            if cut is not None and index >= cut:
                raise self.error("connection dropped mid-stream")
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        cut = self._plan()
        index = 0
        async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
            if cut is not None and index >= cut:
                raise self.error("connection dropped mid-stream")
            index += 1
            yield chunk


def streaming_chain(breaks: list[int | None], error: type[Exception] = RateLimitError) -> Any:
    answerer = BreakingStream(respond=lambda _m: ANSWER, breaks=breaks, error=error)
    chain = create_s2a_chain(answerer, rewriter_model=FakeChat(respond=scripted(REWRITE)))
    return chain, answerer


def test_stream_failing_after_tokens_raises_not_truncates(backoffs: list[int]) -> None:
    chain, answerer = streaming_chain([2, None])
    received: list[Any] = []
    with pytest.raises(RateLimitError, match="mid-stream"):
        for chunk in chain.stream(TEXT):
            received.append(chunk)
    assert "".join(c.answer for c in received) == "William Shakespeare "
    assert len(answerer.calls) == 1  # tokens were out: no retry, no silent truncation
    assert backoffs == []


async def test_astream_failing_after_tokens_raises_not_truncates(backoffs: list[int]) -> None:
    chain, answerer = streaming_chain([3, None])
    received: list[Any] = []
    with pytest.raises(RateLimitError):
        async for chunk in chain.astream(TEXT):
            received.append(chunk)
    assert "".join(c.answer for c in received) == "William Shakespeare wrote "
    assert len(answerer.calls) == 1


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_stream_failing_before_first_token_is_retried(
    use_async: bool, backoffs: list[int]
) -> None:
    chain, answerer = streaming_chain([0, 0, None])
    chunks = [c async for c in chain.astream(TEXT)] if use_async else list(chain.stream(TEXT))
    result = sum(chunks[1:], chunks[0]).to_result()
    assert result.answer == ANSWER  # complete, once
    assert len(answerer.calls) == 3
    assert backoffs == [1, 2]


def test_stream_permanent_error_before_first_token_fails_fast(backoffs: list[int]) -> None:
    chain, answerer = streaming_chain([0, None], error=InvalidRequestError)
    with pytest.raises(InvalidRequestError):
        list(chain.stream(TEXT))
    assert len(answerer.calls) == 1 and backoffs == []


def test_graph_mid_stream_failure_never_yields_a_truncated_answer() -> None:
    answerer = BreakingStream(respond=lambda _m: ANSWER, breaks=[2, None])
    graph = build_s2a_graph(
        answerer, rewriter_model=FakeChat(respond=scripted(REWRITE)), retry_policy=FAST_RETRY
    )
    tokens: dict[str, str] = {}
    final: dict[str, Any] = {}
    for mode, event in graph.stream({"input": TEXT}, stream_mode=["messages", "values"]):
        if mode == "messages":
            message = event[0]
            tokens[str(message.id)] = tokens.get(str(message.id), "") + message.text
        else:
            final = event
    # The node is retried as a whole: the state holds the complete answer, and the
    # retried message streams under a new id (the broken attempt's id stays partial).
    assert final["answer"] == ANSWER
    assert list(tokens.values()) == ["William Shakespeare ", ANSWER]


# ------------------------------------------------------------------- abatch
N_INPUTS = 1_000
MAX_CONCURRENCY = 16


def _item(messages: list[BaseMessage]) -> int:
    match = re.search(r"box (\d+)", messages[-1].text)
    assert match, messages[-1].text
    return int(match.group(1))


class Plan:
    """Deterministic faults by input number ``i`` (per 30 inputs):

    * ``i % 30 == 0``: the rewrite call fails permanently → errored;
    * ``i % 30 == 5``: the rewrite call is rate-limited once → retried, answered;
    * ``i % 30 == 10``: the answer call is rate-limited once → retried, answered;
    * ``i % 30 == 15``: the answer call always times out → errored after 3 attempts;
    * ``i % 30 == 7``: the rewrite is unusable → fell back to the original, answered.
    """

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, int]] = Counter()
        self.failed = 0
        self.lock = threading.Lock()

    def __call__(self, messages: list[BaseMessage]) -> str | BaseException:
        stage = "rewrite" if is_rewrite_prompt(messages) else "answer"
        i = _item(messages)
        with self.lock:
            self.seen[(stage, i)] += 1
            first = self.seen[(stage, i)] == 1
        error: BaseException | None = None
        if stage == "rewrite" and i % 30 == 0:
            error = InvalidRequestError(f"input {i} rejected by the provider")
        elif (stage == "rewrite" and i % 30 == 5 and first) or (
            stage == "answer" and i % 30 == 10 and first
        ):
            error = RateLimitError(f"429 on {i}")
        elif stage == "answer" and i % 30 == 15:
            error = TimeoutError(f"timed out on {i}")
        if error is not None:
            with self.lock:
                self.failed += 1
            return error
        if stage == "rewrite":
            if i % 30 == 7:
                return "Sorry, I cannot help with that."
            return f"Context: none\nQuestion: What colour is box {i}?"
        return f"answer {i}"


def _inputs() -> list[str]:
    return [f"What colour is box {i}? I think box {i} is red." for i in range(N_INPUTS)]


def _classify(results: list[Any]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    for i, result in enumerate(results):
        if i % 30 == 0:
            assert isinstance(result, InvalidRequestError) and f"input {i} " in str(result)
            outcomes["errored"] += 1
        elif i % 30 == 15:
            assert isinstance(result, TimeoutError) and f"on {i}" in str(result)
            outcomes["errored"] += 1
        else:
            assert isinstance(result, S2AResult), result
            assert result.answer == f"answer {i}"  # each result belongs to its own input
            assert result.rewrite.original == f"What colour is box {i}? I think box {i} is red."
            if i % 30 == 7:
                assert result.rewrite.fallback and result.rewrite.fallback_reason == "unparseable"
                outcomes["fell back"] += 1
            else:
                assert not result.rewrite.fallback
                outcomes["answered"] += 1
    return outcomes


async def test_abatch_1000_with_faults_accounts_for_every_input(backoffs: list[int]) -> None:
    plan = Plan()
    model = FakeChat(respond=plan, delay=0.001)
    chain = create_s2a_chain(model)
    started = time.perf_counter()
    results = await chain.abatch(
        _inputs(), config={"max_concurrency": MAX_CONCURRENCY}, return_exceptions=True
    )
    elapsed = time.perf_counter() - started
    assert len(results) == N_INPUTS
    outcomes = _classify(results)
    assert sum(outcomes.values()) == N_INPUTS
    assert outcomes == {"answered": 899, "fell back": 34, "errored": 67}
    total_calls = len(model.calls)
    fraction = plan.failed / total_calls
    print(
        f"\nabatch {N_INPUTS}: {dict(outcomes)}; {plan.failed}/{total_calls} calls failed "
        f"({fraction:.1%}); peak in-flight {model.peak_in_flight} "
        f"(max_concurrency={MAX_CONCURRENCY}); {elapsed:.2f} s"
    )
    assert 0.08 <= fraction <= 0.12
    assert model.peak_in_flight <= MAX_CONCURRENCY
    assert model.peak_in_flight >= MAX_CONCURRENCY // 2  # the batch really ran concurrently
    assert model.in_flight == 0


async def test_graph_abatch_with_faults_respects_max_concurrency() -> None:
    plan = Plan()
    model = FakeChat(respond=plan, delay=0.001)
    graph = build_s2a_graph(model, retry_policy=FAST_RETRY, max_retries=0)
    texts = _inputs()[:200]
    results = await graph.abatch(
        [{"input": t} for t in texts], config={"max_concurrency": 8}, return_exceptions=True
    )
    assert len(results) == len(texts)
    counts: Counter[str] = Counter()
    for i, result in enumerate(results):
        if i % 30 in (0, 15):
            assert isinstance(result, InvalidRequestError | TimeoutError)
            counts["errored"] += 1
        else:
            assert isinstance(result, dict) and result["answer"] == f"answer {i}"
            counts["fell back" if result["rewrite"]["fallback"] else "answered"] += 1
    print(f"\ngraph abatch 200: {dict(counts)}; peak in-flight {model.peak_in_flight}")
    assert counts == {"answered": 179, "fell back": 7, "errored": 14}
    assert 4 <= model.peak_in_flight <= 8


def test_batch_with_raise_mode_reports_rewrite_errors_per_input() -> None:
    model = FakeChat(respond=scripted(["I cannot do that.", REWRITE], ANSWER))
    chain = create_s2a_chain(model, on_failure="raise")
    results = chain.batch([TEXT, TEXT], config={"max_concurrency": 1}, return_exceptions=True)
    assert isinstance(results[0], S2ARewriteError) and results[0].reason == "unparseable"
    assert isinstance(results[1], S2AResult) and results[1].answer == ANSWER
