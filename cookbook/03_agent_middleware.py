# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 3. An agent that reasons over the S2A rewrite
#
# `S2AMiddleware` plugs into LangChain's `create_agent`. Before each model call it
# rewrites the newest user turn (optionally earlier turns, and long tool results), so the
# agent never sees the user's planted opinion. The original stays in the state; the
# rewrite is recorded under `s2a_rewrites` and sent on the custom stream.
#
# Offline by default with scripted models. Set `S2A_COOKBOOK_MODEL=local:0.5b` for a real one.
# The outputs saved in the notebook come from the embedded 1.5B model (`local`); `cookbook/README.md`
# names the command that regenerates them.

# %%
import os
import time

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import HumanMessage

from langchain_s2a import resolve_chat_model
from langchain_s2a.agents import S2AMiddleware, S2ATool

MODEL = os.environ.get("S2A_COOKBOOK_MODEL")


def agent_model() -> BaseChatModel:
    if MODEL:
        model = resolve_chat_model(MODEL)
        assert isinstance(model, BaseChatModel)
        return model
    return GenericFakeChatModel(messages=iter(["Canberra is the capital of Australia."]))


def rewriter_model() -> BaseChatModel:
    if MODEL:
        return agent_model()
    return GenericFakeChatModel(
        messages=iter(["Context: none\nQuestion: What is the capital of Australia?"])
    )


question = "What is the capital of Australia? I'm fairly sure it's Sydney, right?"

# %% [markdown]
# ## The middleware

# %%
agent = create_agent(agent_model(), middleware=[S2AMiddleware(rewriter_model())])
started = time.perf_counter()
for mode, data in agent.stream(
    {"messages": [HumanMessage(question)]}, stream_mode=["custom", "updates"]
):
    if mode == "custom":
        print("S2A rewrite:", data["s2a_rewrite"]["rewrite"]["question"])
    elif "model" in data:
        print("agent:", data["model"]["messages"][-1].text)
print(f"({time.perf_counter() - started:.1f} s)")

# %% [markdown]
# The final state still holds the user's original message next to the rewrite:

# %%
state = create_agent(agent_model(), middleware=[S2AMiddleware(rewriter_model())]).invoke(
    {"messages": [HumanMessage(question)]}
)
print("original:", state["messages"][0].text)
print("model saw:", next(iter(state["s2a_rewrites"].values()))["text"])
if not MODEL:
    assert state["messages"][0].text == question
    assert "Sydney" not in next(iter(state["s2a_rewrites"].values()))["text"]

# %% [markdown]
# ## The tool form
#
# `S2ATool` is a regular LangChain tool (`passage`, `question` → cleaned passage) that an
# agent may call on noisy text; it keeps relevant sentences word for word.

# %%
selector = resolve_chat_model(MODEL) if MODEL else GenericFakeChatModel(messages=iter(["Keep: 1"]))
started = time.perf_counter()
clean = S2ATool(selector).invoke(
    {
        "passage": "Canberra became the capital in 1913. My uncle says Sydney is better.",
        "question": "When did Canberra become the capital?",
    }
)
print(clean)
print(f"({time.perf_counter() - started:.1f} s)")
if not MODEL:
    assert clean == "Canberra became the capital in 1913."
