"""The S2A graph driven with ``{"messages": [...]}``: chat threads, MessagesState parents,
content blocks."""

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, MessagesState, StateGraph

from langchain_s2a import S2AContext, build_s2a_graph
from tests.fakes import FakeChat, fake, is_rewrite_prompt

TOM = "Tom has 3 apples. I think the answer is 5. How many apples does Tom have?"
TOM_KEEP = "Keep: 1\nQuestion: 3"
TOM_CLEAN = "Tom has 3 apples. How many apples does Tom have?"
ANN = "Ann has 5 pears. I bet it is 9. How many pears does Ann have?"
ANN_KEEP = "Keep: 1\nQuestion: 3"
ANN_CLEAN = "Ann has 5 pears. How many pears does Ann have?"
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/apples.png"}}
THREAD: RunnableConfig = {"configurable": {"thread_id": "chat"}}


def test_messages_in_answer_appended_and_user_turn_kept() -> None:
    model = fake(TOM_KEEP, "3")
    turn = HumanMessage(TOM, id="u1", name="tom")
    out = build_s2a_graph(model).invoke({"messages": [SystemMessage("Be brief."), turn]})
    _system, kept, answer = out["messages"]
    assert kept == turn  # the user's own turn stays as it was sent
    assert isinstance(answer, AIMessage) and answer.text == "3" == out["answer"]
    assert answer == out["message"]
    sent = model.answer_calls[0].messages
    assert [m.type for m in sent] == ["system", "human"]
    assert sent[1].text == TOM_CLEAN and sent[1].id == "u1" and sent[1].name == "tom"
    assert out["rewrite"]["original"] == TOM


async def test_messages_async() -> None:
    model = fake(TOM_KEEP, "3")
    out = await build_s2a_graph(model).ainvoke({"messages": [("user", TOM)]})
    assert [m.type for m in out["messages"]] == ["human", "ai"]
    assert model.answer_calls[0].messages[-1].text == TOM_CLEAN
    assert all(c.is_async for c in model.calls)


@pytest.mark.parametrize("key", ["messages", "input"])
def test_content_blocks_reach_the_answer_model_in_order(key: str) -> None:
    model = fake(TOM_KEEP, "3")
    blocks = [IMAGE, {"type": "text", "text": TOM}, {"type": "file", "file_id": "f1"}]
    value = [HumanMessage(blocks)] if key == "messages" else blocks
    out = build_s2a_graph(model).invoke({key: value})  # type: ignore[misc]
    assert model.answer_calls[0].messages[-1].content == [
        IMAGE,
        {"type": "text", "text": TOM_CLEAN},
        {"type": "file", "file_id": "f1"},
    ]
    sent = "\n".join(m.text for m in model.rewrite_calls[0].messages)
    assert "apples.png" not in sent and "answer is 5" in sent
    if key == "messages":
        assert out["messages"][0].content == blocks  # the user's turn as sent


def test_two_turn_thread_the_second_turn_sees_the_first(
    checkpointer: BaseCheckpointSaver[str],
) -> None:
    model = fake([TOM_KEEP, ANN_KEEP], "A")
    graph = build_s2a_graph(model, checkpointer=checkpointer)
    graph.invoke({"messages": [("user", TOM)]}, THREAD)
    out = graph.invoke({"messages": [("user", ANN)]}, THREAD)
    assert [(m.type, m.text) for m in out["messages"]] == [
        ("human", TOM),
        ("ai", "A"),
        ("human", ANN),
        ("ai", "A"),
    ]
    assert out["rewrite"]["original"] == ANN  # only the last human turn is rewritten
    assert len(model.rewrite_calls) == 2  # the first turn's rewrite is reused, not made again
    sent = model.answer_calls[1].messages
    assert [(m.type, m.text) for m in sent] == [
        ("human", TOM_CLEAN),
        ("ai", "A"),
        ("human", ANN_CLEAN),
    ]
    assert graph.get_state(THREAD).values["messages"] == out["messages"]


def test_retry_in_messages_mode_keeps_the_conversation() -> None:
    model = fake(["Sure!", TOM_KEEP], "3")
    out = build_s2a_graph(model, max_retries=1).invoke({"messages": [("user", TOM)]})
    assert out["rewrite"]["attempts"] == 2 and out["rewrite"]["fallback"] is False
    assert [m.type for m in out["messages"]] == ["human", "ai"]
    assert model.answer_calls[0].messages[-1].text == TOM_CLEAN


def test_input_and_messages_runs_mix_on_a_thread(checkpointer: BaseCheckpointSaver[str]) -> None:
    model = fake([TOM_KEEP, ANN_KEEP, TOM_KEEP], "A")
    graph = build_s2a_graph(model, checkpointer=checkpointer)
    graph.invoke({"input": TOM}, THREAD)
    out = graph.invoke({"messages": [("user", ANN)]}, THREAD)  # the old input is not answered
    assert out["rewrite"]["original"] == ANN and len(out["messages"]) == 2
    out = graph.invoke({"input": TOM}, THREAD)  # the answered chat is not answered again
    assert out["rewrite"]["original"] == TOM and len(out["messages"]) == 2
    assert [len(c.messages) for c in model.answer_calls] == [1, 1, 1]


def test_runtime_context_applies_in_messages_mode() -> None:
    model = fake(TOM_KEEP, "3")
    build_s2a_graph(model).invoke(
        {"messages": [("user", TOM)]}, context=S2AContext(answer_format="One word.")
    )
    assert model.answer_calls[0].messages[-1].text == f"{TOM_CLEAN}\n\nOne word."


def build_chat(graph: Any, checkpointer: BaseCheckpointSaver[str] | None = None) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("s2a", graph)  # the compiled S2A graph as a node
    builder.add_edge(START, "s2a")
    builder.add_edge("s2a", END)
    return builder.compile(checkpointer=checkpointer)


def test_node_of_a_messages_state_graph_adds_one_message_per_run(
    checkpointer: BaseCheckpointSaver[str],
) -> None:
    model = fake([TOM_KEEP, ANN_KEEP], "A")
    chat = build_chat(build_s2a_graph(model), checkpointer)
    first = chat.invoke({"messages": [("user", TOM)]}, THREAD)
    assert [(m.type, m.text) for m in first["messages"]] == [("human", TOM), ("ai", "A")]
    before = {m.id for m in first["messages"]}
    updates = list(chat.stream({"messages": [("user", ANN)]}, THREAD, stream_mode="updates"))
    assert [list(u) for u in updates] == [["s2a"]]
    after = chat.get_state(THREAD).values["messages"]
    assert [m.type for m in after] == ["human", "ai", "human", "ai"]
    new = [m for m in after if m.id not in before]
    assert [m.type for m in new] == ["human", "ai"]  # the user's turn and one answer
    assert set(chat.get_state(THREAD).values) == {"messages"}
    sent = model.answer_calls[1].messages
    assert [m.text for m in sent] == [TOM_CLEAN, "A", ANN_CLEAN]


def test_typed_input_and_output_schemas() -> None:
    graph = build_s2a_graph(fake(TOM_KEEP))
    inp = graph.get_input_jsonschema()
    assert set(inp["properties"]) == {"input", "messages"}
    assert not inp.get("required")  # either key
    out = graph.get_output_jsonschema()
    assert set(out["properties"]) == {
        "answer",
        "rewrite",
        "message",
        "messages",
        "mode",
        "answer_latency_s",
    }
    assert out["properties"]["messages"]["type"] == "array"


def _answers_fail_first(keep: str) -> FakeChat:
    """Rewrites with ``keep``; the first answer call fails (a permanent error), later ones "A"."""
    failed: list[bool] = []

    def respond(messages: list[BaseMessage]) -> str | BaseException:
        if is_rewrite_prompt(messages):
            return keep
        if not failed:
            failed.append(True)
            return ValueError("the provider refused the request")
        return "A"

    return FakeChat(respond=respond)


def test_new_input_after_a_failed_messages_run_is_the_runs_input(
    checkpointer: BaseCheckpointSaver[str],
) -> None:
    """Issue 23 item 5: a dangling turn left by a failed run is not answered in its place."""
    model = _answers_fail_first(TOM_KEEP)
    graph = build_s2a_graph(model, checkpointer=checkpointer)
    with pytest.raises(ValueError, match="refused"):
        graph.invoke({"messages": [("user", TOM)]}, THREAD)
    out = graph.invoke({"input": ANN}, THREAD)
    assert out["rewrite"]["original"] == ANN and out["answer"] == "A"
    assert model.answer_calls[-1].messages[-1].text == ANN_CLEAN
    assert [m.type for m in out["messages"]] == ["human"]  # an input run leaves messages alone


def test_failed_messages_run_is_resumed_explicitly(checkpointer: BaseCheckpointSaver[str]) -> None:
    model = _answers_fail_first(TOM_KEEP)
    graph = build_s2a_graph(model, checkpointer=checkpointer)
    with pytest.raises(ValueError, match="refused"):
        graph.invoke({"messages": [("user", TOM)]}, THREAD)
    out = graph.invoke(None, THREAD)  # LangGraph's resume: the failed step runs again
    assert [(m.type, m.text) for m in out["messages"]] == [("human", TOM), ("ai", "A")]
    assert out["rewrite"]["original"] == TOM
    assert model.answer_calls[-1].messages[-1].text == TOM_CLEAN


QUESTIONS = [
    "Who wrote Hamlet? I'm certain it was Marlowe.",
    "Who painted the Mona Lisa? I think it was Raphael.",
    "What is the capital of Australia? I'm sure it's Sydney.",
    "Who discovered penicillin? I believe it was Pasteur.",
    "What is the largest planet? I think it's Saturn.",
]
OPINIONS = ("Marlowe", "Raphael", "Sydney", "Pasteur", "Saturn")


@pytest.mark.parametrize("how", ["thread", "parent"])
def test_each_turn_is_rewritten_once_and_reused_on_later_turns(
    how: str, checkpointer: BaseCheckpointSaver[str]
) -> None:
    """Issue 23 item 3: earlier turns reach the answer model as their rewrites.

    Five turns make five rewrite calls (each turn once, reused from the record on the
    answer that followed it), and no earlier turn's opinion reaches the answer model.
    """
    model = fake("Keep: none\nQuestion: 1", "A")
    graph = build_s2a_graph(model, checkpointer=checkpointer if how == "thread" else None)
    app = graph if how == "thread" else build_chat(graph, checkpointer)
    for question in QUESTIONS:
        out = app.invoke({"messages": [("user", question)]}, THREAD)
    assert len(model.rewrite_calls) == 5
    sent = model.answer_calls[-1].messages
    assert [m.text for m in sent if m.type == "human"] == [
        q.split("? ")[0] + "?" for q in QUESTIONS
    ]
    for call in model.answer_calls:
        assert not any(name in m.text for m in call.messages for name in OPINIONS)
    assert [m.text for m in out["messages"] if m.type == "human"] == QUESTIONS  # kept as sent
    record = out["messages"][-1].response_metadata["s2a"]
    assert record["original"] == QUESTIONS[-1] and record["question"].startswith("What is the")


def test_a_record_for_other_text_is_not_reused(checkpointer: BaseCheckpointSaver[str]) -> None:
    model = fake("Keep: none\nQuestion: 1", "A")
    graph = build_s2a_graph(model, checkpointer=checkpointer)
    first = graph.invoke({"messages": [HumanMessage(QUESTIONS[0], id="h1")]}, THREAD)
    answer = first["messages"][-1]
    # The first turn edited in place under its id: its answer's record is for the old text.
    graph.update_state(THREAD, {"messages": [HumanMessage(QUESTIONS[1], id="h1")]})
    graph.invoke({"messages": [("user", QUESTIONS[2])]}, THREAD)
    sent = model.answer_calls[-1].messages
    assert [m.text for m in sent] == [QUESTIONS[1], answer.text, QUESTIONS[2].split("? ")[0] + "?"]
