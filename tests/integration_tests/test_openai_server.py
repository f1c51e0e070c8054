"""S2A over the OpenAI API: ``ChatOpenAI(base_url=...)`` against a real local server.

The fixture serves the embedded 0.5B model with ``llama-cpp-python``'s OpenAI-compatible
server on a free loopback port. The same client code reaches vLLM, Ollama, LM Studio
or OpenAI itself (see ``docs/servers.md``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from langchain_s2a import S2AResult, build_s2a_graph, create_s2a_chain
from tests.integration_tests.servers import (
    OPENAI_MODEL_ALIAS,
    ServerProcess,
    llama_server_fixture,  # noqa: F401 - registers the llama_server fixture
)

pytestmark = [pytest.mark.servers, pytest.mark.local_model]

QUESTION = "Who wrote Hamlet? I think it was Marlowe, but I'm not sure."
QUESTIONS = [
    QUESTION,
    "What is the capital of France? My friend says Lyon.",
]


def _chat(server: ServerProcess, max_tokens: int) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=OPENAI_MODEL_ALIAS,
        base_url=f"{server.url}/v1",
        api_key="none",  # type: ignore[arg-type]
        temperature=0,
        max_tokens=max_tokens,  # type: ignore[call-arg]
        timeout=120,
        max_retries=1,
    )


def _models(server: ServerProcess) -> dict[str, Any]:
    # A cheap rewriter budget and a short answer keep each run to a few seconds on CPU.
    # llama-cpp-python's server has no json_schema response_format, so the rewrite
    # uses the text protocol (structured_output=False); vLLM, Ollama, LM Studio and
    # OpenAI accept the default ("auto").
    return {
        "model": _chat(server, max_tokens=48),
        "rewriter_model": _chat(server, max_tokens=128),
        "structured_output": False,
    }


def _check(result: S2AResult, question: str) -> None:
    assert result.answer.strip()
    assert result.rewrite.original == question
    assert result.message.response_metadata.get("model_name") == OPENAI_MODEL_ALIAS


def test_chain_invoke_and_stream_through_openai_api(llama_server: ServerProcess) -> None:
    chain = create_s2a_chain(**_models(llama_server))

    started = time.perf_counter()
    result = chain.invoke(QUESTION)
    llama_server.timings["chain_invoke"] = time.perf_counter() - started
    _check(result, QUESTION)
    assert not result.rewrite.fallback, result.rewrite
    assert "Marlowe" not in result.rewrite.question
    assert "Hamlet" in result.rewrite.question

    chunks = list(chain.stream(QUESTION))
    assert chunks[0].rewrite is not None and not chunks[0].answer
    answer_chunks = [c for c in chunks[1:] if c.answer]
    assert len(answer_chunks) >= 2, "the answer arrives token by token"
    streamed = sum(chunks[1:], chunks[0]).to_result()
    _check(streamed, QUESTION)
    assert streamed.answer == "".join(c.answer for c in chunks)


# langchain-openai caches its async HTTP client per base URL; its pooled connections
# belong to the event loop that opened them, so the async tests share one loop.
@pytest.mark.asyncio(loop_scope="module")
async def test_chain_abatch_through_openai_api(llama_server: ServerProcess) -> None:
    chain = create_s2a_chain(**_models(llama_server))
    started = time.perf_counter()
    results = await chain.abatch(QUESTIONS)
    llama_server.timings["chain_abatch_2"] = time.perf_counter() - started
    assert len(results) == len(QUESTIONS)
    for result, question in zip(results, QUESTIONS, strict=True):
        _check(result, question)


@pytest.mark.asyncio(loop_scope="module")
async def test_graph_stream_and_abatch_through_openai_api(llama_server: ServerProcess) -> None:
    graph = build_s2a_graph(**_models(llama_server))

    started = time.perf_counter()
    out = await graph.ainvoke({"input": QUESTION})
    llama_server.timings["graph_ainvoke"] = time.perf_counter() - started
    assert out["answer"].strip() and out["rewrite"]["original"] == QUESTION

    order: list[str] = []
    tokens: list[str] = []
    final: dict[str, Any] = {}
    async for mode, data in graph.astream(
        {"input": QUESTION}, stream_mode=["updates", "messages", "custom"]
    ):
        if mode == "updates":
            order.extend(f"update:{node}" for node in data)
            final.update(*data.values())
        elif mode == "messages":
            chunk, metadata = data
            assert metadata["langgraph_node"] == "answer"  # rewrite tokens stay out
            if chunk.content:
                tokens.append(chunk.content)
                if order[-1:] != ["tokens"]:
                    order.append("tokens")
        elif mode == "custom":
            order.append("custom:s2a_rewrite")
            assert data["s2a_rewrite"]["original"] == QUESTION
    # The rewrite (custom event, then update; repeated if a rewrite was retried) comes
    # first, then the answer's tokens, then the answer update.
    assert order[-2:] == ["tokens", "update:answer"]
    assert order[:2] == ["custom:s2a_rewrite", "update:rewrite"]
    assert set(order[:-2]) == {"custom:s2a_rewrite", "update:rewrite"}
    assert final["answer"] == "".join(tokens)

    outs = await graph.abatch([{"input": q} for q in QUESTIONS])
    assert [o["rewrite"]["original"] for o in outs] == QUESTIONS
    assert all(o["answer"].strip() for o in outs)
