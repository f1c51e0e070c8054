"""The S2A graph behind the standard LangGraph server (``langgraph dev``), driven over HTTP.

The fixture starts ``langgraph dev`` (in-memory runtime) on a free loopback port with the
repository's ``langgraph.json``. The served graph's model is an embedded one
(``S2A_MODEL=local:0.5b``); one run picks the 135M model through the runtime context.
Tests talk to the server only through ``langgraph_sdk`` and ``RemoteGraph``, as a
user's application would.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration_tests.servers import (
    SERVED_MODEL,
    ServerProcess,
    langgraph_server_fixture,  # noqa: F401 - registers the langgraph_server fixture
    require_local_model,
)

pytestmark = [pytest.mark.servers, pytest.mark.local_model]

QUESTION = "Who wrote Hamlet? I think it was Marlowe, but I'm not sure."
MODEL_NAMES = {
    "local:135m": "smollm2-135m-instruct-q4_1",
    "local:0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m",
}


def _model_name(message: dict[str, Any]) -> str:
    return str(message.get("response_metadata", {}).get("model_name", ""))


async def test_sdk_thread_run_stream_and_state(langgraph_server: ServerProcess) -> None:
    from langgraph_sdk import get_client

    async with get_client(url=langgraph_server.url) as client:
        await _sdk_run(client, langgraph_server)


async def _sdk_run(client: Any, langgraph_server: ServerProcess) -> None:
    assistants = await client.assistants.search(graph_id="s2a")
    assert assistants, "langgraph.json must serve the 's2a' graph"
    schemas = await client.assistants.get_schemas(assistants[0]["assistant_id"])
    assert "input" in schemas["input_schema"]["properties"]
    assert {"answer", "rewrite", "message"} <= set(schemas["output_schema"]["properties"])
    assert "model" in schemas["context_schema"]["properties"]

    thread = await client.threads.create()
    order: list[str] = []
    tokens: list[str] = []
    token_nodes: set[str] = set()
    rewrite_update: dict[str, Any] | None = None
    custom_rewrite: dict[str, Any] | None = None
    started = time.perf_counter()
    async for part in client.runs.stream(
        thread["thread_id"],
        "s2a",
        input={"input": QUESTION},
        stream_mode=["updates", "messages-tuple", "custom"],
    ):
        if part.event == "updates":
            for node, update in part.data.items():
                order.append(f"update:{node}")
                if node == "rewrite":
                    rewrite_update = update["rewrite"]
        elif part.event == "messages":
            chunk, metadata = part.data
            token_nodes.add(metadata.get("langgraph_node", ""))
            if chunk.get("content"):
                tokens.append(chunk["content"])
                if not order or order[-1] != "tokens":
                    order.append("tokens")
        elif part.event == "custom":
            custom_rewrite = part.data["s2a_rewrite"]
        elif part.event == "error":  # pragma: no cover - shows the server's error
            pytest.fail(f"run failed: {part.data}")
    langgraph_server.timings["sdk_stream_run"] = time.perf_counter() - started

    # The rewrite arrives as an update (and a custom event) before any answer token;
    # the rewrite model's tokens never reach the messages stream.
    assert rewrite_update is not None and custom_rewrite is not None
    assert custom_rewrite["original"] == QUESTION == rewrite_update["original"]
    assert order[0] == "update:rewrite"
    assert "tokens" in order
    assert order.index("tokens") > order.index("update:rewrite")
    assert order[-1] == "update:answer"
    assert token_nodes == {"answer"}

    state = await client.threads.get_state(thread["thread_id"])
    values = state["values"]
    assert values["answer"].strip()
    assert values["answer"] == "".join(tokens)
    assert values["rewrite"]["original"] == QUESTION
    assert values["rewrite"]["attempts"] >= 1
    # The served default model is $S2A_MODEL, the embedded 135M model.
    assert _model_name(values["message"]) == MODEL_NAMES[SERVED_MODEL]
    assert state["next"] == []

    history = await client.threads.get_history(thread["thread_id"])
    assert any(h["next"] == ["answer"] for h in history), "rewrite step was checkpointed"

    # A blocking run on a fresh thread returns the output state.
    started = time.perf_counter()
    out = await client.runs.wait(None, "s2a", input={"input": QUESTION})
    langgraph_server.timings["sdk_wait_run"] = time.perf_counter() - started
    assert isinstance(out, dict) and out["answer"].strip()


def test_remote_graph_with_model_from_runtime_context(langgraph_server: ServerProcess) -> None:
    from langgraph.pregel.remote import RemoteGraph
    from langgraph_sdk import get_sync_client

    with get_sync_client(url=langgraph_server.url) as sync_client:
        remote = RemoteGraph("s2a", sync_client=sync_client)
        config = {"configurable": {"thread_id": sync_client.threads.create()["thread_id"]}}

        # Per-run model choice through the runtime context: the 135M embedded model.
        other = "local:135m"
        assert other != SERVED_MODEL
        require_local_model("135m")
        started = time.perf_counter()
        out = remote.invoke({"input": QUESTION}, config, context={"model": other})
        langgraph_server.timings["remote_graph_invoke_135m"] = time.perf_counter() - started
        assert out["answer"].strip()
        assert out["rewrite"]["original"] == QUESTION
        assert _model_name(out["message"]) == MODEL_NAMES[other]

        state = remote.get_state(config)
        assert state.values["answer"] == out["answer"]
        assert state.next == ()

        # Streaming through RemoteGraph (default model): rewrite update first, then tokens.
        seen: list[str] = []
        tokens: list[str] = []
        config = {"configurable": {"thread_id": sync_client.threads.create()["thread_id"]}}
        started = time.perf_counter()
        for part in remote.stream(
            {"input": QUESTION}, config, stream_mode=["updates", "messages"], version="v2"
        ):
            if part["type"] == "updates":
                seen.extend(f"update:{node}" for node in part["data"])
            elif part["type"] == "messages":
                chunk, metadata = part["data"]
                assert metadata["langgraph_node"] == "answer"
                tokens.append(chunk["content"])
                if seen[-1:] != ["tokens"]:
                    seen.append("tokens")
        langgraph_server.timings["remote_graph_stream"] = time.perf_counter() - started
        assert seen[0] == "update:rewrite"
        assert seen.index("tokens") > 0
        assert seen[-1] == "update:answer"
        assert remote.get_state(config).values["answer"] == "".join(tokens)


def _usage(message: dict[str, Any]) -> dict[str, int]:
    usage = message.get("usage_metadata") or {}
    return {k: int(usage.get(k, 0)) for k in ("input_tokens", "output_tokens")}


async def test_sdk_two_turn_messages_thread(langgraph_server: ServerProcess) -> None:
    """A chat UI's shape: ``{"messages": [...]}`` twice on one thread, the second sees the first."""
    from langgraph_sdk import get_client

    async with get_client(url=langgraph_server.url) as client:
        assistant = (await client.assistants.search(graph_id="s2a"))[0]
        schemas = await client.assistants.get_schemas(assistant["assistant_id"])
        assert {"input", "messages"} <= set(schemas["input_schema"]["properties"])
        assert "messages" in schemas["output_schema"]["properties"]

        thread = await client.threads.create()
        started = time.perf_counter()
        first = await client.runs.wait(
            thread["thread_id"], "s2a", input={"messages": [{"role": "user", "content": QUESTION}]}
        )
        assert isinstance(first, dict)
        assert [m["type"] for m in first["messages"]] == ["human", "ai"]
        assert first["messages"][0]["content"] == QUESTION  # the user's turn as sent
        assert first["messages"][1]["content"] == first["answer"] and first["answer"].strip()

        # The same question again: the answer model now also gets turn one.
        tokens: list[str] = []
        token_nodes: set[str] = set()
        async for part in client.runs.stream(
            thread["thread_id"],
            "s2a",
            input={"messages": [{"role": "user", "content": QUESTION}]},
            stream_mode=["messages-tuple"],
        ):
            if part.event == "messages":
                chunk, metadata = part.data
                token_nodes.add(metadata.get("langgraph_node", ""))
                tokens.append(chunk.get("content") or "")
            elif part.event == "error":  # pragma: no cover - shows the server's error
                pytest.fail(f"run failed: {part.data}")
        langgraph_server.timings["sdk_two_turn_messages"] = time.perf_counter() - started
        assert token_nodes == {"answer"}

        values = (await client.threads.get_state(thread["thread_id"]))["values"]
        messages = values["messages"]
        assert [m["type"] for m in messages] == ["human", "ai", "human", "ai"]
        assert messages[:2] == first["messages"]  # turn one kept as it was
        assert messages[2]["content"] == QUESTION
        assert messages[3]["content"] == values["answer"] == "".join(tokens)
        assert values["rewrite"]["original"] == QUESTION
        # The second answer call's prompt held turn one (its question and answer) as well.
        one, two = _usage(messages[1]), _usage(messages[3])
        assert one["input_tokens"] > 0
        assert two["input_tokens"] >= one["input_tokens"] + one["output_tokens"]
