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
# sentence ids and character spans as provenance. For the `relevance` preset the default
# (`judge_sentences="auto"`) picks those sentences by one short yes/no judgement per
# sentence over the shared text instead of one reply listing them: a small model lists
# every sentence, distractor included, far more often than it says "yes" to the distractor
# on its own (GSM-IC report split, 1.5B model: distractor removed in 83% of the rewrites
# used, against 58%; `docs/results/report-gsm-ic-judged/`). Any one problem can go either
# way: in the saved outputs below the embedded model's one reply drops Max's books and its
# judgements keep them.
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
    "split": [
        "Context: Mary has 5 books. Mary buys 3 more books.\n"
        "Question: How many books does Mary have now?"
    ],
    "extractive, one reply": ["Keep: 1, 3\nQuestion: 4"],
    "extractive, judged": ["no", "yes"],  # sentences 2 and 3 (1 is kept without asking)
}
OPTIONS = {
    "split": {"variant": "split"},
    "extractive, one reply": {"variant": "extractive", "judge_sentences": False},
    "extractive, judged": {"variant": "extractive"},  # the relevance default
}

# %%
rewrites = {}
for name, options in OPTIONS.items():
    model = (
        resolve_chat_model(MODEL) if MODEL else GenericFakeChatModel(messages=iter(SCRIPTED[name]))
    )
    rewrites[name] = S2ARewriter(model, preset="relevance", **options).invoke(problem)

for name, rewrite in rewrites.items():
    tokens = (rewrite.usage or {}).get("output_tokens", "n/a")
    print(f"--- {name}: {tokens} output tokens, {rewrite.latency_s:.2f} s")
    print(rewrite.text)

# %% [markdown]
# ## Provenance
#
# The extractive rewrite says exactly which sentences it kept, and where they are.

# %%
extractive = rewrites["extractive, judged"]
print(extractive.raw)
print("kept ids:", extractive.kept_ids, "question id:", extractive.question_id)
for start, end in extractive.kept_spans or []:
    print(f"  [{start}:{end}] {problem[start:end]!r}")
if not MODEL:
    assert extractive.kept_ids == [1, 3] and extractive.question_id == 4
    assert all(problem[a:b] in extractive.context for a, b in extractive.kept_spans or [])
