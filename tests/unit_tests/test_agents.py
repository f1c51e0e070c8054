from collections.abc import Callable, Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.constants import TAG_NOSTREAM
from pydantic import ConfigDict, Field

from langchain_s2a import S2ARewriteError
from langchain_s2a.agents import S2AMiddleware
from tests.fakes import FakeChat, fake

OPINION = "What is the capital of Australia? I think it's Sydney, but I'm really not sure."
CLEAN = "Context: none\nQuestion: What is the capital of Australia?"


def humans(messages: list[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages if isinstance(m, HumanMessage))


def biased_answer(messages: list[BaseMessage]) -> str:
    """A sycophantic model: repeats the user's guess when it sees one."""
    return "Sydney" if "Sydney" in humans(messages) else "Canberra"


class ToolCallingFake(BaseChatModel):
    """Calls ``lookup`` once, then answers with ``answer(messages)``; records what it saw."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    answer: Callable[[list[BaseMessage]], str]
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(  # type: ignore[override]
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[Any, BaseMessage]:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        if not any(isinstance(m, ToolMessage) for m in messages):
            call = {"name": "lookup", "args": {"topic": "capital"}, "id": "call-1"}
            message = AIMessage("", tool_calls=[call])
        else:
            message = AIMessage(self.answer(messages))
        return ChatResult(generations=[ChatGeneration(message=message)])


def test_middleware_changes_the_agents_answer() -> None:
    question: list[AnyMessage | dict[str, Any]] = [HumanMessage(OPINION)]
    plain = create_agent(FakeChat(respond=biased_answer)).invoke({"messages": question})
    assert plain["messages"][-1].text == "Sydney"

    rewriter = fake(CLEAN)
    agent_model = FakeChat(respond=biased_answer)
    agent = create_agent(agent_model, middleware=[S2AMiddleware(rewriter, variant="split")])
    out = agent.invoke({"messages": question})
    assert out["messages"][-1].text == "Canberra"
    assert out["messages"][0].text == OPINION  # the original stays in the state
    (record,) = out["s2a_rewrites"].values()
    assert record["kind"] == "user" and record["original"] == OPINION
    assert record["rewrite"]["question"] == "What is the capital of Australia?"
    seen = agent_model.calls[0].messages[-1].text
    assert seen.startswith("What is the capital of Australia?") and "unbiased" in seen


class _ModelStarts(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tags: list[list[str]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.tags.append(list(kwargs.get("tags") or []))


def test_rewrite_is_visible_on_the_custom_stream_and_not_in_messages() -> None:
    rewriter = fake(CLEAN)
    agent = create_agent(
        FakeChat(respond=biased_answer), middleware=[S2AMiddleware(rewriter, variant="split")]
    )
    custom: list[Any] = []
    tokens: list[Any] = []
    starts = _ModelStarts()
    for mode, data in agent.stream(
        {"messages": [HumanMessage(OPINION)]},
        {"callbacks": [starts]},
        stream_mode=["custom", "messages"],
    ):
        (custom if mode == "custom" else tokens).append(data)
    assert len(custom) == 1 and custom[0]["s2a_rewrite"]["kind"] == "user"
    assert custom[0]["s2a_rewrite"]["message_id"]
    assert "Context:" not in "".join(m.text for m, _ in tokens)  # rewriter kept out
    assert TAG_NOSTREAM in starts.tags[0] and "s2a_rewrite" in starts.tags[0]
    assert TAG_NOSTREAM not in starts.tags[1]  # the agent's own call streams as usual


def test_rewrite_once_per_message_across_a_tool_loop() -> None:
    @tool
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return "Canberra is the capital."

    rewriter = fake(CLEAN)
    model = ToolCallingFake(answer=biased_answer)
    agent = create_agent(
        model, tools=[lookup], middleware=[S2AMiddleware(rewriter, variant="split")]
    )
    out = agent.invoke({"messages": [HumanMessage(OPINION)]})
    assert out["messages"][-1].text == "Canberra"
    assert len(model.seen) == 2 and len(rewriter.calls) == 1
    assert all("Sydney" not in humans(seen) for seen in model.seen)


def test_long_tool_results_are_cleaned_for_the_question() -> None:
    @tool
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return "Canberra is the capital of Australia. Many people wrongly say Sydney."

    def respond(messages: list[BaseMessage]) -> str:
        return "Keep: 1" if "Document 1:" in messages[-1].text else CLEAN

    def by_tool_text(messages: list[BaseMessage]) -> str:
        tool_text = " ".join(m.text for m in messages if isinstance(m, ToolMessage))
        return "Sydney" if "Sydney" in tool_text else "Canberra"

    rewriter = FakeChat(respond=respond)
    model = ToolCallingFake(answer=by_tool_text)
    middleware = S2AMiddleware(rewriter, tool_result_chars=20, variant="split")
    out = create_agent(model, tools=[lookup], middleware=[middleware]).invoke(
        {"messages": [HumanMessage(OPINION)]}
    )
    assert out["messages"][-1].text == "Canberra"
    tool_message = next(m for m in out["messages"] if isinstance(m, ToolMessage))
    assert "Sydney" in tool_message.text  # original kept in the state
    record = out["s2a_rewrites"][tool_message.id]
    assert record["kind"] == "tool" and record["s2a"]["kept_ids"] == [1]
    # the tool result is cleaned for the rewritten question, not the opinionated one
    selection_prompt = rewriter.calls[-1].messages[-1].text
    assert "Question: What is the capital of Australia?\n" in selection_prompt


def test_only_newest_turn_by_default_earlier_turns_when_asked() -> None:
    history: list[AnyMessage | dict[str, Any]] = [
        HumanMessage("Hi, I'm sure you'll agree with me."),
        AIMessage("Hello!"),
    ]
    history.append(HumanMessage(OPINION))
    rewriter = fake(CLEAN)
    create_agent(
        FakeChat(respond=biased_answer), middleware=[S2AMiddleware(rewriter, variant="split")]
    ).invoke({"messages": history})
    assert len(rewriter.calls) == 1
    rewriter = fake(["Context: none\nQuestion: Hi?", CLEAN])
    middleware = S2AMiddleware(rewriter, earlier_turns=True, variant="split")
    out = create_agent(FakeChat(respond=biased_answer), middleware=[middleware]).invoke(
        {"messages": history}
    )
    assert len(rewriter.calls) == 2 and len(out["s2a_rewrites"]) == 2


def test_short_turns_are_left_alone() -> None:
    rewriter = fake(CLEAN)
    middleware = S2AMiddleware(rewriter, min_chars=500, variant="split")
    create_agent(FakeChat(respond=biased_answer), middleware=[middleware]).invoke(
        {"messages": [HumanMessage(OPINION)]}
    )
    assert rewriter.calls == []


def test_multi_turn_thread_rewrites_each_new_turn_once() -> None:
    rewriter = fake(CLEAN)
    agent = create_agent(
        FakeChat(respond=biased_answer),
        middleware=[S2AMiddleware(rewriter, variant="split")],
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": "t"}}
    agent.invoke({"messages": [HumanMessage(OPINION)]}, config)
    out = agent.invoke({"messages": [HumanMessage("And of Canada? I bet Toronto.")]}, config)
    assert len(rewriter.calls) == 2 and len(out["s2a_rewrites"]) == 2


def test_unusable_rewrite_falls_back_to_the_original() -> None:
    agent_model = FakeChat(respond=biased_answer)
    out = create_agent(
        agent_model, middleware=[S2AMiddleware(fake("Sure!"), variant="split")]
    ).invoke({"messages": [HumanMessage(OPINION)]})
    (record,) = out["s2a_rewrites"].values()
    assert record["rewrite"]["fallback"] is True
    assert agent_model.calls[0].messages[-1].text.startswith(OPINION)


def test_unusable_rewrite_raises_when_asked() -> None:
    agent = create_agent(
        FakeChat(respond=biased_answer),
        middleware=[S2AMiddleware(fake("Sure!"), on_failure="raise", variant="split")],
    )
    with pytest.raises(S2ARewriteError):
        agent.invoke({"messages": [HumanMessage(OPINION)]})


async def test_async_agent_uses_async_rewrites() -> None:
    rewriter = fake(CLEAN)
    agent = create_agent(
        FakeChat(respond=biased_answer), middleware=[S2AMiddleware(rewriter, variant="split")]
    )
    out = await agent.ainvoke({"messages": [HumanMessage(OPINION)]})
    assert out["messages"][-1].text == "Canberra"
    assert rewriter.calls[0].is_async


def test_s2a_tool_in_an_agent() -> None:
    from langchain_s2a.agents import S2ATool

    selector = fake("Keep: 1")
    s2a_tool: BaseTool = S2ATool(selector)
    result = s2a_tool.invoke(
        {"passage": "Canberra is the capital. I reckon Sydney.", "question": "Capital?"}
    )
    assert result == "Canberra is the capital."
    nothing = S2ATool(fake("Keep: none")).invoke({"passage": "Koalas sleep.", "question": "Q?"})
    assert nothing.startswith("No sentence")
    unusable = S2ATool(fake("hmm")).invoke({"passage": "Koalas sleep.", "question": "Q?"})
    assert unusable == "Koalas sleep."


IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/map.png"}}


def _image_turn() -> HumanMessage:
    return HumanMessage(
        [{"type": "text", "text": OPINION}, IMAGE, {"type": "text", "text": " Thanks!"}],
        name="ann",
        id="turn-1",
        additional_kwargs={"client": "web"},
    )


def _check_image_turn(seen: BaseMessage) -> None:
    assert isinstance(seen, HumanMessage)
    assert isinstance(seen.content, list) and len(seen.content) == 2
    text_block, image_block = seen.content
    assert isinstance(text_block, dict) and text_block["type"] == "text"
    assert text_block["text"].startswith("What is the capital of Australia?")
    assert "Sydney" not in text_block["text"]
    assert image_block == IMAGE
    assert (seen.name, seen.id, seen.additional_kwargs) == ("ann", "turn-1", {"client": "web"})


def test_middleware_keeps_image_blocks_and_message_fields() -> None:
    """Issue 13 item 2: text blocks are rewritten; the image block and the fields stay."""
    rewriter = fake(CLEAN)
    agent_model = FakeChat(respond=biased_answer)
    out = create_agent(agent_model, middleware=[S2AMiddleware(rewriter)]).invoke(
        {"messages": [_image_turn()]}
    )
    assert out["messages"][-1].text == "Canberra"
    # The rewriter saw the turn's text only (both text blocks), never the image.
    (call,) = rewriter.rewrite_calls
    assert "Thanks!" in call.messages[-1].text and "map.png" not in call.messages[-1].text
    _check_image_turn(agent_model.calls[0].messages[-1])
    assert out["messages"][0].content == _image_turn().content  # the state keeps the original


async def test_middleware_keeps_image_blocks_async() -> None:
    agent_model = FakeChat(respond=biased_answer)
    agent = create_agent(agent_model, middleware=[S2AMiddleware(fake(CLEAN))])
    await agent.ainvoke({"messages": [_image_turn()]})
    _check_image_turn(agent_model.calls[0].messages[-1])


def _broken(messages: list[BaseMessage]) -> BaseException:
    return RuntimeError("rewriter provider is down")


def test_rewriter_error_takes_the_agent_down_by_default() -> None:
    agent = create_agent(
        FakeChat(respond=biased_answer), middleware=[S2AMiddleware(FakeChat(respond=_broken))]
    )
    with pytest.raises(RuntimeError, match="provider is down"):
        agent.invoke({"messages": [HumanMessage(OPINION)]})


@pytest.mark.parametrize("use_async", [False, True])
async def test_rewriter_error_fails_open_when_asked(
    use_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 13 item 12: on_error="original" sends the turn unchanged and records why."""
    agent_model = FakeChat(respond=biased_answer)
    middleware = S2AMiddleware(FakeChat(respond=_broken), on_error="original")
    agent = create_agent(agent_model, middleware=[middleware])
    state = {"messages": [HumanMessage(OPINION, id="u1")]}
    out = await agent.ainvoke(state) if use_async else agent.invoke(state)
    assert out["messages"][-1].text == "Sydney"  # the agent answered, from the original turn
    assert agent_model.calls[0].messages[-1].text == OPINION
    record = out["s2a_rewrites"]["u1"]
    assert record["text"] is None and record["original"] == OPINION
    assert record["error"] == "RuntimeError: rewriter provider is down"
    assert "rewriter raised RuntimeError" in caplog.text


def test_fail_open_keeps_on_failure_raise() -> None:
    """An unusable rewrite with on_failure="raise" is not an error to swallow."""
    middleware = S2AMiddleware(fake("Sure!"), on_failure="raise", on_error="original")
    agent = create_agent(FakeChat(respond=biased_answer), middleware=[middleware])
    with pytest.raises(S2ARewriteError):
        agent.invoke({"messages": [HumanMessage(OPINION)]})


def test_failing_tool_result_cleaning_fails_open() -> None:
    @tool
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return "Canberra is the capital of Australia. Many people wrongly say Sydney."

    def respond(messages: list[BaseMessage]) -> str | BaseException:
        if "Document 1:" in messages[-1].text:
            return RuntimeError("selector is down")
        return CLEAN

    model = ToolCallingFake(answer=lambda messages: "Canberra")
    middleware = S2AMiddleware(FakeChat(respond=respond), tool_result_chars=20, on_error="original")
    out = create_agent(model, tools=[lookup], middleware=[middleware]).invoke(
        {"messages": [HumanMessage(OPINION)]}
    )
    assert out["messages"][-1].text == "Canberra"
    tool_message = next(m for m in out["messages"] if isinstance(m, ToolMessage))
    assert out["s2a_rewrites"][tool_message.id]["error"] == "RuntimeError: selector is down"
    seen_tool = next(m for m in model.seen[-1] if isinstance(m, ToolMessage))
    assert seen_tool.text == tool_message.text  # sent unchanged


def test_fail_open_user_turn_then_tool_results_in_the_same_run() -> None:
    """A failed (recorded) user-turn rewrite must not break later model calls of the run."""

    @tool
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return "Canberra is the capital of Australia. Many people wrongly say Sydney."

    def respond(messages: list[BaseMessage]) -> str | BaseException:
        if "Document 1:" in messages[-1].text:
            return "Keep: 1"
        return RuntimeError("rewriter provider is down")

    model = ToolCallingFake(answer=lambda messages: "Canberra")
    middleware = S2AMiddleware(FakeChat(respond=respond), tool_result_chars=20, on_error="original")
    out = create_agent(model, tools=[lookup], middleware=[middleware]).invoke(
        {"messages": [HumanMessage(OPINION, id="u1")]}
    )
    assert out["messages"][-1].text == "Canberra"
    assert out["s2a_rewrites"]["u1"]["error"].startswith("RuntimeError")
    tool_message = next(m for m in out["messages"] if isinstance(m, ToolMessage))
    assert out["s2a_rewrites"][tool_message.id]["kind"] == "tool"


def test_edited_turn_is_rewritten_again() -> None:
    """Issue 23 item 1: edit-and-resend (same id, new text) gets a fresh rewrite."""
    from langchain_core.messages import RemoveMessage

    rewriter = fake(
        [
            "Context: none\nQuestion: What is the capital of Australia?",
            "Context: none\nQuestion: What is the capital of France?",
        ]
    )
    agent_model = FakeChat(respond=lambda ms: "Lyon" if "Lyon" in humans(ms) else "Paris")
    agent = create_agent(
        agent_model,
        middleware=[S2AMiddleware(rewriter, variant="split", instructed=False)],
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": "edit"}}
    first = agent.invoke({"messages": [HumanMessage(OPINION, id="turn-1")]}, config)
    edited = HumanMessage("What is the capital of France? I think Lyon.", id="turn-1")
    out = agent.invoke({"messages": [RemoveMessage(id=first["messages"][-1].id), edited]}, config)
    assert [m.text for m in out["messages"]] == [edited.text, "Paris"]  # the edit, answered
    assert len(rewriter.calls) == 2  # the edited turn was rewritten, not served from the cache
    assert agent_model.calls[-1].messages[-1].text == "What is the capital of France?"
    assert out["s2a_rewrites"]["turn-1"]["original"] == edited.text
