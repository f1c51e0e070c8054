"""The S2A graph as a node of a larger graph, streamed with ``subgraphs=True``."""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, MessagesState, StateGraph
from typing_extensions import TypedDict

from langchain_s2a import S2AContext, build_s2a_graph
from tests.fakes import fake

OPINION = "Who wrote Hamlet? I think the answer is Christopher Marlowe but I'm really not sure."
GOOD = "Context: none\nQuestion: Who wrote Hamlet?"


class Pipeline(TypedDict, total=False):
    question: str
    input: Any  # shared with the S2A subgraph
    answer: str
    rewrite: dict[str, Any]
    report: str


def build_pipeline(model: Any, checkpointer: BaseCheckpointSaver[str] | None = None) -> Any:
    def prepare(state: Pipeline) -> dict[str, Any]:
        return {"input": state["question"].strip()}

    def report(state: Pipeline) -> dict[str, Any]:
        kept = state["rewrite"]["question"]
        return {"report": f"{kept} -> {state['answer']}"}

    builder = StateGraph(Pipeline)
    builder.add_node("prepare", prepare)
    builder.add_node("s2a", build_s2a_graph(model))  # compiled graph as a node
    builder.add_node("report", report)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "s2a")
    builder.add_edge("s2a", "report")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=checkpointer)


def test_subgraph_node_runs_and_shares_state() -> None:
    model = fake(GOOD, "Shakespeare")
    out = build_pipeline(model).invoke({"question": f"  {OPINION}  "})
    assert out["answer"] == "Shakespeare"
    assert out["report"] == "Who wrote Hamlet? -> Shakespeare"
    assert "Marlowe" not in model.answer_calls[0].messages[-1].text


def test_streaming_with_subgraphs_shows_the_inner_steps() -> None:
    pipeline = build_pipeline(fake(GOOD, "William Shakespeare"))
    events = list(
        pipeline.stream(
            {"question": OPINION},
            stream_mode=["updates", "custom", "messages"],
            subgraphs=True,
        )
    )
    inner = [(ns, mode, data) for ns, mode, data in events if ns]
    outer = [(mode, data) for ns, mode, data in events if not ns]
    assert all(ns[0].startswith("s2a:") for ns, _, _ in inner)
    inner_updates = [next(iter(d)) for _, mode, d in inner if mode == "updates"]
    assert inner_updates == ["rewrite", "answer"]
    outer_updates = [next(iter(d)) for mode, d in outer if mode == "updates"]
    assert outer_updates == ["prepare", "s2a", "report"]
    custom = [d for _, mode, d in inner if mode == "custom"]
    assert custom[0]["s2a_rewrite"]["question"] == "Who wrote Hamlet?"
    tokens = [m for _, mode, (m, _) in (e for e in inner if e[1] == "messages")]
    assert all(isinstance(t, AIMessageChunk) for t in tokens)
    assert "".join(t.text for t in tokens) == "William Shakespeare"  # answer tokens only


async def test_async_streaming_with_subgraphs() -> None:
    pipeline = build_pipeline(fake(GOOD, "Shakespeare"))
    namespaces = set()
    async for ns, mode, _ in pipeline.astream(
        {"question": OPINION}, stream_mode=["updates", "custom"], subgraphs=True
    ):
        namespaces.add((ns[0].split(":")[0] if ns else "", mode))
    assert namespaces == {("", "updates"), ("s2a", "updates"), ("s2a", "custom")}


def test_checkpointed_pipeline_keeps_the_subgraph_state(
    checkpointer: BaseCheckpointSaver[str],
) -> None:
    pipeline = build_pipeline(fake(GOOD, "Shakespeare"), checkpointer)
    config: Any = {"configurable": {"thread_id": "pipe"}}
    pipeline.invoke({"question": OPINION}, config)
    state = pipeline.get_state(config)
    assert state.values["report"] == "Who wrote Hamlet? -> Shakespeare"
    assert state.values["rewrite"]["fallback"] is False
    history = list(pipeline.get_state_history(config))
    assert [s.next for s in reversed(history)][1:] == [("prepare",), ("s2a",), ("report",), ()]


class AppContext(TypedDict, total=False):
    user_id: str
    model: str  # the parent's own option, not S2A's
    s2a: Any  # S2A's per-run options: an S2AContext or a dict of its fields


def build_chat_app(model: Any) -> Any:
    builder = StateGraph(MessagesState, context_schema=AppContext)
    builder.add_node("s2a", build_s2a_graph(model))
    builder.add_edge(START, "s2a")
    return builder.compile()


def test_parent_context_is_not_taken_as_s2a_options() -> None:
    """Issue 23 item 2: a parent's own context neither crashes S2A nor sets its model."""
    model = fake("Keep: none\nQuestion: 1", "Shakespeare")
    app = build_chat_app(model)
    context: AppContext = {"user_id": "u-1", "model": "openai:gpt-4o"}
    out = app.invoke({"messages": [("user", OPINION)]}, context=context)
    assert out["messages"][-1].text == "Shakespeare"  # answered by the build-time model
    assert model.answer_calls[0].messages[-1].text == "Who wrote Hamlet?"


@pytest.mark.parametrize(
    "own", [{"answer_format": "One word."}, S2AContext(answer_format="One word.")]
)
def test_parent_context_carries_s2a_options_under_the_s2a_key(own: Any) -> None:
    model = fake("Keep: none\nQuestion: 1", "Shakespeare")
    context: AppContext = {"user_id": "u-1", "s2a": own}
    build_chat_app(model).invoke({"messages": [("user", OPINION)]}, context=context)
    assert model.answer_calls[0].messages[-1].text == "Who wrote Hamlet?\n\nOne word."


@dataclass
class DataclassContext:
    user_id: str
    s2a: S2AContext


def test_dataclass_parent_context_carries_s2a_options_as_an_attribute() -> None:
    model = fake("Keep: none\nQuestion: 1", "Shakespeare")
    builder = StateGraph(MessagesState, context_schema=DataclassContext)
    builder.add_node("s2a", build_s2a_graph(model))
    builder.add_edge(START, "s2a")
    context = DataclassContext("u-1", S2AContext(answer_format="One word."))
    builder.compile().invoke({"messages": [("user", OPINION)]}, context=context)
    assert model.answer_calls[0].messages[-1].text == "Who wrote Hamlet?\n\nOne word."


@pytest.mark.parametrize(
    ("own", "error", "message"),
    [
        ({"modle": "x"}, ValueError, "unknown S2A context option(s) ['modle']"),
        ({"variant": "nope"}, ValueError, "S2AContext variant='nope' is not one of"),
        ("local:0.5b", TypeError, "'s2a' entry must be an S2AContext or a dict"),
    ],
)
def test_a_bad_s2a_entry_in_a_parent_context_is_one_clear_error(
    own: Any, error: type[Exception], message: str
) -> None:
    model = fake("Keep: none\nQuestion: 1", "Shakespeare")
    context: AppContext = {"user_id": "u-1", "s2a": own}
    with pytest.raises(error, match=re.escape(message)) as caught:
        build_chat_app(model).invoke({"messages": [("user", OPINION)]}, context=context)
    assert "\n" not in str(caught.value) and model.calls == []
