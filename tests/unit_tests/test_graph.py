import itertools
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.constants import TAG_NOSTREAM
from langgraph.types import RetryPolicy
from syrupy.assertion import SnapshotAssertion

from langchain_s2a import S2AContext, S2ARewrite, S2ARewriteError, build_s2a_graph
from langchain_s2a.graph import is_transient
from tests.fakes import FakeChat, fake, scripted

OPINION = "Who wrote Hamlet? I think the answer is Christopher Marlowe but I'm really not sure."
GOOD = "Context: none\nQuestion: Who wrote Hamlet?"


def test_happy_path() -> None:
    model = fake(GOOD, "Shakespeare.")
    out = build_s2a_graph(model).invoke({"input": OPINION})
    assert out["answer"] == "Shakespeare."
    rewrite = S2ARewrite(**out["rewrite"])
    assert rewrite.question == "Who wrote Hamlet?" and rewrite.attempts == 1
    assert set(out) == {"answer", "rewrite", "message", "messages", "mode", "answer_latency_s"}
    assert out["messages"] == []  # an ``input`` run leaves the conversation alone
    assert "Marlowe" not in model.answer_calls[0].messages[-1].text


def test_retry_then_success_sends_feedback() -> None:
    model = fake(["no labels here", GOOD], "Shakespeare.")
    out = build_s2a_graph(model, max_retries=1).invoke({"input": OPINION})
    assert out["rewrite"]["fallback"] is False and out["rewrite"]["attempts"] == 2
    retry_prompt = model.rewrite_calls[1].messages
    assert retry_prompt[-2].text == "no labels here"  # the rejected reply is shown back
    assert "unparseable" in retry_prompt[-1].text
    assert out["rewrite"]["usage"]["output_tokens"] == 3 + len(GOOD.split())


def test_retries_exhausted_fall_back_to_original() -> None:
    model = fake(["", "", ""], "Shakespeare.")
    out = build_s2a_graph(model, max_retries=2).invoke({"input": OPINION})
    assert len(model.rewrite_calls) == 3
    assert out["rewrite"]["fallback"] is True and out["rewrite"]["fallback_reason"] == "empty"
    assert model.answer_calls[0].messages[-1].text.startswith(OPINION)


def test_no_retry_when_disabled() -> None:
    model = fake("", "x")
    build_s2a_graph(model, max_retries=0).invoke({"input": OPINION})
    assert len(model.rewrite_calls) == 1


def test_raise_after_retries() -> None:
    model = fake("", "x")
    with pytest.raises(S2ARewriteError):
        build_s2a_graph(model, max_retries=1, on_failure="raise").invoke({"input": OPINION})
    assert len(model.rewrite_calls) == 2 and model.answer_calls == []


def test_keep_original_route_and_runtime_context() -> None:
    model = fake(GOOD)
    graph = build_s2a_graph(model, keep_original=True)
    steps = [list(s) for s in graph.stream({"input": OPINION}, stream_mode="updates")]
    assert steps == [["rewrite"], ["append_original"], ["answer"]]
    assert OPINION in model.answer_calls[0].messages[-1].text
    steps = [
        list(s)
        for s in graph.stream(
            {"input": OPINION}, stream_mode="updates", context=S2AContext(keep_original=False)
        )
    ]
    assert steps == [["rewrite"], ["answer"]]
    assert OPINION not in model.answer_calls[1].messages[-1].text


def test_runtime_context_overrides_preset_and_instruction() -> None:
    model = fake(GOOD)
    graph = build_s2a_graph(model, judge_sentences=False)  # one reply under either preset
    graph.invoke({"input": OPINION}, context=S2AContext(preset="relevance", instructed=False))
    assert "irrelevant" in model.rewrite_calls[0].messages[1].text
    assert model.answer_calls[0].messages[-1].text == "Who wrote Hamlet?"


def test_runtime_context_as_dict() -> None:
    model = fake(GOOD)
    build_s2a_graph(model).invoke({"input": OPINION}, context={"answer_format": "FORMAT!"})
    assert model.answer_calls[0].messages[-1].text.endswith("FORMAT!")


def test_stream_modes_expose_rewrite_and_answer_tokens() -> None:
    model = fake(GOOD, "William Shakespeare wrote it")
    graph = build_s2a_graph(model)
    seen: dict[str, list[Any]] = {"custom": [], "messages": [], "updates": []}
    for mode, chunk in graph.stream(
        {"input": OPINION}, stream_mode=["custom", "messages", "updates"]
    ):
        seen[mode].append(chunk)
    assert seen["custom"][0]["s2a_rewrite"]["question"] == "Who wrote Hamlet?"
    assert "rewrite" in seen["updates"][0]
    token_nodes = {meta["langgraph_node"] for _, meta in seen["messages"]}
    assert token_nodes == {"answer"}  # rewrite tokens are not streamed as chat output
    assert "".join(m.text for m, _ in seen["messages"]) == "William Shakespeare wrote it"


async def test_async_parity() -> None:
    sync_out = build_s2a_graph(fake(GOOD, "A")).invoke({"input": OPINION})
    model = fake(GOOD, "A")
    async_out = await build_s2a_graph(model).ainvoke({"input": OPINION})
    assert sync_out["answer"] == async_out["answer"]
    drop = {"latency_s"}
    assert {k: v for k, v in sync_out["rewrite"].items() if k not in drop} == {
        k: v for k, v in async_out["rewrite"].items() if k not in drop
    }
    assert all(c.is_async for c in model.calls)


async def test_abatch_concurrency() -> None:
    model = fake(GOOD, "A", delay=0.01)
    out = await build_s2a_graph(model).abatch(
        [{"input": OPINION}] * 9, config={"max_concurrency": 3}
    )
    assert len(out) == 9 and model.peak_in_flight <= 3 and model.peak_in_flight >= 2


def test_checkpointer_keeps_thread_state(checkpointer: BaseCheckpointSaver[str]) -> None:
    graph = build_s2a_graph(fake(GOOD, "A"), checkpointer=checkpointer)
    config = {"configurable": {"thread_id": "t1"}}
    graph.invoke({"input": OPINION}, config)
    state = graph.get_state(config)
    assert state.values["answer"] == "A"
    assert state.values["rewrite"]["question"] == "Who wrote Hamlet?"
    history = list(graph.get_state_history(config))
    assert len(history) >= 4


def test_transient_errors_are_retried_by_policy() -> None:
    calls = {"n": 0}
    base = scripted(GOOD, "A")

    def flaky(messages: list[Any]) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            return TimeoutError("slow")
        return base(messages)

    policy = RetryPolicy(
        max_attempts=3, initial_interval=0.001, jitter=False, retry_on=is_transient
    )
    out = build_s2a_graph(FakeChat(respond=flaky), retry_policy=policy).invoke({"input": OPINION})
    assert out["answer"] == "A" and calls["n"] == 3


def test_permanent_errors_fail_fast() -> None:
    calls = {"n": 0}

    def broken(messages: list[Any]) -> Any:
        calls["n"] += 1
        return ValueError("bad request")

    with pytest.raises(ValueError, match="bad request"):
        build_s2a_graph(FakeChat(respond=broken)).invoke({"input": OPINION})
    assert calls["n"] == 1


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), True),
        (ConnectionError(), True),
        (type("RateLimitError", (Exception,), {})(), True),
        (ValueError(), False),
        (TypeError(), False),
        (S2ARewriteError("empty"), False),
    ],
)
def test_is_transient(exc: Exception, expected: bool) -> None:
    assert is_transient(exc) is expected


def test_bad_input_state_gives_clear_error() -> None:
    with pytest.raises(TypeError, match="S2A input must be"):
        build_s2a_graph(fake(GOOD)).invoke({"input": None})
    with pytest.raises(ValueError, match="max_retries"):
        build_s2a_graph(fake(GOOD), max_retries=-1)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"variant": "nope"}, "S2AContext variant='nope' is not one of 'split', 'single'"),
        ({"preset": "x"}, "S2AContext preset='x' is not one of 'opinion', 'relevance'"),
        ({"keep_original": "yes"}, "S2AContext keep_original='yes' is not a bool"),
        ({"instructed": "always"}, "S2AContext instructed='always' is not True, False or 'auto'"),
        ({"model": ""}, "S2AContext model='' is not a model name"),
        ({"answer_format": 3}, "S2AContext answer_format=3 is not a string"),
    ],
)
def test_invalid_per_run_option_is_refused_where_it_enters(
    context: dict[str, Any], message: str
) -> None:
    """Issue 23 item 10: one clear error before any node runs, not a deep ValidationError."""
    model = fake(GOOD)
    graph = build_s2a_graph(model)
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        graph.invoke({"input": OPINION}, context=context)
    assert "\n" not in str(caught.value) and model.calls == []
    with pytest.raises(ValueError, match="S2AContext"):
        S2AContext(**context)


COMBOS = list(itertools.product([False, True], [0, 1, 3], ["split", "single"]))


@pytest.mark.parametrize(("keep_original", "max_retries", "variant"), COMBOS)
def test_graph_drawing_snapshot(
    keep_original: bool, max_retries: int, variant: str, snapshot: SnapshotAssertion
) -> None:
    graph = build_s2a_graph(
        fake(GOOD),
        keep_original=keep_original,
        max_retries=max_retries,
        variant=variant,  # type: ignore[arg-type]
    )
    assert graph.get_graph().draw_mermaid() == snapshot


# ------------------------------------------------- runs on a checkpointed thread
TOM = "Tom has 3 apples. Tom's sister is 12 years old. How many apples does Tom have?"
TOM_REWRITE = "Keep: 1\nQuestion: 3"  # the extractive default, as in the README
THREAD: RunnableConfig = {"configurable": {"thread_id": "demo"}}


class ThreadRunner:
    """Runs a graph on one thread, sync or async, with the matching checkpointer."""

    def __init__(self, use_async: bool, saver: BaseCheckpointSaver[str]) -> None:
        self.use_async = use_async
        self.saver = saver

    async def __call__(
        self, graph: Any, text: str, context: S2AContext | None = None
    ) -> dict[str, Any]:
        if self.use_async:
            out = await graph.ainvoke({"input": text}, THREAD, context=context)
        else:
            out = graph.invoke({"input": text}, THREAD, context=context)
        assert isinstance(out, dict)
        return out


@pytest.fixture(params=["sync", "async"])
async def on_thread(
    request: pytest.FixtureRequest, checkpointer: BaseCheckpointSaver[str], tmp_path: Path
) -> AsyncIterator[ThreadRunner]:
    if request.param == "sync" or isinstance(checkpointer, InMemorySaver):
        yield ThreadRunner(request.param == "async", checkpointer)
    else:  # the sync SqliteSaver has no async methods
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "async.sqlite")) as saver:
            yield ThreadRunner(True, saver)


async def test_each_run_on_a_thread_starts_fresh(on_thread: ThreadRunner) -> None:
    # A retried rewrite run twice on one thread, with the script given twice (the
    # one-reply selection: its first reply is unusable, the retry's is not).
    model = fake(["Sure!", TOM_REWRITE, "Sure!", TOM_REWRITE], "3")
    graph = build_s2a_graph(
        model,
        preset="relevance",
        judge_sentences=False,
        max_retries=1,
        checkpointer=on_thread.saver,
    )
    first = await on_thread(graph, TOM)
    second = await on_thread(graph, TOM)
    for out in (first, second):
        assert out["answer"] == "3"
        assert out["rewrite"]["attempts"] == 2 and out["rewrite"]["fallback"] is False
        assert out["rewrite"]["context"] == "Tom has 3 apples."
    assert second["rewrite"]["usage"] == first["rewrite"]["usage"]  # not summed over runs
    assert len(model.rewrite_calls) == 4 and len(model.answer_calls) == 2
    # the second run's first attempt is a fresh prompt, its retry shows only its own reply
    assert len(model.rewrite_calls[2].messages) == 2
    assert [m.text for m in model.rewrite_calls[3].messages[2:3]] == ["Sure!"]
    assert model.answer_calls[1].messages[-1].text.startswith("Tom has 3 apples.")


async def test_raise_mode_retries_again_on_the_next_run(on_thread: ThreadRunner) -> None:
    model = fake(["", "", "", GOOD], "Shakespeare.")
    graph = build_s2a_graph(model, max_retries=1, on_failure="raise", checkpointer=on_thread.saver)
    with pytest.raises(S2ARewriteError):
        await on_thread(graph, OPINION)
    assert len(model.rewrite_calls) == 2
    out = await on_thread(graph, OPINION)  # first attempt rejected, the retry succeeds
    assert out["answer"] == "Shakespeare." and out["rewrite"]["attempts"] == 2
    assert len(model.rewrite_calls) == 4


async def test_keep_original_does_not_leak_into_the_next_run(on_thread: ThreadRunner) -> None:
    model = fake(GOOD)
    graph = build_s2a_graph(model, checkpointer=on_thread.saver)
    await on_thread(graph, OPINION, S2AContext(keep_original=True))
    assert OPINION in model.answer_calls[0].messages[-1].text
    await on_thread(graph, OPINION, S2AContext(keep_original=False))
    prompt = model.answer_calls[1].messages[-1].text
    assert OPINION not in prompt and "Original text" not in prompt
    assert prompt.startswith("Who wrote Hamlet?")


async def test_rejected_reply_of_an_earlier_run_is_not_sent_again(
    on_thread: ThreadRunner,
) -> None:
    model = fake(["bad reply A", "bad reply B", "bad reply C", GOOD], "Shakespeare.")
    graph = build_s2a_graph(model, max_retries=1, checkpointer=on_thread.saver)
    first = await on_thread(graph, OPINION)
    assert first["rewrite"]["fallback_reason"] == "unparseable"
    second = await on_thread(graph, OPINION)
    assert second["rewrite"]["fallback"] is False and second["rewrite"]["attempts"] == 2
    assert second["rewrite"]["fallback_reason"] is None
    fresh, retry = model.rewrite_calls[2].messages, model.rewrite_calls[3].messages
    assert len(fresh) == 2
    sent = "\n".join(m.text for m in retry)
    assert "bad reply C" in sent and "bad reply A" not in sent and "bad reply B" not in sent
    assert model.answer_calls[1].messages[-1].text.startswith("Who wrote Hamlet?")


def test_state_of_a_thread_shows_the_latest_run(checkpointer: BaseCheckpointSaver[str]) -> None:
    model = fake(["bad", "bad", GOOD], "A")
    graph = build_s2a_graph(model, max_retries=1, checkpointer=checkpointer)
    graph.invoke({"input": OPINION}, THREAD)
    graph.invoke({"input": OPINION}, THREAD)
    values = graph.get_state(THREAD).values
    assert values["attempts"] == 1 and values["keep_original"] is False
    assert values["rewrite"]["fallback"] is False and values["rewrite"]["attempts"] == 1


async def test_astream_events_names_the_model_runs_and_hides_rewrite_tokens() -> None:
    graph = build_s2a_graph(fake(GOOD, "William Shakespeare wrote it"))
    events = [e async for e in graph.astream_events({"input": OPINION}, version="v2")]
    streamed = [e for e in events if e["event"] == "on_chat_model_stream"]
    shown = [e for e in streamed if TAG_NOSTREAM not in e.get("tags", [])]
    assert "".join(e["data"]["chunk"].text for e in shown) == "William Shakespeare wrote it"
    assert {e["name"] for e in shown} == {"s2a_answer"}
    model_starts = [e["name"] for e in events if e["event"] == "on_chat_model_start"]
    assert model_starts == ["s2a_rewrite", "s2a_answer"]
