"""One test per integration (RAG, LCEL cleaner, agent middleware, tool, conversation,
subgraph) with the real embedded 0.5B model. Kept small: CI has 2 cores.

A 0.5B model's choices vary, so these tests check the contracts that must hold
whatever it says: nothing is lost, provenance is consistent, kept text is verbatim.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from langchain_s2a.errors import LocalModelNotInstalledError
from langchain_s2a.models._weights import ensure_model_file

pytestmark = pytest.mark.local_model

QUESTION = "What is the capital of Australia?"
OPINION = "What is the capital of Australia? I think it is Sydney, but I'm really not sure."
DOCS = [
    Document(
        "Canberra is the capital of Australia. Koalas sleep most of the day.",
        metadata={"source": "a"},
    ),
    Document("Sydney hosted the 2000 Olympics. Sydney has a famous opera house."),
]


@pytest.fixture(scope="module")
def model() -> Any:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")
    from langchain_s2a.models.llama import load_local_chat_model

    try:
        ensure_model_file("0.5b")
    except LocalModelNotInstalledError as exc:
        pytest.skip(f"model 0.5b not installed: {exc}")
    return load_local_chat_model("0.5b", max_tokens=48).load()


def _check_documents(out: list[Document], originals: list[Document]) -> None:
    assert out, "fail-open: never an empty list by default"
    for doc in out:
        meta = doc.metadata["s2a"]
        if meta["fallback"]:
            assert doc.page_content in {d.page_content for d in originals}
            continue
        # kept text is made of the recorded spans of one original, verbatim
        assert any(
            meta["kept_spans"]
            and all(d.page_content[a:b] in doc.page_content for a, b in meta["kept_spans"])
            and sum(b - a for a, b in meta["kept_spans"]) <= len(doc.page_content)
            for d in originals
        )


def test_compressor_with_real_model(model: Any) -> None:
    from langchain_s2a.rag import S2ADocumentCompressor

    out = list(S2ADocumentCompressor(model).compress_documents(DOCS, QUESTION))
    _check_documents(out, DOCS)


async def test_lcel_cleaner_with_real_model_async(model: Any) -> None:
    from langchain_s2a.rag import create_s2a_document_cleaner

    retriever: RunnableLambda[str, list[Document]] = RunnableLambda(lambda q: DOCS)
    chain = {"documents": retriever, "question": RunnablePassthrough()} | (
        create_s2a_document_cleaner(model)
    )
    out = await chain.ainvoke(QUESTION, {"tags": ["integration"]})
    _check_documents(out, DOCS)


def test_agent_middleware_with_real_model(model: Any) -> None:
    from langchain.agents import create_agent

    from langchain_s2a.agents import S2AMiddleware

    agent = create_agent(model, middleware=[S2AMiddleware(model)])
    custom = []
    final: dict[str, Any] = {}
    for mode, data in agent.stream(
        {"messages": [HumanMessage(OPINION)]}, stream_mode=["custom", "values"]
    ):
        if mode == "custom":
            custom.append(data)
        else:
            final = data
    assert final["messages"][0].text == OPINION  # the original stays in the state
    assert isinstance(final["messages"][-1], AIMessage) and final["messages"][-1].text.strip()
    (record,) = final["s2a_rewrites"].values()
    assert custom and custom[0]["s2a_rewrite"]["text"] == record["text"]
    if not record["rewrite"]["fallback"]:
        assert "?" in record["rewrite"]["question"]


def test_s2a_tool_with_real_model(model: Any) -> None:
    from langchain_s2a.agents import NOTHING_RELEVANT, S2ATool

    passage = "Canberra is the capital of Australia. My uncle thinks Sydney is nicer."
    out = S2ATool(model).invoke({"passage": passage, "question": QUESTION})
    first, second = "Canberra is the capital of Australia.", "My uncle thinks Sydney is nicer."
    assert out in {passage, NOTHING_RELEVANT, first, second}


def test_conversation_chain_with_real_model(model: Any) -> None:
    from langchain_s2a.conversation import create_s2a_conversation_chain

    result = create_s2a_conversation_chain(model).invoke(
        [
            HumanMessage("My sister Ana is 7 years old."),
            AIMessage("Noted."),
            HumanMessage("I bet she is 9. How old is my sister Ana?"),
        ]
    )
    assert result.answer.strip()
    assert "Ana is 7" in result.rewrite.original  # the whole conversation was rewritten
    if not result.rewrite.fallback:
        assert "Ana" in result.rewrite.question


def test_graph_as_subgraph_with_real_model(model: Any) -> None:
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    from langchain_s2a import build_s2a_graph

    class Pipeline(TypedDict, total=False):
        input: str
        answer: str
        rewrite: dict[str, Any]

    builder = StateGraph(Pipeline)
    builder.add_node("s2a", build_s2a_graph(model, max_retries=0))
    builder.add_edge(START, "s2a")
    builder.add_edge("s2a", END)
    namespaces = set()
    for ns, _mode, _data in builder.compile().stream(
        {"input": OPINION}, stream_mode=["updates", "custom"], subgraphs=True
    ):
        namespaces.add(ns[0].split(":")[0] if ns else "")
    assert namespaces == {"", "s2a"}
