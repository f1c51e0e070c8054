"""``timeout=``: what it measures (issue 13, items 3 and 4).

The timeout bounds the model call itself, not time spent waiting for a worker; a
call that hangs holds only its own thread, so it cannot make unrelated calls time
out; a streamed answer is bounded per chunk (the wait for the first chunk and each
gap between chunks), not in total.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from langchain_s2a import S2ARewrite, S2ARewriter, build_s2a_graph, create_s2a_chain
from langchain_s2a._internal.io.calls import CallPolicy
from tests.fakes import FakeChat, scripted

TEXT = "Who wrote Hamlet? I think it was Marlowe."
REWRITE = "Context: none\nQuestion: Who wrote Hamlet?"
ANSWER = "William Shakespeare wrote Hamlet"


class Sleepy(FakeChat):
    """Every call waits ``sleep`` seconds (or until ``release`` is set), then replies."""

    def __init__(self, *, sleep: float = 0.0, **kwargs: Any) -> None:
        super().__init__(delay=sleep, **kwargs)

    @property
    def started(self) -> int:
        return len(self.calls)


def test_time_queued_for_a_worker_does_not_count() -> None:
    # 64 calls of 0.5 s at once under a 0.8 s timeout: each call is within its budget.
    model = Sleepy(respond=scripted(REWRITE), sleep=0.5)
    rewriter = S2ARewriter(model, timeout=0.8, max_attempts=1)
    results = rewriter.batch([TEXT] * 64, config={"max_concurrency": 64}, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert all(isinstance(r, S2ARewrite) and not r.fallback for r in results)
    assert len(model.calls) == 64


def test_hung_calls_do_not_starve_other_calls() -> None:
    hung = Sleepy(respond=scripted(REWRITE), sleep=5.0)
    try:
        rewriter = S2ARewriter(hung, timeout=0.05, max_attempts=1)
        results = rewriter.batch(
            [TEXT] * 40, config={"max_concurrency": 40}, return_exceptions=True
        )
        assert all(isinstance(r, TimeoutError) for r in results)
        deadline = time.monotonic() + 3.0
        while hung.started < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hung.started == 40  # every call really started and is still hanging
        healthy = FakeChat(respond=scripted(REWRITE, ANSWER))
        result = create_s2a_chain(healthy, timeout=0.5, max_attempts=1).invoke(TEXT)
        assert result.answer == ANSWER and not result.rewrite.fallback
    finally:
        hung.release.set()  # let the abandoned calls finish


class Gaps(FakeChat):
    """Streams the answer word by word; stream call ``k`` waits ``plans[k][i]`` s before chunk ``i``."""

    def __init__(self, *, plans: list[list[float]], **kwargs: Any) -> None:
        super().__init__(chunk_delay=plans, **kwargs)


def gap_chain(plans: list[list[float]], timeout: float, max_attempts: int = 1) -> tuple[Any, Gaps]:
    answerer = Gaps(respond=lambda _m: ANSWER, plans=plans)
    rewriter = FakeChat(respond=scripted(REWRITE))
    chain = create_s2a_chain(
        answerer, rewriter_model=rewriter, timeout=timeout, max_attempts=max_attempts
    )
    return chain, answerer


async def _collect(chain: Any, use_async: bool, into: list[Any]) -> None:
    if use_async:
        async for chunk in chain.astream(TEXT):
            into.append(chunk)
    else:
        for chunk in chain.stream(TEXT):
            into.append(chunk)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_stream_waiting_for_the_first_chunk_times_out(use_async: bool) -> None:
    chain, answerer = gap_chain([[3.0]], timeout=0.2)
    received: list[Any] = []
    started = time.perf_counter()
    try:
        with pytest.raises(TimeoutError, match=r"S2A timeout of 0\.2 s"):
            await _collect(chain, use_async, received)
    finally:
        answerer.release.set()
    assert time.perf_counter() - started < 2.0  # did not wait for the 3 s stall
    assert [c.answer for c in received if c.answer] == []


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_stream_stalling_between_chunks_times_out(use_async: bool) -> None:
    chain, answerer = gap_chain([[0.0, 0.0, 3.0]], timeout=0.2)
    received: list[Any] = []
    started = time.perf_counter()
    try:
        with pytest.raises(TimeoutError, match=r"S2A timeout of 0\.2 s"):
            await _collect(chain, use_async, received)
    finally:
        answerer.release.set()
    assert time.perf_counter() - started < 2.0
    assert "".join(c.answer for c in received) == "William Shakespeare "
    assert len(answerer.calls) == 1  # tokens were out: not retried


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_a_stream_longer_than_the_timeout_with_short_gaps_completes(
    use_async: bool,
) -> None:
    chain, _ = gap_chain([[0.06] * 5], timeout=0.25)  # ~0.3 s in all, no gap over 0.06 s
    received: list[Any] = []
    await _collect(chain, use_async, received)
    assert sum(received[1:], received[0]).to_result().answer == ANSWER


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_stream_timeout_before_the_first_chunk_is_retried(
    use_async: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CallPolicy, "backoff", lambda self, attempt: 0.001)
    chain, answerer = gap_chain([[3.0], []], timeout=0.2, max_attempts=2)
    received: list[Any] = []
    try:
        await _collect(chain, use_async, received)  # the first stream stalls, the retry runs
    finally:
        answerer.release.set()
    assert sum(received[1:], received[0]).to_result().answer == ANSWER
    assert len(answerer.calls) == 2


def gap_graph(plans: list[list[float]], timeout: float) -> tuple[Any, Gaps]:
    answerer = Gaps(respond=lambda _m: ANSWER, plans=plans)
    rewriter = FakeChat(respond=scripted(REWRITE))
    graph = build_s2a_graph(answerer, rewriter_model=rewriter, timeout=timeout, max_attempts=1)
    return graph, answerer


async def _tokens(graph: Any, use_async: bool, into: list[str]) -> None:
    if use_async:
        async for message, _ in graph.astream({"input": TEXT}, stream_mode="messages"):
            into.append(message.text)
    else:
        for message, _ in graph.stream({"input": TEXT}, stream_mode="messages"):
            into.append(message.text)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_graph_answer_streamed_in_messages_mode_is_bounded_per_chunk(
    use_async: bool,
) -> None:
    """Issue 23 item 12: the graph's streamed answer was bounded as a whole."""
    graph, _ = gap_graph([[0.15] * 5], timeout=0.4)  # ~0.75 s in all, no gap over 0.15 s
    tokens: list[str] = []
    await _tokens(graph, use_async, tokens)
    assert "".join(tokens) == ANSWER


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_graph_answer_stalling_between_chunks_times_out(use_async: bool) -> None:
    graph, answerer = gap_graph([[0.0, 0.0, 3.0]], timeout=0.2)
    tokens: list[str] = []
    started = time.perf_counter()
    try:
        with pytest.raises(TimeoutError, match=r"S2A timeout of 0\.2 s"):
            await _tokens(graph, use_async, tokens)
    finally:
        answerer.release.set()
    assert time.perf_counter() - started < 2.0
    assert "".join(tokens) == "William Shakespeare "
