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

# %%
import os
from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable
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
message = (prompt | s2a).invoke({"question": question})
print("answer:", message.text)
print("the model saw:", message.response_metadata["s2a"]["question"])
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
tokens = list((prompt | s2a | StrOutputParser()).stream({"question": question}))
print("streamed:", tokens)
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
