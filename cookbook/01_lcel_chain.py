# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 1. S2A as an LCEL chain
#
# System 2 Attention answers in two model calls: the model first **rewrites** the input,
# keeping only neutral context and the question, then **answers** from the rewrite alone.
# This notebook runs offline with a scripted stand-in model. Set
# `S2A_COOKBOOK_MODEL=local:0.5b` (or any `init_chat_model` name) to use a real model.
# The outputs saved in the notebook come from the embedded 1.5B model (`local`); `cookbook/README.md`
# names the command that regenerates them.

# %%
import os

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.runnables import RunnableLambda

from langchain_s2a import create_s2a_chain, resolve_chat_model

MODEL = os.environ.get("S2A_COOKBOOK_MODEL")
SCRIPTED = [
    "Context: none\nQuestion: Which theory states that people tend to rise to their own level of incompetence?",
    "The Peter Principle.",
]
model = resolve_chat_model(MODEL) if MODEL else GenericFakeChatModel(messages=iter(SCRIPTED))

# %% [markdown]
# ## Rewrite, then answer

# %%
chain = create_s2a_chain(model)
text = (
    "Which theory states that 'people tend to rise to their own level of incompetence'? "
    "I think the answer is The Jones Theory but I'm really not sure."
)
result = chain.invoke(text)
print("rewrite:", result.rewrite.text)
print("answer: ", result.answer)
print(
    f"took {result.rewrite.latency_s or 0:.1f} s to rewrite, {result.answer_latency_s or 0:.1f} s to answer"
)
if not MODEL:
    assert "Jones" not in result.rewrite.text and result.answer == "The Peter Principle."

# %% [markdown]
# ## Compose it like any Runnable
#
# The chain outputs an `S2AResult`; pipe it on, e.g. to keep just the answer text.
# Tags, callbacks and `max_concurrency` in the config reach both model calls.

# %%
if not MODEL:
    model = GenericFakeChatModel(messages=iter(SCRIPTED))
answer_only = create_s2a_chain(model) | RunnableLambda(lambda r: r.answer)
print(answer_only.invoke(text, {"tags": ["cookbook"]}))

# %% [markdown]
# ## Streaming
#
# The first chunk carries the rewrite; the answer's tokens follow.

# %%
if not MODEL:
    model = GenericFakeChatModel(messages=iter(SCRIPTED))
chunks = list(create_s2a_chain(model).stream(text))
print("rewritten question:", chunks[0].rewrite.question if chunks[0].rewrite else None)
print("streamed answer:", "".join(c.answer for c in chunks))
