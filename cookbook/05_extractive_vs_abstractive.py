# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 5. Extractive vs abstractive rewrites
#
# The paper's rewrite (`variant="split"`) regenerates the kept context token by token: it
# costs output tokens in proportion to the context, and a weak model may alter facts.
# `variant="extractive"` numbers the input's sentences and asks only for the numbers to
# keep (`Keep: 1, 3` / `Question: 4`); the rewrite is assembled **verbatim**, with the kept
# sentence ids and character spans as provenance.
#
# Offline by default with scripted replies; set `S2A_COOKBOOK_MODEL=local:0.5b` to compare
# for real (output tokens and latency are then measured, not scripted).
# The outputs saved in the notebook come from the embedded 1.5B model (`local`); `cookbook/README.md`
# names the command that regenerates them.

# %%
import os

from langchain_core.language_models import GenericFakeChatModel

from langchain_s2a import S2ARewriter, resolve_chat_model

MODEL = os.environ.get("S2A_COOKBOOK_MODEL")
problem = (
    "Mary has 5 books. Max has 1000 more books than Mary's cousin. "
    "Mary buys 3 more books. How many books does Mary have now?"
)
SCRIPTED = {
    "split": "Context: Mary has 5 books. Mary buys 3 more books.\n"
    "Question: How many books does Mary have now?",
    "extractive": "Keep: 1, 3\nQuestion: 4",
}

# %%
rewrites = {}
for variant in ("split", "extractive"):
    model = (
        resolve_chat_model(MODEL)
        if MODEL
        else GenericFakeChatModel(messages=iter([SCRIPTED[variant]]))
    )
    rewrites[variant] = S2ARewriter(model, preset="relevance", variant=variant).invoke(problem)

for variant, rewrite in rewrites.items():
    tokens = (rewrite.usage or {}).get("output_tokens", "n/a")
    print(f"--- {variant}: {tokens} output tokens, {rewrite.latency_s:.2f} s")
    print(rewrite.text)

# %% [markdown]
# ## Provenance
#
# The extractive rewrite says exactly which sentences it kept, and where they are.

# %%
extractive = rewrites["extractive"]
print("kept ids:", extractive.kept_ids, "question id:", extractive.question_id)
for start, end in extractive.kept_spans or []:
    print(f"  [{start}:{end}] {problem[start:end]!r}")
if not MODEL:
    assert extractive.kept_ids == [1, 3] and extractive.question_id == 4
    assert all(problem[a:b] in extractive.context for a, b in extractive.kept_spans or [])
