"""The chain and the graph as one product: ``rewriter=``, rewrite retries, modes, results."""

from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.types import RetryPolicy
from syrupy.assertion import SnapshotAssertion

from langchain_s2a import (
    S2AResult,
    S2ARewriteError,
    S2ARewriter,
    build_s2a_graph,
    create_s2a_chain,
    create_s2a_conversation_chain,
)
from langchain_s2a._internal.io.calls import is_transient
from tests.fakes import FakeChat, fake, scripted

OPINION = "Who wrote Hamlet? I think the answer is Christopher Marlowe but I'm really not sure."
GOOD = "Context: none\nQuestion: Who wrote Hamlet?"
BAD = "no labels here"


def _texts(messages: list[BaseMessage]) -> list[tuple[str, str]]:
    return [(m.type, m.text) for m in messages]


# ------------------------------------------------------------------ rewriter=
def test_chain_uses_a_ready_rewriter_as_is() -> None:
    rewrite_model, answer_model = fake(GOOD), fake(None, "Shakespeare.")
    ready = S2ARewriter(rewrite_model, variant="split", preset="relevance")
    chain = create_s2a_chain(answer_model, rewriter=ready)
    assert chain.rewriter is ready
    result = chain.invoke(OPINION)
    assert result.answer == "Shakespeare." and result.rewrite.preset == "relevance"
    assert len(rewrite_model.rewrite_calls) == 1 and rewrite_model.answer_calls == []
    assert len(answer_model.answer_calls) == 1 and answer_model.rewrite_calls == []


def test_graph_uses_a_ready_rewriter_as_is() -> None:
    rewrite_model, answer_model = fake(GOOD), fake(None, "Shakespeare.")
    ready = S2ARewriter(rewrite_model, variant="split")
    out = build_s2a_graph(answer_model, rewriter=ready).invoke({"input": OPINION})
    assert out["answer"] == "Shakespeare." and out["rewrite"]["question"] == "Who wrote Hamlet?"
    assert len(rewrite_model.rewrite_calls) == 1 and rewrite_model.answer_calls == []
    assert answer_model.rewrite_calls == []


def test_conversation_chain_uses_a_ready_rewriter() -> None:
    rewrite_model, answer_model = fake(GOOD), fake(None, "Shakespeare.")
    ready = S2ARewriter(rewrite_model, variant="split")
    chain = create_s2a_conversation_chain(answer_model, rewriter=ready)
    result = chain.invoke([HumanMessage(OPINION)])
    assert result.answer == "Shakespeare." and result.rewrite.variant == "split"
    assert len(rewrite_model.rewrite_calls) == 1 and answer_model.rewrite_calls == []


@pytest.mark.parametrize(
    "factory", [create_s2a_chain, build_s2a_graph, create_s2a_conversation_chain]
)
def test_ready_rewriter_with_rewriter_options_is_refused(factory: Any) -> None:
    ready = S2ARewriter(fake(GOOD))
    with pytest.raises(ValueError, match=r"rewriter options \['preset', 'variant'\]"):
        factory(fake(GOOD), rewriter=ready, variant="split", preset="relevance")
    with pytest.raises(ValueError, match=r"\['rewriter_model'\]"):
        factory(fake(GOOD), rewriter=ready, rewriter_model=fake(GOOD))


@pytest.mark.parametrize(
    "factory", [create_s2a_chain, build_s2a_graph, create_s2a_conversation_chain]
)
def test_options_at_their_defaults_go_with_a_ready_rewriter(factory: Any) -> None:
    factory(fake(GOOD), rewriter=S2ARewriter(fake(GOOD)), variant="extractive", timeout=5)


# ------------------------------------------------------------ rewrite retries
def test_chain_retries_a_rejected_rewrite_with_the_reason() -> None:
    model = fake([BAD, GOOD], "Shakespeare.")
    result = create_s2a_chain(model, variant="split", max_retries=1).invoke(OPINION)
    assert result.rewrite.question == "Who wrote Hamlet?" and not result.rewrite.fallback
    assert result.rewrite.attempts == 2 and len(model.rewrite_calls) == 2
    retry_prompt = model.rewrite_calls[1].messages
    assert retry_prompt[-2].text == BAD  # the rejected reply is shown back
    assert "unparseable" in retry_prompt[-1].text
    usage = result.rewrite.usage or {}
    first = model.rewrite_calls[0].messages
    assert usage["input_tokens"] == sum(len(m.text.split()) for m in first + retry_prompt)


async def test_chain_retries_async_and_when_streamed() -> None:
    model = fake([BAD, BAD, GOOD], "Shakespeare.")
    chain = create_s2a_chain(model, variant="split", max_retries=2)
    result = await chain.ainvoke(OPINION)
    assert result.rewrite.attempts == 3 and not result.rewrite.fallback
    model = fake([BAD, GOOD], "Shakespeare.")
    chunks = list(create_s2a_chain(model, variant="split", max_retries=1).stream(OPINION))
    assert chunks[0].rewrite is not None and chunks[0].rewrite.attempts == 2


def test_chain_without_retries_falls_back_at_once() -> None:
    model = fake([BAD, GOOD], "A")
    result = create_s2a_chain(model, variant="split").invoke(OPINION)
    assert result.rewrite.fallback and result.rewrite.attempts == 1
    assert len(model.rewrite_calls) == 1


def test_chain_raises_once_the_retries_are_spent() -> None:
    model = fake([BAD, BAD], "A")
    chain = create_s2a_chain(model, variant="split", max_retries=1, on_failure="raise")
    with pytest.raises(S2ARewriteError):
        chain.invoke(OPINION)
    assert len(model.rewrite_calls) == 2


def test_chain_and_graph_retry_the_same_way() -> None:
    chain_model, graph_model = fake([BAD, GOOD], "A"), fake([BAD, GOOD], "A")
    create_s2a_chain(chain_model, variant="split", max_retries=1).invoke(OPINION)
    build_s2a_graph(graph_model, variant="split", max_retries=1).invoke({"input": OPINION})
    assert [_texts(c.messages) for c in chain_model.calls] == [
        _texts(c.messages) for c in graph_model.calls
    ]


# -------------------------------------------------------- transient attempts
def _flaky(failures: int) -> tuple[FakeChat, dict[str, int]]:
    calls = {"n": 0}
    base = scripted(GOOD, "A")

    def respond(messages: list[Any]) -> Any:
        calls["n"] += 1
        return TimeoutError("slow") if calls["n"] <= failures else base(messages)

    return FakeChat(respond=respond), calls


def test_graph_max_attempts_one_does_not_retry() -> None:
    model, calls = _flaky(1)
    with pytest.raises(TimeoutError):
        build_s2a_graph(model, max_attempts=1).invoke({"input": OPINION})
    assert calls["n"] == 1


def test_graph_max_attempts_retries_transient_errors() -> None:
    model, calls = _flaky(1)
    out = build_s2a_graph(model, max_attempts=2).invoke({"input": OPINION})
    assert out["answer"] == "A" and calls["n"] == 3  # rewrite twice, then the answer


def test_graph_max_attempts_and_retry_policy_are_exclusive() -> None:
    policy = RetryPolicy(max_attempts=2, retry_on=is_transient)
    with pytest.raises(ValueError, match="max_attempts and retry_policy"):
        build_s2a_graph(fake(GOOD), max_attempts=5, retry_policy=policy)
    with pytest.raises(ValueError, match="max_attempts"):
        build_s2a_graph(fake(GOOD), max_attempts=0)


# ----------------------------------------------------------------- graph mode
@pytest.mark.parametrize("mode", ["baseline", "instructed"])
def test_graph_mode_without_rewrite_makes_one_call_as_the_chain(mode: str) -> None:
    chain_model, graph_model = fake(GOOD, "A"), fake(GOOD, "A")
    result = create_s2a_chain(chain_model, mode=mode).invoke(OPINION)  # type: ignore[arg-type]
    graph = build_s2a_graph(graph_model, mode=mode)  # type: ignore[arg-type]
    out = graph.invoke({"input": OPINION})
    assert len(graph_model.calls) == 1 and graph_model.rewrite_calls == []
    assert _texts(graph_model.calls[0].messages) == _texts(chain_model.calls[0].messages)
    assert out["mode"] == mode and out["rewrite"]["variant"] == "none"
    assert S2AResult.from_graph_output(out).rewrite == result.rewrite


def test_graph_mode_in_messages_mode_appends_the_answer() -> None:
    model = fake(GOOD, "A")
    out = build_s2a_graph(model, mode="baseline").invoke({"messages": [("user", OPINION)]})
    assert [m.type for m in out["messages"]] == ["human", "ai"]
    assert model.calls[0].messages[-1].text == OPINION


@pytest.mark.parametrize("mode", ["baseline", "instructed"])
def test_graph_drawing_without_rewrite(mode: str, snapshot: SnapshotAssertion) -> None:
    graph = build_s2a_graph(fake(GOOD), mode=mode)  # type: ignore[arg-type]
    assert graph.get_graph().draw_mermaid() == snapshot


# ----------------------------------------------------------- one result type
@pytest.mark.parametrize("mode", ["s2a", "instructed", "baseline"])
async def test_graph_output_converts_to_the_chain_result(mode: Any) -> None:
    chain_model, graph_model = fake(GOOD, "Shakespeare."), fake(GOOD, "Shakespeare.")
    expected = await create_s2a_chain(chain_model, variant="split", mode=mode).ainvoke(OPINION)
    graph = build_s2a_graph(graph_model, variant="split", mode=mode)
    out = await graph.ainvoke({"input": OPINION})
    result = S2AResult.from_graph_output(out)
    assert (result.answer, result.mode) == (expected.answer, expected.mode)
    timeless = {"latency_s"}
    assert result.rewrite.model_dump(exclude=timeless) == expected.rewrite.model_dump(
        exclude=timeless
    )
    assert result.message.text == expected.message.text
    assert result.answer_latency_s is not None and result.answer_latency_s >= 0
    latency = out["message"].response_metadata["s2a_answer_latency_s"]
    assert latency == out["answer_latency_s"]
    assert result.usage == expected.usage


def test_chat_model_takes_a_ready_rewriter_and_keeps_max_retries_standard() -> None:
    from langchain_s2a import S2AChatModel

    rewrite_model, answer_model = fake(GOOD), fake(None, "Shakespeare.")
    ready = S2ARewriter(rewrite_model, variant="split")
    s2a = S2AChatModel(model=answer_model, rewriter=ready, max_retries=4)
    assert s2a.chain.rewriter is ready
    assert s2a.chain.max_attempts == 5 and s2a.chain.max_retries == 0
    assert s2a.invoke(OPINION).text == "Shakespeare."
    assert len(rewrite_model.rewrite_calls) == 1


def test_is_transient_lives_in_calls_and_stays_importable_from_graph() -> None:
    from langchain_s2a import graph

    assert "is_transient" not in graph.__all__
    assert graph.is_transient is is_transient
