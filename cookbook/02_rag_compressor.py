# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. RAG: clean retrieved documents with S2A
#
# Retrieved passages bring distractors along. `S2ADocumentCompressor` numbers their
# sentences, asks the model which ones the question needs (`Keep: 1, 4`), and rebuilds
# each document **verbatim** from those sentences, with provenance in `metadata["s2a"]`.
# All documents that fit the budget share one model call.
#
# Offline by default: a deterministic fake embedding and a scripted selector that keeps
# sentences mentioning the capital. Set `S2A_COOKBOOK_MODEL=local:0.5b` for a real model.
# The outputs saved in the notebook come from the embedded 1.5B model (`local`); `cookbook/README.md`
# names the command that regenerates them.

# %%
import os
import re
import time

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_s2a import resolve_chat_model
from langchain_s2a.rag import S2ADocumentCompressor, create_s2a_document_cleaner

MODEL = os.environ.get("S2A_COOKBOOK_MODEL")


def scripted_selector(messages: list[BaseMessage]) -> AIMessage:
    """Stand-in for a model: keep the numbered sentences that name a "capital of"."""
    if "\nDocument: " in messages[-1].text:  # a per-document judgement (mode="judge")
        return AIMessage(
            "yes" if "capital of" in messages[-1].text.split("\nDocument: ")[1] else "no"
        )
    numbered = re.findall(r"^\[(\d+)\] (.*)$", messages[-1].text, re.M)
    keep = [n for n, sentence in numbered if "capital of" in sentence]
    return AIMessage("Keep: " + (", ".join(keep) or "none"))


def scripted_answer(value: object) -> AIMessage:
    return AIMessage("Canberra.")


selector = resolve_chat_model(MODEL) if MODEL else RunnableLambda(scripted_selector)
answerer = resolve_chat_model(MODEL) if MODEL else RunnableLambda(scripted_answer)

# %% [markdown]
# ## An in-memory vector store

# %%
docs = [
    Document(
        "Canberra is the capital of Australia. Sydney is its largest city.",
        metadata={"source": "atlas"},
    ),
    Document(
        "Sydney hosted the 2000 Olympics. Many visitors think Sydney is the capital.",
        metadata={"source": "travel-blog"},
    ),
    Document("Koalas sleep up to 20 hours a day.", metadata={"source": "zoo"}),
]
store = InMemoryVectorStore(DeterministicFakeEmbedding(size=32))
store.add_documents(docs)
retriever = store.as_retriever(search_kwargs={"k": 3})
question = "What is the capital of Australia?"

# %% [markdown]
# ## The compressor
#
# It works anywhere a `BaseDocumentCompressor` does, e.g. in `langchain-classic`'s
# `ContextualCompressionRetriever`.

# %%
compressor = S2ADocumentCompressor(selector)
started = time.perf_counter()
for doc in compressor.compress_documents(retriever.invoke(question), question):
    print(doc.metadata["source"], "|", doc.page_content, "|", doc.metadata["s2a"]["kept_spans"])
print(f"({time.perf_counter() - started:.1f} s)")

# %% [markdown]
# ## One short judgement per document: `mode="judge"`
#
# With `mode="judge"` the compressor asks about each document on its own: the
# instructions and the question come first, so every call shares them as a prompt
# prefix (the embedded model reads them once) and reads only its document, then
# replies `yes` or `no` (one token, constrained by a grammar on the embedded model).
# Documents are kept whole. On the embedded model the score is P(yes) from the first
# token's log-probabilities; documents scoring `judge_threshold` or more are kept,
# and the best-scored one always is, so the result is never empty.

# %%
judge = S2ADocumentCompressor(selector, mode="judge")
started = time.perf_counter()
for doc in judge.compress_documents(retriever.invoke(question), question):
    print(doc.metadata["source"], "| score", doc.metadata["s2a"]["score"], "|", doc.page_content)
print(f"({time.perf_counter() - started:.1f} s)")

# %% [markdown]
# ## In an LCEL RAG chain
#
# `create_s2a_document_cleaner` takes `{"question", "documents"}` and returns the cleaned
# documents. Unlike `ContextualCompressionRetriever`, the run's whole config (tags,
# callbacks, `max_concurrency`) reaches the model calls.

# %%
prompt = ChatPromptTemplate.from_template(
    "Answer from the context.\n\nContext:\n{context}\n\nQuestion: {question}"
)
rag = (
    {"documents": retriever, "question": RunnablePassthrough()}
    | RunnablePassthrough.assign(documents=create_s2a_document_cleaner(selector))
    | RunnablePassthrough.assign(
        context=lambda x: "\n".join(d.page_content for d in x["documents"])
    )
    | prompt
    | answerer
    | StrOutputParser()
)
started = time.perf_counter()
answer = rag.invoke(question, {"tags": ["cookbook-rag"]})
print(answer)
print(f"({time.perf_counter() - started:.1f} s)")
if not MODEL:
    assert answer == "Canberra."

# %% [markdown]
# ## Measured: which cleaner makes the model answer better, at what cost
#
# `s2a eval --task nq-docs` / `--task rgb` run every cleaner in front of one answer prompt
# on public RAG benchmarks (commands and the full write-up:
# `docs/results/rag-commands.sh`, `docs/rag-evaluation.md`). This cell prints the committed
# report of the embedded 1.5B model on NQ-open with 10 documents (report split).

# %%
import json
from pathlib import Path

report = Path("docs/results/rag-nq/results.json")
if not report.exists():  # run from cookbook/
    report = Path("..") / report
summary = json.loads(report.read_text())["summary"]
for row in summary:
    low, high = row["accuracy_ci"]
    gold = "–" if row["gold_kept"] is None else f"{100 * row['gold_kept']:.0f}%"
    print(
        f"{row['condition']:<15} n={row['n']:<3} accuracy {100 * row['accuracy']:5.1f}% "
        f"[{100 * low:.1f}, {100 * high:.1f}]  gold kept {gold:>5}  "
        f"compress {row['compress_s'] or 0:5.1f} s"
    )
