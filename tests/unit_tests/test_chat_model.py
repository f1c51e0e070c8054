"""S2AChatModel: S2A in front of any chat model, as a chat model (issue 14 section 1)."""

from collections.abc import Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_tests.unit_tests import ChatModelUnitTests
from langgraph.constants import TAG_NOSTREAM
from pydantic import BaseModel, Field

from langchain_s2a import (
    S2AChatModel,
    S2AInputError,
    S2ARewrite,
    S2ARewriteError,
    build_s2a_graph,
    create_s2a_chain,
)
from langchain_s2a._internal.io.inputs import coerce_input, replace_text
from langchain_s2a.models.llama import ChatLocalLlama
from langchain_s2a.testing import FakeS2AChatModel
from tests.fakes import FakeChat, fake, is_rewrite_prompt, scripted

OPINION = "What is the capital of Australia? I think it's Sydney, but I'm really not sure."
CLEAN = "Context: none\nQuestion: What is the capital of Australia?"
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/map.png"}}


def biased(messages: list[BaseMessage]) -> str:
    """A sycophantic answer model: repeats the user's guess when it sees one."""
    human = "\n".join(m.text for m in messages if isinstance(m, HumanMessage))
    return "Sydney" if "Sydney" in human else "Canberra is the capital."


class ToolFake(FakeChat):
    """FakeChat with tool calling: calls ``lookup`` until it sees a tool result.

    ``with_structured_output`` parses the reply text as JSON into the schema.
    """

    bound_tools: list[Any] = Field(default_factory=list)

    def bind_tools(  # type: ignore[override]
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[Any, BaseMessage]:
        self.bound_tools = list(tools)
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def with_structured_output(  # type: ignore[override]
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[Any, Any]:
        return self | RunnableLambda(lambda m: schema.model_validate_json(m.text))

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        if kwargs.get("tools") and not any(isinstance(m, ToolMessage) for m in messages):
            self._record(messages, run_manager)
            call = {"name": "lookup", "args": {"topic": "capital"}, "id": "call-1"}
            return ChatResult(
                generations=[ChatGeneration(message=AIMessage("", tool_calls=[call]))]
            )
        return super()._generate(messages, stop, run_manager, **kwargs)


def s2a(answer: Any = biased, rewrite: str = CLEAN, **options: Any) -> S2AChatModel:
    return S2AChatModel(model=FakeChat(respond=answer), rewriter_model=fake(rewrite), **options)


def inner(model: S2AChatModel) -> FakeChat:
    wrapped = model.chain.model
    assert isinstance(wrapped, FakeChat)
    return wrapped


def rewriter(model: S2AChatModel) -> FakeChat:
    wrapped = model.chain.rewriter.model
    assert isinstance(wrapped, FakeChat)
    return wrapped


# ---------------------------------------------------------------- the standard suite
class TestS2AChatModelStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return S2AChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": ToolFake(respond=biased), "rewriter_model": fake(CLEAN)}


class TestChatLocalLlamaStandard(ChatModelUnitTests):
    """ChatLocalLlama loads its weights lazily, so the unit suite needs no model file."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatLocalLlama

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model_path": "/nonexistent/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"}


# ---------------------------------------------------------------------- behaviour
def test_invoke_rewrites_the_last_human_turn_and_returns_the_models_message() -> None:
    model = s2a()
    history = [
        SystemMessage("Answer briefly."),
        HumanMessage("Hi! I'm sure you'll agree with me."),
        AIMessage("Hello!"),
        HumanMessage(OPINION),
    ]
    out = model.invoke(history)
    assert isinstance(out, AIMessage) and out.text == "Canberra is the capital."
    record = out.response_metadata["s2a"]
    assert S2ARewrite.model_validate(record).question == "What is the capital of Australia?"
    assert record["original"] == OPINION and record["fallback"] is False
    assert out.usage_metadata is not None  # the wrapped model's message, usage and all
    (call,) = inner(model).calls
    assert call.messages[:3] == history[:3]  # system and earlier turns pass as they are
    assert call.messages[3].text.startswith("What is the capital of Australia?")
    assert "Sydney" not in call.messages[3].text
    assert "agree" not in rewriter(model).rewrite_calls[0].messages[-1].text  # last turn only


def test_plain_model_is_swayed_s2a_is_not() -> None:
    assert FakeChat(respond=biased).invoke(OPINION).text == "Sydney"
    assert s2a().invoke(OPINION).text == "Canberra is the capital."


def test_images_and_message_fields_reach_the_wrapped_model() -> None:
    model = s2a()
    turn = HumanMessage(
        [{"type": "text", "text": OPINION}, IMAGE], name="ann", id="u1", additional_kwargs={"k": 1}
    )
    model.invoke([turn])
    seen = inner(model).calls[0].messages[-1]
    assert isinstance(seen.content, list) and seen.content[1] == IMAGE
    assert isinstance(seen.content[0], dict) and "Sydney" not in seen.content[0]["text"]
    assert (seen.name, seen.id, seen.additional_kwargs) == ("ann", "u1", {"k": 1})
    assert "example.com" not in rewriter(model).calls[0].messages[-1].text


def test_no_human_text_passes_through_unchanged() -> None:
    model = s2a(answer=lambda messages: "ok")
    only_system = [SystemMessage("Say ok.")]
    out = model.invoke(only_system)
    assert out.text == "ok" and out.response_metadata["s2a"] is None
    assert inner(model).calls[0].messages == only_system
    model.invoke([HumanMessage([IMAGE])])  # an image-only turn has nothing to rewrite
    assert rewriter(model).calls == []


def test_oversized_input_is_refused() -> None:
    with pytest.raises(S2AInputError, match="max_input_chars"):
        s2a(max_input_chars=10).invoke(OPINION)


def test_lcel_prompt_model_parser() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{question}")])
    model = s2a()
    assert (prompt | model | StrOutputParser()).invoke({"question": OPINION}) == (
        "Canberra is the capital."
    )
    assert inner(model).calls[0].messages[0].text == "Be brief."


async def test_ainvoke_batch_abatch() -> None:
    model = s2a()
    assert (await model.ainvoke(OPINION)).text == "Canberra is the capital."
    assert rewriter(model).calls[0].is_async and inner(model).calls[0].is_async
    assert [m.text for m in model.batch([OPINION, OPINION])] == ["Canberra is the capital."] * 2
    outs = await model.abatch([OPINION, OPINION])
    assert all(m.response_metadata["s2a"]["question"] for m in outs)


def test_options_are_the_chains() -> None:
    model = s2a(mode="baseline")
    assert model.invoke(OPINION).text == "Sydney"  # baseline: no rewrite
    assert rewriter(model).calls == []
    kept = s2a(keep_original=True, instructed=False)
    kept.invoke(OPINION)
    seen = inner(kept).calls[0].messages[-1].text
    assert "Original text" in seen and "unbiased" not in seen
    assert S2AChatModel(model=FakeChat(respond=biased), max_retries=4).chain.max_attempts == 5
    with pytest.raises(TypeError, match="keep_orignal"):
        S2AChatModel(model=FakeChat(respond=biased), keep_orignal=True)


def test_standard_parameters_reach_the_answer_call() -> None:
    seen: list[dict[str, Any]] = []

    class Recorder(FakeChat):
        def _generate(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Any:
            seen.append({"stop": stop, **kw})
            return super()._generate(messages, stop, run_manager)

    model = S2AChatModel(
        model=Recorder(respond=biased), rewriter_model=fake(CLEAN), temperature=0.2, stop=["\n\n"]
    )
    model.invoke(OPINION, max_tokens=7)
    assert seen == [{"stop": ["\n\n"], "temperature": 0.2, "max_tokens": 7}]


def test_stream_is_the_wrapped_models_own_token_stream() -> None:
    model = s2a()
    chunks = list(model.stream(OPINION))
    texts = [c.text for c in chunks if c.text]
    assert texts == ["Canberra ", "is ", "the ", "capital."]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert "Context" not in "".join(texts)  # no rewrite tokens
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.response_metadata["s2a"]["question"] == "What is the capital of Australia?"
    assert total.response_metadata["finish_reason"] == "stop"
    assert len({c.id for c in chunks}) == 1  # one message id, this run's
    assert inner(model).calls[0].streamed and not rewriter(model).calls[0].streamed


async def test_astream() -> None:
    model = s2a()
    texts = [c.text async for c in model.astream(OPINION) if c.text]
    assert "".join(texts) == "Canberra is the capital." and len(texts) == 4
    assert inner(model).calls[0].is_async and inner(model).calls[0].streamed


async def test_astream_events_keep_rewrite_tokens_out_of_token_streams() -> None:
    model = S2AChatModel(model=FakeChat(respond=biased), rewriter_model=fake(CLEAN))
    tokens: list[str] = []
    starts: dict[str, list[str]] = {}
    async for event in model.astream_events(OPINION, version="v2"):
        if event["event"] == "on_chat_model_start":
            starts[event["name"]] = event["tags"]
        if event["event"] == "on_chat_model_stream" and TAG_NOSTREAM not in event["tags"]:
            tokens.append(event["data"]["chunk"].text)
    # As LangGraph's messages mode does: nostream runs are left out, so each answer
    # token is seen once (from S2AChatModel) and no rewrite token is seen.
    assert "".join(tokens) == "Canberra is the capital."
    assert set(starts) >= {"S2AChatModel", "s2a_answer"}
    assert TAG_NOSTREAM in starts["s2a_answer"] and TAG_NOSTREAM not in starts["S2AChatModel"]
    rewrite_runs = [
        e async for e in s2a().astream_events(OPINION, version="v2") if e["name"] == "s2a_rewrite"
    ]
    assert rewrite_runs and all(TAG_NOSTREAM in e["tags"] for e in rewrite_runs)


class _Starts(BaseCallbackHandler):
    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.runs.append(kwargs)


@pytest.mark.parametrize("how", ["invoke", "ainvoke", "stream", "astream"])
async def test_callbacks_and_config_reach_both_calls(how: str) -> None:
    handler = _Starts()
    model = s2a()
    config: Any = {"callbacks": [handler], "tags": ["mine"], "metadata": {"user": "ann"}}
    if how == "invoke":
        model.invoke(OPINION, config)
    elif how == "ainvoke":
        await model.ainvoke(OPINION, config)
    elif how == "stream":
        list(model.stream(OPINION, config))
    else:
        [c async for c in model.astream(OPINION, config)]
    # S2AChatModel's run, then the rewrite model's and the answer model's, nested in it
    outer, rewrite, answer = handler.runs
    assert outer["parent_run_id"] is None and answer["name"] == "s2a_answer"
    assert answer["parent_run_id"] == outer["run_id"]
    assert rewrite["parent_run_id"] not in (None, outer["run_id"])  # inside the s2a_rewrite run
    for run in handler.runs:
        assert "mine" in run["tags"] and run["metadata"]["user"] == "ann"
    assert TAG_NOSTREAM in rewrite["tags"] and TAG_NOSTREAM in answer["tags"]
    assert "mine" in rewriter(model).calls[0].tags
    if how.endswith("invoke"):  # (langchain-core calls _stream without a run manager)
        assert inner(model).calls[0].metadata["user"] == "ann"


def test_rewrite_run_is_a_child_of_the_model_run() -> None:
    runs: dict[str, Any] = {}

    class Chains(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
            runs[kwargs.get("name") or ""] = kwargs

        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            runs.setdefault("model", kwargs)

    list(s2a().stream(OPINION, {"callbacks": [Chains()]}))
    assert runs["s2a_rewrite"]["parent_run_id"] == runs["model"]["run_id"]


@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_configurable_reaches_the_answer_call(how: str) -> None:
    def answer(messages: Any, config: RunnableConfig) -> AIMessage:
        return AIMessage(f"user {config['configurable']['user_id']}")

    model = S2AChatModel(model=RunnableLambda(answer), rewriter_model=fake(CLEAN))
    config: Any = {"configurable": {"user_id": "u-7"}}
    if how == "invoke":
        assert model.invoke(OPINION, config).text == "user u-7"
    else:
        assert "".join(c.text for c in model.stream(OPINION, config)) == "user u-7"


def test_bind_tools_keeps_s2a_in_front_in_an_agent() -> None:
    @tool
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return "Canberra is the capital."

    wrapped = ToolFake(respond=biased)
    model = S2AChatModel(model=wrapped, rewriter_model=fake(CLEAN))
    out = create_agent(model, tools=[lookup]).invoke({"messages": [HumanMessage(OPINION)]})
    messages = out["messages"]
    assert isinstance(messages[1], AIMessage) and messages[1].tool_calls[0]["name"] == "lookup"
    assert isinstance(messages[2], ToolMessage) and messages[-1].text == "Canberra is the capital."
    assert [t.name for t in wrapped.bound_tools] == ["lookup"]
    assert len(wrapped.calls) == 2  # the tool call, then the answer
    for call in wrapped.calls:  # each model call saw the rewrite, never the opinion
        assert "Sydney" not in "\n".join(
            m.text for m in call.messages if isinstance(m, HumanMessage)
        )
    assert messages[0].text == OPINION  # the agent's state keeps the user's turn
    assert all(m.response_metadata["s2a"]["question"] for m in messages if isinstance(m, AIMessage))


def test_agent_messages_stream_has_answer_tokens_once() -> None:
    model = S2AChatModel(model=FakeChat(respond=biased), rewriter_model=fake(CLEAN))
    agent = create_agent(model)
    tokens = [
        chunk.text
        for chunk, _ in agent.stream({"messages": [HumanMessage(OPINION)]}, stream_mode="messages")
        if isinstance(chunk, AIMessageChunk)
    ]
    assert "".join(tokens) == "Canberra is the capital."


class Capital(BaseModel):
    city: str


def test_with_structured_output_binds_on_the_wrapped_model() -> None:
    wrapped = ToolFake(
        respond=lambda ms: (
            "Context: none\nQuestion: x" if is_rewrite_prompt(ms) else '{"city": "Canberra"}'
        )
    )
    model = S2AChatModel(model=wrapped, rewriter_model=fake(CLEAN))
    assert model.with_structured_output(Capital).invoke(OPINION) == Capital(city="Canberra")
    assert "Sydney" not in wrapped.calls[0].messages[-1].text


async def test_with_structured_output_async() -> None:
    wrapped = ToolFake(respond=lambda ms: '{"city": "Canberra"}')
    model = S2AChatModel(model=wrapped, rewriter_model=fake(CLEAN))
    assert await model.with_structured_output(Capital).ainvoke(OPINION) == Capital(city="Canberra")
    assert wrapped.calls[0].is_async


def test_ls_params_name_the_wrapped_model() -> None:
    params = s2a()._get_ls_params()
    assert params["ls_provider"] == "s2a" and params["ls_model_name"] == "fake-chat"


def test_a_ready_chain_can_be_given() -> None:
    chain = create_s2a_chain(FakeChat(respond=biased), rewriter_model=fake(CLEAN))
    assert S2AChatModel(chain=chain).invoke(OPINION).text == "Canberra is the capital."


# --------------------------------------------- content-block helpers (langchain_s2a._internal.io.inputs)
def test_replace_text_keeps_every_other_block_in_place() -> None:
    audio = {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}
    turn = HumanMessage(
        [
            IMAGE,
            {"type": "text", "text": "Is this Sydney? ", "cache_control": {"type": "ephemeral"}},
            audio,
            "I think so.",
        ],
        name="ann",
        id="m1",
    )
    new = replace_text(turn, "Which city is this?")
    assert new.content == [
        IMAGE,
        {"type": "text", "text": "Which city is this?", "cache_control": {"type": "ephemeral"}},
        audio,
    ]
    assert (new.name, new.id) == ("ann", "m1") and turn.content[1]["text"] == "Is this Sydney? "  # type: ignore[index]
    assert replace_text(HumanMessage([IMAGE]), "What is it?").content == [
        {"type": "text", "text": "What is it?"},
        IMAGE,
    ]
    assert replace_text(HumanMessage("a", id="x"), "b") == HumanMessage("b", id="x")


def test_coerce_input_can_read_text_blocks_only() -> None:
    turn = HumanMessage([{"type": "text", "text": OPINION}, IMAGE])
    with pytest.raises(TypeError, match="'image_url'"):
        coerce_input([turn])  # the default is unchanged
    parts = coerce_input([turn], other_blocks="skip")
    assert parts.text == OPINION
    assert parts.with_text("Q?")[0].content == [{"type": "text", "text": "Q?"}, IMAGE]


def test_streaming_true_makes_invoke_stream_the_wrapped_model() -> None:
    model = s2a(streaming=True)
    out = model.invoke(OPINION)
    assert out.text == "Canberra is the capital." and out.response_metadata["s2a"]["question"]
    assert inner(model).calls[0].streamed


def test_a_messages_graph_node_checkpoints_the_rewrite(checkpointer: Any) -> None:
    from langgraph.graph import START, MessagesState, StateGraph

    model = s2a()

    def answer(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = (
        StateGraph(MessagesState)
        .add_node("answer", answer)
        .add_edge(START, "answer")
        .compile(checkpointer=checkpointer)
    )
    config: Any = {"configurable": {"thread_id": "t"}}
    graph.invoke({"messages": [HumanMessage(OPINION)]}, config)
    graph.invoke({"messages": [HumanMessage("And of Canada? I bet Toronto.")]}, config)
    messages = graph.get_state(config).values["messages"]
    assert [type(m).__name__ for m in messages] == ["HumanMessage", "AIMessage"] * 2
    assert messages[1].response_metadata["s2a"]["question"] == "What is the capital of Australia?"
    assert len(inner(model).calls) == 2
    first, reply = inner(model).calls[1].messages[:2]  # the first turn as its rewrite
    assert first.text == "What is the capital of Australia?" and first.id == messages[0].id
    assert reply == messages[1]


QUESTIONS = [
    "Who wrote Hamlet? I'm certain it was Marlowe.",
    "Who painted the Mona Lisa? I think it was Raphael.",
    "What is the capital of Australia? I'm sure it's Sydney.",
    "Who discovered penicillin? I believe it was Pasteur.",
    "What is the largest planet? I think it's Saturn.",
]
OPINIONS = ("Marlowe", "Raphael", "Sydney", "Pasteur", "Saturn")


@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_earlier_turns_are_sent_as_their_rewrites_each_made_once(how: str) -> None:
    """Issue 23 item 3: a turn's rewrite rides on the answer and is reused on later turns."""
    model = s2a(answer="A", rewrite="Keep: none\nQuestion: 1")
    history: list[BaseMessage] = []
    for question in QUESTIONS:
        history.append(HumanMessage(question))
        if how == "invoke":
            history.append(model.invoke(history))
        else:
            chunks = list(model.stream(history))
            history.append(AIMessage(**sum(chunks[1:], chunks[0]).model_dump(exclude={"type"})))
    assert len(rewriter(model).rewrite_calls) == 5
    sent = inner(model).calls[-1].messages
    assert [m.text for m in sent if m.type == "human"] == [
        q.split("? ")[0] + "?" for q in QUESTIONS
    ]
    for call in inner(model).calls:
        assert not any(name in m.text for m in call.messages for name in OPINIONS)


def test_an_agent_tool_loop_rewrites_the_turn_once() -> None:
    @tool
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return "Canberra is the capital."

    wrapped = ToolFake(respond=biased)
    model = S2AChatModel(model=wrapped, rewriter_model=fake(CLEAN))
    create_agent(model, tools=[lookup]).invoke({"messages": [HumanMessage(OPINION)]})
    assert len(wrapped.calls) == 2 and len(rewriter(model).rewrite_calls) == 1


def _named(text: str, name: str) -> FakeS2AChatModel:
    """A fake whose replies name their model, as providers' do (usage callbacks key on it)."""
    return FakeS2AChatModel(
        replies=lambda ms: AIMessage(text, response_metadata={"model_name": name})
    )


def _usage_models() -> dict[str, Any]:
    return {
        "model": _named("Canberra is the capital.", "answer-llm"),
        "rewriter_model": _named("Keep: none\nQuestion: 1", "rewrite-llm"),
    }


@pytest.mark.parametrize("how", ["invoke", "ainvoke", "stream", "astream", "streaming"])
async def test_usage_callback_counts_each_call_once(how: str) -> None:
    """Issue 23 item 4: the answer's tokens were counted twice (inner run and this run)."""
    with get_usage_metadata_callback() as chain_usage:
        create_s2a_chain(**_usage_models()).invoke(OPINION)
    model = S2AChatModel(**_usage_models(), streaming=how == "streaming")
    with get_usage_metadata_callback() as usage:
        if how in ("invoke", "streaming"):
            out = model.invoke(OPINION)
        elif how == "ainvoke":
            out = await model.ainvoke(OPINION)
        else:
            chunks = (
                list(model.stream(OPINION))
                if how == "stream"
                else [c async for c in model.astream(OPINION)]
            )
            out = sum(chunks[1:], chunks[0])
    assert usage.usage_metadata == chain_usage.usage_metadata  # rewrite + answer, once each
    assert out.usage_metadata == usage.usage_metadata["answer-llm"]  # the message keeps it


class ObedientToolFake(FakeChat):
    """Obeys a bound ``tool_choice="any"``: replies with a tool call, never text."""

    bound: list[dict[str, Any]] = Field(default_factory=list)

    def bind_tools(  # type: ignore[override]
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[Any, BaseMessage]:
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.bound.append(dict(kwargs))
        if kwargs.get("tool_choice") == "any":
            self._record(messages, run_manager)
            call = {"name": "lookup", "args": {"topic": "capital"}, "id": "call-1"}
            return ChatResult(
                generations=[ChatGeneration(message=AIMessage("", tool_calls=[call]))]
            )
        return super()._generate(messages, stop, run_manager, **kwargs)


@pytest.mark.parametrize("wrap", ["bind_tools", "bind_tools_then_bind", "with_retry"])
def test_tools_bound_on_the_wrapped_model_never_reach_the_rewrite(wrap: str) -> None:
    """Issue 23 item 6: the rewrite call never carries the answer model's tools."""

    @tool
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return "Canberra is the capital."

    llm = ObedientToolFake(respond=scripted(CLEAN, "Canberra."))
    bound: Runnable[Any, BaseMessage] = llm.bind_tools([lookup], tool_choice="any")
    if wrap == "bind_tools_then_bind":
        bound = bound.bind(temperature=0)
    elif wrap == "with_retry":
        bound = bound.with_retry(stop_after_attempt=2)
    out = S2AChatModel(model=bound, variant="split").invoke(OPINION)
    rewrite = out.response_metadata["s2a"]
    assert rewrite["fallback"] is False and rewrite["question"] == OPINION.split("? ")[0] + "?"
    rewrite_kwargs, answer_kwargs = llm.bound
    assert "tools" not in rewrite_kwargs and "tool_choice" not in rewrite_kwargs
    assert answer_kwargs["tool_choice"] == "any" and out.tool_calls  # the answer keeps them
    if wrap == "bind_tools_then_bind":
        assert rewrite_kwargs["temperature"] == 0  # other bound parameters stay


@pytest.mark.parametrize("shell", ["chain", "graph"])
def test_the_chain_and_the_graph_rewrite_without_the_answer_models_tools(shell: str) -> None:
    llm = ObedientToolFake(respond=scripted(CLEAN, "Canberra."))
    bound = llm.bind_tools([convert_to_openai_tool(Capital)], tool_choice="any")
    if shell == "chain":
        rewrite = create_s2a_chain(bound, variant="split").invoke(OPINION).rewrite.model_dump()
    else:
        rewrite = build_s2a_graph(bound, variant="split").invoke({"input": OPINION})["rewrite"]
    assert rewrite["fallback"] is False
    assert "tools" not in llm.bound[0] and llm.bound[1]["tool_choice"] == "any"


def _down(messages: list[BaseMessage]) -> BaseException:
    return RuntimeError("rewriter provider is down")


def test_a_failing_rewriter_fails_the_call_by_default() -> None:
    model = S2AChatModel(model=FakeChat(respond=biased), rewriter_model=FakeChat(respond=_down))
    with pytest.raises(RuntimeError, match="provider is down"):
        model.invoke(OPINION)


@pytest.mark.parametrize("how", ["invoke", "ainvoke", "stream"])
async def test_on_error_original_sends_the_turn_unchanged(
    how: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 23 item 12: S2AChatModel had no on_error (S2AMiddleware has)."""
    answerer = FakeChat(respond=biased)
    model = S2AChatModel(
        model=answerer, rewriter_model=FakeChat(respond=_down), on_error="original", max_attempts=1
    )
    if how == "invoke":
        out = model.invoke(OPINION)
    elif how == "ainvoke":
        out = await model.ainvoke(OPINION)
    else:
        chunks = list(model.stream(OPINION))
        out = sum(chunks[1:], chunks[0])
    assert out.text == "Sydney"  # the wrapped model answered the turn as sent
    assert answerer.calls[0].messages[-1].text == OPINION
    assert out.response_metadata["s2a"] is None
    assert out.response_metadata["s2a_error"] == "RuntimeError: rewriter provider is down"
    assert "S2A left the turn unchanged" in caplog.text


def test_on_error_original_keeps_on_failure_raise_and_refuses_bad_values() -> None:
    model = S2AChatModel(
        model=FakeChat(respond=biased), rewriter_model=fake("Sure!"), on_error="original"
    )
    strict = model.model_copy(
        update={
            "chain": create_s2a_chain(
                FakeChat(respond=biased), rewriter_model=fake("Sure!"), on_failure="raise"
            )
        }
    )
    with pytest.raises(S2ARewriteError):
        strict.invoke(OPINION)
    with pytest.raises(ValueError, match="on_error"):
        S2AChatModel(model=FakeChat(respond=biased), on_error="ignore")
