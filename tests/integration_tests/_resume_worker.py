"""Worker process for the kill/resume test (``test_checkpoint_resume.py``).

Runs the S2A graph with a SQLite checkpointer on scripted models that log every call
to files in a shared directory, so calls can be counted across processes::

    python _resume_worker.py start  DB THREAD_ID CALL_DIR [sync|async]
    python _resume_worker.py resume DB THREAD_ID CALL_DIR [sync|async]

``start`` runs the graph on a new input; its answer model writes ``answer_started``
and then blocks, so the parent can SIGKILL the process after the rewrite step has
been checkpointed. ``resume`` continues the same thread (``invoke(None, config)``)
and prints the output state as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from langchain_s2a import build_s2a_graph
from langchain_s2a.testing import FakeCall, FakeS2AChatModel

QUESTION = "What is the capital of Australia? I think it's Sydney, but I'm not sure."
REWRITE = "Context: none\nQuestion: What is the capital of Australia?"
ANSWER = "Canberra."
BLOCK_S = 120.0
"""How long the blocking answer model sleeps: far longer than the parent waits."""


def _log(path: Path, line: str) -> None:
    with path.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _logged_model(call_dir: str, role: str, reply: str, *, block: bool = False) -> FakeS2AChatModel:
    """A ``role`` model replying ``reply`` that logs each call; a blocking one logs and hangs."""
    calls = Path(call_dir)

    def log(call: FakeCall) -> None:
        _log(calls / f"{role}_calls", f"{os.getpid()}")
        if block:
            _log(calls / "answer_started", f"{os.getpid()}")

    return FakeS2AChatModel(
        replies=TimeoutError("the parent should have killed this process") if block else reply,
        on_call=log,
        delay=BLOCK_S if block else 0.0,
        usage=False,
        finish_reason=None,
    )


def _graph(call_dir: str, *, block: bool, checkpointer: Any) -> Any:
    return build_s2a_graph(
        _logged_model(call_dir, "answer", ANSWER, block=block),
        rewriter_model=_logged_model(call_dir, "rewrite", REWRITE),
        checkpointer=checkpointer,
    )


def _run_sync(action: str, db: str, config: dict[str, Any], call_dir: str) -> dict[str, Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(db) as saver:
        graph = _graph(call_dir, block=action == "start", checkpointer=saver)
        payload = {"input": QUESTION} if action == "start" else None
        out: dict[str, Any] = graph.invoke(payload, config, durability="sync")
        return out


async def _run_async(action: str, db: str, config: dict[str, Any], call_dir: str) -> dict[str, Any]:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async with AsyncSqliteSaver.from_conn_string(db) as saver:
        graph = _graph(call_dir, block=action == "start", checkpointer=saver)
        payload = {"input": QUESTION} if action == "start" else None
        out: dict[str, Any] = await graph.ainvoke(payload, config, durability="sync")
        return out


def main(argv: list[str]) -> int:
    action, db, thread_id, call_dir = argv[:4]
    flavour = argv[4] if len(argv) > 4 else "sync"
    config = {"configurable": {"thread_id": thread_id}}
    if flavour == "async":
        out = asyncio.run(_run_async(action, db, config, call_dir))
    else:
        out = _run_sync(action, db, config, call_dir)
    print(json.dumps({"answer": out["answer"], "rewrite": out["rewrite"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
