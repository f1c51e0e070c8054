"""Threads shared by two workers through a real PostgreSQL server.

The module starts its own PostgreSQL (Debian's ``postgresql`` package): ``initdb`` into
a temporary directory, ``postgres`` listening on a free loopback port only (no Unix
socket, no system service), stopped and removed at the end. As root the server runs
as the ``postgres`` user, which PostgreSQL requires. Each test gets a fresh database.

Workers are separate processes (``_postgres_worker.py``) running the S2A graph on
scripted models that log their calls to files, so calls are counted across processes:

- a worker is SIGKILLed inside the answer step, after the rewrite is checkpointed, and
  a second, already running worker resumes the thread: the rewrite model is not called
  again (``PostgresSaver`` and ``AsyncPostgresSaver``);
- two workers (one sync, one async, each on a connection pool) run 50 threads at once,
  and every thread ends with its own answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.integration_tests import _postgres_worker as worker
from tests.integration_tests.servers import HOST, free_port, server_env, stop_process

pytestmark = pytest.mark.servers

pytest.importorskip("langgraph.checkpoint.postgres", reason="needs langchain-s2a[servers]")
psycopg = pytest.importorskip("psycopg", reason="needs psycopg (langchain-s2a[servers])")

from langgraph.checkpoint.postgres import PostgresSaver  # noqa: E402

WORKER = Path(worker.__file__).resolve()
WAIT_S = 60.0
"""Bound on waiting for a worker step (process start-up and imports included)."""
PG_STARTUP_S = 30.0
PG_USER = "s2a"
N_THREADS = 50


def _pg_bindir() -> Path | None:
    """The directory of ``initdb`` and ``postgres``: Debian's newest, else ``$PATH``."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_server_user() -> dict[str, Any]:
    """``Popen`` arguments that drop root to the ``postgres`` user (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run the server as")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _connect(uri: str) -> Any:
    return psycopg.connect(uri, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for this module alone; yields the URI of its admin database."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (bash scripts/system-deps.sh)")
    drop = _as_server_user()
    work = Path(tempfile.mkdtemp(prefix="s2a-postgres-"))
    if drop:
        os.chown(work, drop["user"], drop["group"])
    data, log_path = work / "data", work / "postgres.log"
    env = server_env({"LC_ALL": "C", "LANG": "C"})
    init = subprocess.run(
        [bindir / "initdb", "-D", data, "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=120,
        check=False,
        **drop,
    )
    if init.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    port = free_port()
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                bindir / "postgres",
                "-D",
                data,
                "-c",
                f"listen_addresses={HOST}",
                "-c",
                f"port={port}",
                "-c",
                "unix_socket_directories=",
                # The server is not what the tests kill; skip flushing to disk.
                "-c",
                "fsync=off",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=work,
            env=env,
            start_new_session=True,
            **drop,
        )
    uri = f"postgresql://{PG_USER}@{HOST}:{port}/postgres"
    try:
        deadline = time.monotonic() + PG_STARTUP_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"postgres exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                _connect(uri).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    pytest.fail(f"postgres not ready in {PG_STARTUP_S}s:\n{log_path.read_text()}")
                time.sleep(0.1)
        print(f"\n[postgres] {bindir} ready on port {port} in {time.perf_counter() - started:.2f}s")
        yield uri
    finally:
        # SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to leave).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        stop_process(process)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def database(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """A new, empty database with the checkpoint tables; yields its URI."""
    name = "t_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    with _connect(postgres_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    uri = postgres_server.rpartition("/")[0] + f"/{name}"
    with PostgresSaver.from_conn_string(uri) as saver:
        saver.setup()  # once, before any worker: migrations are not run concurrently
    return uri


# ------------------------------------------------------------------------- workers
def _calls(call_dir: Path, role: str) -> list[tuple[str, int]]:
    path = call_dir / f"{role}_calls"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(pid, int(n)) for pid, n in (line.split() for line in lines)]


def _spawn(args: list[str], log: Path, *, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[Any]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            stdin=stdin,
            stdout=subprocess.PIPE if stdin == subprocess.PIPE else out,
            stderr=out,
            env=server_env(),
            start_new_session=True,
        )


class _Server:
    """A ``serve`` worker: send one command, read its one JSON line."""

    def __init__(self, uri: str, call_dir: Path, flavour: str, log: Path) -> None:
        self.log = log
        self.process = _spawn(["serve", uri, str(call_dir), flavour], log, stdin=subprocess.PIPE)
        assert self._read_line() == "ready"

    def _pipe(self, name: str) -> IO[bytes]:
        pipe = getattr(self.process, name)
        assert pipe is not None
        return pipe

    def _read_line(self) -> Any:
        line = self._pipe("stdout").readline()
        if not line:
            self.process.wait(timeout=10)
            pytest.fail(f"worker exited with {self.process.returncode}:\n{self.log.read_text()}")
        return json.loads(line)

    def send(self, command: str) -> None:
        stdin = self._pipe("stdin")
        stdin.write(command.encode() + b"\n")
        stdin.flush()

    def receive(self) -> Any:
        return self._read_line()

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self._pipe("stdin").close()
        try:
            self.process.wait(timeout=15)
        finally:
            stop_process(self.process)
            self._pipe("stdout").close()


@contextlib.contextmanager
def _serving(uri: str, call_dir: Path, flavour: str, log: Path) -> Iterator[_Server]:
    server = _Server(uri, call_dir, flavour, log)
    try:
        yield server
    finally:
        server.close()


def _wait_for(path: Path, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"worker exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            stop_process(process)
            pytest.fail(f"worker did not reach the answer step in {WAIT_S}s:\n{log.read_text()}")
        time.sleep(0.05)


def _state(uri: str, call_dir: Path, thread_id: str) -> Any:
    with PostgresSaver.from_conn_string(uri) as saver:
        g = worker.graph(str(call_dir), block=False, checkpointer=saver)
        return g.get_state({"configurable": {"thread_id": thread_id}})


# --------------------------------------------------------------------------- tests
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_killed_worker_thread_resumes_on_the_other_worker(
    database: str, tmp_path: Path, flavour: str
) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    n, thread_id = 7, f"ticket-{flavour}"
    # Worker B is up (its pool open) before worker A writes anything.
    with _serving(database, calls, flavour, tmp_path / "worker-b.log") as worker_b:
        # 1. Worker A starts the thread and blocks inside the answer model.
        log_a = tmp_path / "worker-a.log"
        worker_a = _spawn(["start", database, thread_id, str(n), str(calls), flavour], log_a)
        try:
            _wait_for(calls / "answer_started", worker_a, log_a)
            # The rewrite is checkpointed: a third process sees the thread waiting at "answer".
            state = _state(database, calls, thread_id)
            assert state.next == ("answer",)
            assert state.values["rewrite"]["question"] == worker.rewritten(n)
            assert "answer" not in state.values
            # 2. Kill worker A hard: no cleanup, no chance to write anything more.
            worker_a.send_signal(signal.SIGKILL)
            assert worker_a.wait(timeout=10) == -signal.SIGKILL
        finally:
            stop_process(worker_a)
        assert len(_calls(calls, "rewrite")) == 1
        assert len(_calls(calls, "answer")) == 1

        # 3. Worker B resumes the thread from the checkpoint in Postgres.
        started = time.perf_counter()
        worker_b.send(f"resume {thread_id}")
        out = worker_b.receive()
        print(
            f"\n[postgres-{flavour}] resume on the running worker {time.perf_counter() - started:.2f}s"
        )
        pid_b = str(worker_b.process.pid)

    assert out["answer"] == worker.answer(n)
    assert out["rewrite"]["question"] == worker.rewritten(n)
    assert out["rewrite"]["attempts"] == 1
    rewrite_calls, answer_calls = _calls(calls, "rewrite"), _calls(calls, "answer")
    assert len(rewrite_calls) == 1, "the rewrite step ran again after the resume"
    assert rewrite_calls[0][0] == str(worker_a.pid)
    assert [pid for pid, _ in answer_calls] == [str(worker_a.pid), pid_b]

    final = _state(database, calls, thread_id)
    assert final.next == ()
    assert final.values["answer"] == worker.answer(n)


def test_fifty_threads_across_two_workers_none_lost(database: str, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    threads = {f"thread-{n:02d}": n for n in range(N_THREADS)}
    # Interleaved: neighbouring threads go to different workers.
    shares = [" ".join(f"{t}:{n}" for t, n in threads.items() if n % 2 == k) for k in range(2)]
    started = time.perf_counter()
    with (
        _serving(database, calls, "sync", tmp_path / "worker-sync.log") as sync_worker,
        _serving(database, calls, "async", tmp_path / "worker-async.log") as async_worker,
    ):
        ready = time.perf_counter()
        sync_worker.send(f"run {shares[0]}")
        async_worker.send(f"run {shares[1]}")
        outs = sync_worker.receive() + async_worker.receive()
        ran = time.perf_counter()
    print(
        f"\n[postgres-50] workers up {ready - started:.2f}s, "
        f"{N_THREADS} threads on 2 workers {ran - ready:.2f}s"
    )

    assert sorted(o["thread_id"] for o in outs) == sorted(threads)
    for o in outs:
        n = threads[o["thread_id"]]
        assert o["answer"] == worker.answer(n), o
        assert o["rewrite"]["question"] == worker.rewritten(n), o
    # Each thread's rewrite and answer ran exactly once, on the worker that owned it.
    for role in ("rewrite", "answer"):
        counted = Counter(n for _, n in _calls(calls, role))
        assert counted == Counter(range(N_THREADS)), role
    owners = {(n % 2, pid) for pid, n in _calls(calls, "answer")}
    assert owners == {(0, str(sync_worker.process.pid)), (1, str(async_worker.process.pid))}

    # Nothing lost in the database: every thread is there, finished, with its own answer.
    with PostgresSaver.from_conn_string(database) as saver:
        stored = {c.config["configurable"]["thread_id"] for c in saver.list(None)}
        assert stored == set(threads)
        g = worker.graph(str(calls), block=False, checkpointer=saver)
        for thread_id, n in threads.items():
            state = g.get_state({"configurable": {"thread_id": thread_id}})
            assert state.next == ()
            assert state.values["answer"] == worker.answer(n)
