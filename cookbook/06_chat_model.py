# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 6. S2A in front of any chat model: `S2AChatModel`
#
# `S2AChatModel(model=llm)` is a chat model. It rewrites the last human turn with S2A,
# then returns `llm`'s own message, with the rewrite at `response_metadata["s2a"]`. So it
# drops in wherever `llm` already sits: an LCEL chain, or the model of `create_agent`,
# tool calls included.
#
# Offline by default with scripted models. Set `S2A_COOKBOOK_MODEL=local:0.5b` for a real
# one (the tool-calling part then stays scripted: the embedded models do not call tools).
# The outputs saved in the notebook come from the embedded 1.5B model (`local`); `cookbook/README.md`
# names the command that regenerates them.

# %%
import os
import time
from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import tool

from langchain_s2a import S2AChatModel, resolve_chat_model

MODEL = os.environ.get("S2A_COOKBOOK_MODEL")
REWRITE = "Context: none\nQuestion: What is the capital of Australia?"
question = "What is the capital of Australia? I'm fairly sure it's Sydney, right?"


def real_model() -> BaseChatModel:
    model = resolve_chat_model(MODEL)
    assert isinstance(model, BaseChatModel)
    return model


def scripted(*replies: str | AIMessage) -> GenericFakeChatModel:
    """A stand-in chat model that gives ``replies`` in order."""
    return GenericFakeChatModel(messages=iter(replies))


# %% [markdown]
# ## In an LCEL chain
#
# The prompt's system message passes as it is; the human turn is rewritten before the
# model sees it. The parser after the model receives an ordinary `AIMessage`.

# %%
if MODEL:
    s2a = S2AChatModel(model=real_model())
else:
    s2a = S2AChatModel(model=scripted("Canberra."), rewriter_model=scripted(REWRITE))
prompt = ChatPromptTemplate.from_messages(
    [("system", "Answer in one short sentence."), ("human", "{question}")]
)
started = time.perf_counter()
message = (prompt | s2a).invoke({"question": question})
print("answer:", message.text)
print("the model saw:", message.response_metadata["s2a"]["question"])
print(f"({time.perf_counter() - started:.1f} s)")
if not MODEL:
    assert message.text == "Canberra."
    assert message.response_metadata["s2a"]["question"] == "What is the capital of Australia?"

# %% [markdown]
# With `StrOutputParser` the chain returns the answer text, and `stream` yields the
# model's own tokens (the rewrite's tokens never appear in the stream):

# %%
if MODEL:
    s2a = S2AChatModel(model=real_model())
else:
    s2a = S2AChatModel(model=scripted("Canberra is the capital."), rewriter_model=scripted(REWRITE))
started = time.perf_counter()
tokens = list((prompt | s2a | StrOutputParser()).stream({"question": question}))
print("streamed:", tokens)
print(f"({time.perf_counter() - started:.1f} s)")
if not MODEL:
    assert "".join(tokens) == "Canberra is the capital."

# %% [markdown]
# ## As the model of `create_agent`, with a tool
#
# `bind_tools` binds on the wrapped model and keeps S2A in front, so every model call of
# the agent sees the rewritten question, never the user's guess. The scripted agent model
# below calls the tool once, then answers.


# %%
class ScriptedToolModel(GenericFakeChatModel):
    """A scripted model that accepts tools (a real one would send them to its API)."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, Any]:
        return self


@tool
def population(city: str) -> str:
    """Look up the population of a city."""
    return {"Canberra": "about 470,000"}.get(city, "unknown")


call = {"name": "population", "args": {"city": "Canberra"}, "id": "call-1"}
agent_model = ScriptedToolModel(
    messages=iter([AIMessage("", tool_calls=[call]), AIMessage("Canberra; about 470,000 people.")])
)
rewriter = scripted(
    "Context: none\nQuestion: What is the capital of Australia, and how many people live there?",
    "Context: none\nQuestion: What is the capital of Australia, and how many people live there?",
)
agent = create_agent(S2AChatModel(model=agent_model, rewriter_model=rewriter), tools=[population])
state = agent.invoke(
    {
        "messages": [
            HumanMessage(
                "What is the capital of Australia, and how many people live there? "
                "My teacher said Sydney."
            )
        ]
    }
)
for m in state["messages"]:
    kind = type(m).__name__
    print(f"{kind:>12}:", m.text or getattr(m, "tool_calls", None))
tool_result = next(m for m in state["messages"] if isinstance(m, ToolMessage))
assert tool_result.text == "about 470,000"
assert state["messages"][-1].text == "Canberra; about 470,000 people."
print("rewrite of the last call:", state["messages"][-1].response_metadata["s2a"]["question"])

# %% [markdown]
# ## The messages graph, driven through the LangGraph SDK
#
# `build_s2a_graph` speaks messages as well: given `{"messages": [...]}` it rewrites the
# last human turn for the answer model, which sees the whole conversation, and appends the
# answer to `messages`; the user's turn stays as it was sent. That is the shape every
# LangGraph chat UI, SDK client and `MessagesState` parent graph sends. Serve the graph
# with `langgraph dev` (the repository's `langgraph.json` serves `graphs/s2a.py` as
# `"s2a"`) and set `S2A_COOKBOOK_SERVER=http://127.0.0.1:2024` to hold the two-turn chat
# below with that server through `langgraph_sdk`. Offline, the same two turns run on the
# graph in-process on a checkpointed thread, as the server runs them.

# %%
from langchain_core.callbacks import BaseCallbackHandler
from langgraph.checkpoint.memory import InMemorySaver

from langchain_s2a import build_s2a_graph

SERVER = os.environ.get("S2A_COOKBOOK_SERVER")
values: dict[str, Any]  # the thread's state after the two turns
turns = [question, "How many people live there? My teacher said five million."]


class AnswerPrompts(BaseCallbackHandler):
    """Records what the answer model receives (its run is named ``s2a_answer``)."""

    def __init__(self) -> None:
        self.prompts: list[list[str]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        if kwargs.get("name") == "s2a_answer":
            self.prompts.append([m.type for m in messages[0]])


started = time.perf_counter()
if SERVER:
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=SERVER)
    thread_id = client.threads.create()["thread_id"]
    for text in turns:
        client.runs.wait(thread_id, "s2a", input={"messages": [{"role": "user", "content": text}]})
    values = dict(client.threads.get_state(thread_id)["values"])  # type: ignore[arg-type]
    conversation = [(m["type"], m["content"]) for m in values["messages"]]
else:
    chat_model = real_model() if MODEL else scripted(
        "Keep: none\nQuestion: 1", "Canberra.",  # turn 1: rewrite, answer
        "Keep: none\nQuestion: 1", "About 470,000 people.",  # turn 2
    )  # fmt: skip
    graph = build_s2a_graph(chat_model, checkpointer=InMemorySaver())
    seen = AnswerPrompts()
    config: RunnableConfig = {"configurable": {"thread_id": "cookbook"}, "callbacks": [seen]}
    for text in turns:
        graph.invoke({"messages": [{"role": "user", "content": text}]}, config)
    values = graph.get_state(config).values
    conversation = [(m.type, m.text) for m in values["messages"]]
    print("the answer model received:", seen.prompts)
    assert seen.prompts == [["human"], ["human", "ai", "human"]]  # turn 2 sees turn 1
for kind, content in conversation:
    print(f"{kind:>6}: {content}")
print("last rewrite:", values["rewrite"]["question"])
print(f"({time.perf_counter() - started:.1f} s)")
assert [kind for kind, _ in conversation] == ["human", "ai", "human", "ai"]
assert [content for kind, content in conversation if kind == "human"] == turns  # as sent
if not (MODEL or SERVER):
    assert conversation[-1] == ("ai", "About 470,000 people.")
    assert values["rewrite"]["question"] == "How many people live there?"
