# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 4. The S2A graph: checkpoints, streaming, and use as a subgraph
#
# `build_s2a_graph` is a compiled LangGraph graph: `rewrite → (append_original) → answer`,
# with a retry loop when a rewrite is unusable (or drops a needed fact). Offline by default; set
# `S2A_COOKBOOK_MODEL=local:0.5b` for the embedded model.
# The outputs saved in the notebook come from the embedded 1.5B model (`local`); `cookbook/README.md`
# names the command that regenerates them.

# %%
import os
import time
from typing import Any

from langchain_core.language_models import GenericFakeChatModel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from langchain_s2a import build_s2a_graph, resolve_chat_model

MODEL = os.environ.get("S2A_COOKBOOK_MODEL")


def model() -> Any:
    if MODEL:
        return resolve_chat_model(MODEL)
    return GenericFakeChatModel(
        messages=iter(
            [
                # the relevance preset keeps the opening sentence and judges the others;
                # dropping "Tom buys 2 more." too loses a fact, so the rules reject it
                # and the graph retries once, asking for the sentence numbers in one reply
                "no",
                "no",
                "Keep: 1, 3\nQuestion: 4",
                "Tom has 5 apples.",
            ]
        )
    )


problem = (
    "Tom has 3 apples. Tom's sister is 12 years old. Tom buys 2 more. "
    "How many apples does Tom have?"
)

# %% [markdown]
# ## Streaming with a checkpointer
#
# `updates` shows each node, `custom` carries the rewrite, `messages` the answer's
# tokens (the rewrite model's tokens are kept out).

# %%
graph = build_s2a_graph(model(), preset="relevance", checkpointer=InMemorySaver())
config: Any = {"configurable": {"thread_id": "cookbook"}}
tokens = []
started = time.perf_counter()
for mode, data in graph.stream(
    {"input": problem}, config, stream_mode=["updates", "custom", "messages"]
):
    if mode == "updates":
        print("node:", next(iter(data)))
    elif mode == "custom":
        rewrite = data["s2a_rewrite"]
        print(f"rewrite #{rewrite['attempts']}:", rewrite["fallback_reason"] or rewrite["context"])
    else:
        tokens.append(data[0].text)
print("answer:", "".join(tokens))
print(f"({time.perf_counter() - started:.1f} s)")

# %% [markdown]
# The checkpointer keeps the run: its final state and every step.

# %%
state = graph.get_state(config)
print(state.values["answer"], "after", state.values["rewrite"]["attempts"], "rewrite attempt(s)")
print([step.next for step in graph.get_state_history(config)])
if not MODEL:
    assert state.values["rewrite"]["attempts"] == 2
    assert "sister" not in state.values["rewrite"]["context"]

# %% [markdown]
# ## As a node of a larger graph
#
# A compiled graph is a node like any other; keys it shares with the parent (`input`,
# `answer`, `rewrite`) flow in and out. Stream with `subgraphs=True` to see inside.


# %%
class Pipeline(TypedDict, total=False):
    question: str
    input: str
    answer: str
    rewrite: dict[str, Any]


builder = StateGraph(Pipeline)
builder.add_node("prepare", lambda s: {"input": s["question"].strip()})
builder.add_node("s2a", build_s2a_graph(model(), preset="relevance"))
builder.add_edge(START, "prepare")
builder.add_edge("prepare", "s2a")
builder.add_edge("s2a", END)
pipeline = builder.compile()
for namespace, data in pipeline.stream(
    {"question": problem}, stream_mode="updates", subgraphs=True
):
    print(namespace or "(parent)", list(data))
