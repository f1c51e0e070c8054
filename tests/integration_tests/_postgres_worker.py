"""Worker process for the PostgreSQL tests (``test_postgres.py``).

Runs the S2A graph with ``PostgresSaver`` / ``AsyncPostgresSaver`` on scripted models
that log every call (``<pid> <number>``) to files in a shared directory, so calls can
be counted across processes. Every input names a number (``question(n)``); the
scripted replies carry it on, so a thread that got another thread's state would show::

    python _postgres_worker.py start URI THREAD_ID N CALL_DIR [sync|async]
    python _postgres_worker.py serve URI CALL_DIR [sync|async]

``start`` opens the saver with ``from_conn_string`` and runs the graph on
``question(N)``; its answer model writes ``answer_started`` and then blocks, so the
parent can SIGKILL the process after the rewrite step has been checkpointed.

``serve`` is a long-lived worker on a connection pool (as a service would run): it
prints ``ready``, then reads commands from stdin, one a line, and answers each with
one JSON line on stdout:

- ``resume THREAD_ID`` continues the thread (``invoke(None, config)``);
- ``run THREAD_ID:N THREAD_ID:N ...`` runs those new threads concurrently
  (``batch`` / ``abatch``, at most ``CONCURRENCY`` at a time).

It exits at the end of stdin.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_s2a import build_s2a_graph
from langchain_s2a.testing import FakeCall, FakeS2AChatModel

BLOCK_S = 120.0
"""How long the blocking answer model sleeps: far longer than the parent waits."""
CONCURRENCY = 8
"""Threads a serving worker runs at once (and its pool's connections)."""
_NUMBER = re.compile(r"country number (\d+)")


def question(n: int) -> str:
    """The user input of thread number ``n`` (with an opinion for S2A to drop)."""
    return (
        f"What is the capital of country number {n}? I think it's city {n + 1}, but I'm not sure."
    )


def rewritten(n: int) -> str:
    """The question the scripted rewriter returns for ``question(n)``."""
    return f"What is the capital of country number {n}?"


def answer(n: int) -> str:
    """The scripted answer for thread number ``n``."""
    return f"Capital {n}."


def _log(path: Path, line: str) -> None:
    with path.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _number(messages: list[BaseMessage]) -> int:
    found = _NUMBER.search(str(messages[-1].content))
    return int(found.group(1)) if found else -1


def _logged_model(call_dir: str, role: str, *, block: bool = False) -> FakeS2AChatModel:
    """A scripted ``role`` model that logs each call; a blocking one logs and hangs."""
    calls = Path(call_dir)

    def log(call: FakeCall) -> None:
        _log(calls / f"{role}_calls", f"{os.getpid()} {_number(call.messages)}")
        if block:
            _log(calls / "answer_started", f"{os.getpid()}")

    def reply(messages: list[BaseMessage]) -> str | BaseException:
        if block:
            return TimeoutError("the parent should have killed this process")
        n = _number(messages)
        return f"Context: none\nQuestion: {rewritten(n)}" if role == "rewrite" else answer(n)

    return FakeS2AChatModel(
        replies=reply,
        on_call=log,
        delay=BLOCK_S if block else 0.0,
        usage=False,
        finish_reason=None,
    )


def graph(call_dir: str, *, block: bool, checkpointer: Any) -> Any:
    """The S2A graph on the scripted models, with ``checkpointer``."""
    return build_s2a_graph(
        _logged_model(call_dir, "answer", block=block),
        rewriter_model=_logged_model(call_dir, "rewrite"),
        checkpointer=checkpointer,
    )


def _config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def _summary(thread_id: str, out: dict[str, Any]) -> dict[str, Any]:
    return {"thread_id": thread_id, "answer": out["answer"], "rewrite": out["rewrite"]}


def _pool_kwargs() -> dict[str, Any]:
    from psycopg.rows import dict_row

    return {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}


def _parse_run(args: list[str]) -> tuple[list[str], list[int]]:
    pairs = [a.rpartition(":") for a in args]
    return [t for t, _, _ in pairs], [int(n) for _, _, n in pairs]


def _reply(payload: Any) -> None:
    print(json.dumps(payload), flush=True)


def _start_sync(uri: str, thread_id: str, n: int, call_dir: str) -> None:
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(uri) as saver:
        g = graph(call_dir, block=True, checkpointer=saver)
        g.invoke({"input": question(n)}, _config(thread_id), durability="sync")


async def _start_async(uri: str, thread_id: str, n: int, call_dir: str) -> None:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with AsyncPostgresSaver.from_conn_string(uri) as saver:
        g = graph(call_dir, block=True, checkpointer=saver)
        await g.ainvoke({"input": question(n)}, _config(thread_id), durability="sync")


def _serve_sync(uri: str, call_dir: str) -> None:
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg_pool import ConnectionPool

    with ConnectionPool(uri, max_size=CONCURRENCY, kwargs=_pool_kwargs(), open=False) as pool:
        g = graph(call_dir, block=False, checkpointer=PostgresSaver(pool))
        _reply("ready")
        for line in sys.stdin:
            command, *args = line.split()
            if command == "resume":
                _reply(_summary(args[0], g.invoke(None, _config(args[0]), durability="sync")))
            else:
                threads, numbers = _parse_run(args)
                outs = g.batch(
                    [{"input": question(n)} for n in numbers],
                    [_config(t) | {"max_concurrency": CONCURRENCY} for t in threads],
                    durability="sync",
                )
                _reply([_summary(t, o) for t, o in zip(threads, outs, strict=True)])


async def _serve_async(uri: str, call_dir: str) -> None:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(
        uri, max_size=CONCURRENCY, kwargs=_pool_kwargs(), open=False
    ) as pool:
        g = graph(call_dir, block=False, checkpointer=AsyncPostgresSaver(pool))
        _reply("ready")
        while line := await asyncio.to_thread(sys.stdin.readline):
            command, *args = line.split()
            if command == "resume":
                out = await g.ainvoke(None, _config(args[0]), durability="sync")
                _reply(_summary(args[0], out))
            else:
                threads, numbers = _parse_run(args)
                outs = await g.abatch(
                    [{"input": question(n)} for n in numbers],
                    [_config(t) | {"max_concurrency": CONCURRENCY} for t in threads],
                    durability="sync",
                )
                _reply([_summary(t, o) for t, o in zip(threads, outs, strict=True)])


def main(argv: list[str]) -> int:
    """Run one worker (see the module docstring)."""
    action = argv[0]
    if action == "start":
        uri, thread_id, n, call_dir = argv[1:5]
        flavour = argv[5] if len(argv) > 5 else "sync"
        if flavour == "async":
            asyncio.run(_start_async(uri, thread_id, int(n), call_dir))
        else:
            _start_sync(uri, thread_id, int(n), call_dir)
    elif action == "serve":
        uri, call_dir = argv[1:3]
        flavour = argv[3] if len(argv) > 3 else "sync"
        if flavour == "async":
            asyncio.run(_serve_async(uri, call_dir))
        else:
            _serve_sync(uri, call_dir)
    else:
        raise SystemExit(f"unknown action {action!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
