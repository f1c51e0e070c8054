"""The public test fake (``langchain_s2a.testing``): script, record, delays, failures, streams."""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from pydantic import BaseModel

from langchain_s2a import S2ARewriter
from langchain_s2a.testing import FakeCall, FakeS2AChatModel, FakeS2AStructuredChatModel


class City(BaseModel):
    name: str


def _join(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


# ------------------------------------------------------------------ script
def test_a_list_is_answered_in_order_then_runs_out() -> None:
    model = FakeS2AChatModel(replies=["one", AIMessage("two")])
    assert [model.invoke("a").text, model.invoke("b").text] == ["one", "two"]
    with pytest.raises(IndexError, match="call 2 has no reply left"):
        model.invoke("c")
    assert len(model.calls) == 3  # the call that found no reply was still made


def test_one_reply_answers_every_call() -> None:
    model = FakeS2AChatModel(replies="same")
    assert {model.invoke(str(i)).text for i in range(3)} == {"same"}


def test_an_iterator_is_consumed_lazily() -> None:
    model = FakeS2AChatModel(replies=iter(["x", "y"]))
    assert [model.invoke("a").text, model.invoke("b").text] == ["x", "y"]
    with pytest.raises(IndexError):
        model.invoke("c")


def test_a_function_gets_the_prompt() -> None:
    def echo(messages: list[BaseMessage]) -> str:
        return messages[-1].text.upper()

    model = FakeS2AChatModel(replies=echo)
    assert model.invoke("hello").text == "HELLO"


def test_a_scripted_exception_is_raised() -> None:
    model = FakeS2AChatModel(replies=[TimeoutError("slow"), "ok"])
    with pytest.raises(TimeoutError, match="slow"):
        model.invoke("a")
    assert model.invoke("a").text == "ok"


def test_an_ai_message_keeps_its_own_metadata() -> None:
    given = AIMessage(
        "hi",
        usage_metadata={"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
        response_metadata={"finish_reason": "length"},
    )
    reply = FakeS2AChatModel(replies=given).invoke("a")
    assert reply.usage_metadata == given.usage_metadata
    assert reply.response_metadata["finish_reason"] == "length"


# ------------------------------------------------------------------ record
def test_every_call_is_recorded() -> None:
    seen: list[FakeCall] = []
    model = FakeS2AChatModel(replies="ok", on_call=seen.append)
    model.invoke([HumanMessage("first"), HumanMessage("second")], {"tags": ["t"]})
    model.invoke("again", {"metadata": {"k": "v"}})
    first, second = model.calls
    assert first.text == "first\nsecond" and [m.text for m in first.messages] == ["first", "second"]
    assert "t" in first.tags and second.metadata["k"] == "v"
    assert not first.is_async and not first.streamed
    assert model.prompts == ["first\nsecond", "again"] and model.call_count == 2
    assert seen == model.calls


def test_shallow_copies_share_the_record_and_the_script() -> None:
    model = FakeS2AChatModel(replies=["a", "b"])
    twin = model.model_copy(update={"finish_reason": None})
    assert model.invoke("1").text == "a" and twin.invoke("2").text == "b"
    assert model.prompts == twin.prompts == ["1", "2"]
    alone = copy.deepcopy(model)  # a deep copy has a record of its own
    with pytest.raises(IndexError):
        alone.invoke("3")
    assert alone.prompts == ["1", "2", "3"] and model.prompts == ["1", "2"]


def test_usage_and_finish_reason() -> None:
    counted = FakeS2AChatModel(replies="two words").invoke("three word prompt")
    assert counted.usage_metadata == {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    assert counted.response_metadata == {"finish_reason": "stop"}
    fixed = {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}
    given = FakeS2AChatModel(replies="x", usage=fixed, finish_reason=None).invoke("a")
    assert given.usage_metadata == fixed and "finish_reason" not in given.response_metadata
    assert FakeS2AChatModel(replies="x", usage=False).invoke("a").usage_metadata is None


# ------------------------------------------------------------------ failure
def test_given_calls_fail_without_using_a_reply() -> None:
    model = FakeS2AChatModel(replies=["a", "b"], fail_calls={1})
    assert model.invoke("1").text == "a"
    with pytest.raises(RuntimeError, match="call 1 fails as scripted"):
        model.invoke("2")
    assert model.invoke("3").text == "b"
    assert model.prompts == ["1", "2", "3"]


@pytest.mark.parametrize("error", [ConnectionError("reset"), ConnectionError])
def test_the_first_calls_fail_with_the_given_error(error: Any) -> None:
    model = FakeS2AChatModel(replies="ok", fail_first=2, fail_with=error)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            model.invoke("a")
    assert model.invoke("a").text == "ok"


async def test_async_failures_match_sync() -> None:
    model = FakeS2AChatModel(replies="ok", fail_calls=[0])
    with pytest.raises(RuntimeError):
        await model.ainvoke("a")
    assert (await model.ainvoke("a")).text == "ok"
    assert [c.is_async for c in model.calls] == [True, True]


# ------------------------------------------------------------------ delay
def test_sync_delay_is_honoured_per_call() -> None:
    model = FakeS2AChatModel(replies="ok", delay=[0.05, 0.0])
    started = time.perf_counter()
    model.invoke("a")
    assert time.perf_counter() - started >= 0.045
    started = time.perf_counter()
    model.invoke("b")
    assert time.perf_counter() - started < 0.04


def test_release_ends_a_hanging_sync_call() -> None:
    model = FakeS2AChatModel(replies="ok", delay=10.0)
    out: list[str] = []
    thread = threading.Thread(target=lambda: out.append(model.invoke("a").text))
    started = time.perf_counter()
    thread.start()
    while not model.calls:
        time.sleep(0.001)
    assert model.in_flight == 1
    model.release.set()
    thread.join(5)
    assert out == ["ok"] and time.perf_counter() - started < 5 and model.in_flight == 0


async def test_async_delay_runs_calls_concurrently() -> None:
    model = FakeS2AChatModel(replies="ok", delay=0.05)
    started = time.perf_counter()
    replies = await model.abatch(["a"] * 4, config={"max_concurrency": 2})
    elapsed = time.perf_counter() - started
    assert [r.text for r in replies] == ["ok"] * 4
    assert model.peak_in_flight == 2 and model.in_flight == 0
    assert 0.09 <= elapsed < 1.0  # two rounds of 0.05 s


async def test_a_cancelled_async_call_leaves_no_call_in_flight() -> None:
    model = FakeS2AChatModel(replies="ok", delay=10.0)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(model.ainvoke("a"), 0.02)
    assert model.in_flight == 0 and len(model.calls) == 1


# ------------------------------------------------------------------ streams
@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_streams_word_by_word_with_usage_last(use_async: bool) -> None:
    model = FakeS2AChatModel(replies="William Shakespeare wrote it")
    chunks = [c async for c in model.astream("Who?")] if use_async else list(model.stream("Who?"))
    assert [c.text for c in chunks] == ["William ", "Shakespeare ", "wrote ", "it", ""]
    total = _join(chunks)
    assert total.text == "William Shakespeare wrote it"
    assert total.usage_metadata == {"input_tokens": 1, "output_tokens": 4, "total_tokens": 5}
    assert total.response_metadata["finish_reason"] == "stop"
    assert model.calls[0].streamed and model.calls[0].is_async == use_async


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_chunk_delay_per_stream_call(use_async: bool) -> None:
    model = FakeS2AChatModel(replies="a b", chunk_delay=[[0.0, 0.06], 0.0])
    for expect_slow in (True, False):
        stamps: list[float] = []
        started = time.perf_counter()
        if use_async:
            async for _ in model.astream("x"):
                stamps.append(time.perf_counter() - started)
        else:
            for _ in model.stream("x"):
                stamps.append(time.perf_counter() - started)
        assert len(stamps) == 3
        assert (stamps[1] - stamps[0] >= 0.05) == expect_slow


def test_a_scripted_tool_call_streams_in_the_last_chunk() -> None:
    call = {"name": "lookup", "args": {"topic": "capital"}, "id": "call-1"}
    model = FakeS2AChatModel(replies=AIMessage("", tool_calls=[call]))
    total = _join(list(model.stream("x")))
    assert [(c["name"], c["args"], c["id"]) for c in total.tool_calls] == [
        ("lookup", {"topic": "capital"}, "call-1")
    ]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_a_failing_stream_raises_before_any_chunk(use_async: bool) -> None:
    model = FakeS2AChatModel(replies="ok", fail_first=1)
    chunks: list[Any] = []
    with pytest.raises(RuntimeError):
        if use_async:
            async for chunk in model.astream("x"):
                chunks.append(chunk)
        else:
            chunks.extend(model.stream("x"))
    assert chunks == []


# ------------------------------------------------------------------ structured
def _structured_support(model: BaseChatModel) -> bool:
    cls = type(model)
    return (
        cls.bind_tools is not BaseChatModel.bind_tools
        or cls.with_structured_output is not BaseChatModel.with_structured_output
    )


def test_only_the_structured_fake_offers_structured_output() -> None:
    assert not _structured_support(FakeS2AChatModel(replies="x"))
    assert _structured_support(FakeS2AStructuredChatModel(replies="x"))


def test_structured_outcomes_in_order_then_the_default() -> None:
    outcomes = [{"name": "Rome"}, None, ValueError("bad json")]
    model = FakeS2AStructuredChatModel(replies="text", outcomes=outcomes, default={"name": "Paris"})
    raw = model.with_structured_output(City, include_raw=True)
    assert raw.invoke("a")["parsed"] == City(name="Rome")
    assert raw.invoke("a")["parsed"] is None
    with pytest.raises(ValueError, match="bad json"):
        raw.invoke("a")
    assert model.with_structured_output(City).invoke("a") == City(name="Paris")
    assert model.invoke("a").text == "text"
    assert [c.tags for c in model.calls] == [["structured"]] * 4 + [[]]
    assert len(outcomes) == 3  # the script is read, not used up


def test_bind_error_is_raised_by_with_structured_output() -> None:
    model = FakeS2AStructuredChatModel(replies="x", bind_error=NotImplementedError("no schema"))
    with pytest.raises(NotImplementedError):
        model.with_structured_output(City)


def test_the_rewriter_uses_the_structured_path() -> None:
    model = FakeS2AStructuredChatModel(
        replies="unused", default={"context": "", "question": "Who wrote Hamlet?"}
    )
    rewrite = S2ARewriter(model, variant="split").invoke("Who wrote Hamlet? I think Marlowe.")
    assert rewrite.question == "Who wrote Hamlet?" and not rewrite.fallback
    assert [c.tags for c in model.calls] == [["structured"]]
    assert "Marlowe" in model.prompts[0]
