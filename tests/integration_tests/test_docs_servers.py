"""The ``servers`` blocks of ``docs/servers.md`` run against real servers on loopback.

Each block is executed as written, with its fixed address (``127.0.0.1:8000`` for the
llama.cpp server, ``127.0.0.1:2024`` for ``langgraph dev``) replaced by the free port
of the server the fixture started. ``tests/unit_tests/test_docs.py`` runs the offline
blocks and checks that every ``servers`` block targets one of these two servers.
"""

from __future__ import annotations

import pytest

from tests._doc_blocks import DocBlock, python_blocks
from tests.integration_tests.servers import (
    ServerProcess,
    langgraph_server_fixture,  # noqa: F401 - registers the langgraph_server fixture
    llama_server_fixture,  # noqa: F401 - registers the llama_server fixture
)

pytestmark = [pytest.mark.servers, pytest.mark.local_model]

LLAMA_URL = "http://127.0.0.1:8000"
LANGGRAPH_URL = "http://127.0.0.1:2024"


def _blocks(url: str) -> list[DocBlock]:
    blocks = [
        b for b in python_blocks("docs/servers.md") if b.marker == "servers" and url in b.code
    ]
    assert blocks, f"no servers block of docs/servers.md uses {url}"
    return blocks


def test_llama_server_block(
    llama_server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = _blocks(LLAMA_URL)
    block.run(code=block.code.replace(LLAMA_URL, llama_server.url))
    question, arrow, answer = capsys.readouterr().out.strip().partition(" -> ")
    assert arrow and answer.strip(), "the block prints 'question -> answer'"
    assert "Hamlet" in question


def test_langgraph_server_blocks(
    langgraph_server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    sdk, remote = _blocks(LANGGRAPH_URL)
    sdk.run(code=sdk.code.replace(LANGGRAPH_URL, langgraph_server.url))
    out = capsys.readouterr().out
    assert "\nanswer: " in out and out.rsplit("answer: ", 1)[1].strip()

    remote.run(code=remote.code.replace(LANGGRAPH_URL, langgraph_server.url))
    # print(out["answer"], out["rewrite"]["question"]), then one line per streamed part
    invoked, sep, _streamed = capsys.readouterr().out.partition("\nupdates ")
    assert sep, "the stream printed an update"
    assert "Hamlet" in invoked
