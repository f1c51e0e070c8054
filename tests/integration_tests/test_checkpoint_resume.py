"""The S2A graph with the SQLite checkpointer survives a process kill between its steps.

A worker process (``_resume_worker.py``) runs the graph; its answer model blocks, and
the test SIGKILLs the process once the rewrite step is checkpointed. A second process
resumes the thread: the answer is produced and the rewrite model is not called again.
Models are scripted and log their calls to files, so calls are counted across processes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from tests.integration_tests import _resume_worker as worker
from tests.integration_tests.servers import server_env, stop_process

pytestmark = pytest.mark.servers

WORKER = Path(worker.__file__).resolve()
WAIT_S = 60.0
"""Bound on waiting for the worker to reach the answer step (import time included)."""


def _calls(call_dir: Path, role: str) -> list[str]:
    path = call_dir / f"{role}_calls"
    return path.read_text().splitlines() if path.exists() else []


def _wait_for(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"worker exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            stop_process(process)
            pytest.fail(f"worker did not reach the answer step in {WAIT_S}s:\n{log.read_text()}")
        time.sleep(0.05)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_rewrite_is_not_repeated_after_kill_and_resume(tmp_path: Path, flavour: str) -> None:
    db = tmp_path / "checkpoints.sqlite"
    calls = tmp_path / "calls"
    calls.mkdir()
    thread_id = f"resume-{flavour}"
    args = [str(db), thread_id, str(calls), flavour]
    log = tmp_path / "start.log"

    # 1. Start the run; it blocks inside the answer model, after the rewrite step.
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(WORKER), "start", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=server_env(),
            start_new_session=True,
        )
    try:
        _wait_for(calls / "answer_started", process, log)
        # The rewrite is checkpointed: another process sees the thread waiting at "answer".
        config = {"configurable": {"thread_id": thread_id}}
        with SqliteSaver.from_conn_string(str(db)) as saver:
            inspector = worker._graph(str(calls), block=False, checkpointer=saver)
            state = inspector.get_state(config)
            assert state.next == ("answer",)
            assert state.values["rewrite"]["question"] == "What is the capital of Australia?"
            assert "answer" not in state.values
        # 2. Kill it hard: no cleanup, no chance to write anything more.
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        stop_process(process)
    assert len(_calls(calls, "rewrite")) == 1
    assert len(_calls(calls, "answer")) == 1

    # 3. A new process resumes the same thread from the checkpoint.
    started = time.perf_counter()
    resumed = subprocess.run(
        [sys.executable, str(WORKER), "resume", *args],
        capture_output=True,
        text=True,
        env=server_env(),
        timeout=WAIT_S,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    out = json.loads(resumed.stdout.strip().splitlines()[-1])
    print(f"\n[resume-{flavour}] resume process (start-up included) {elapsed:.2f}s")

    assert out["answer"] == worker.ANSWER
    assert out["rewrite"]["question"] == "What is the capital of Australia?"
    assert out["rewrite"]["attempts"] == 1
    rewrite_calls = _calls(calls, "rewrite")
    answer_calls = _calls(calls, "answer")
    assert len(rewrite_calls) == 1, "the rewrite step ran again after the resume"
    assert len(answer_calls) == 2
    assert answer_calls[0] != answer_calls[1], "the answer ran in a second process"

    with SqliteSaver.from_conn_string(str(db)) as saver:
        final = worker._graph(str(calls), block=False, checkpointer=saver).get_state(config)
    assert final.next == ()
    assert final.values["answer"] == worker.ANSWER
