"""Real servers on loopback for the integration tests, and the fixtures that run them.

Every server is a child process started by a fixture: it binds ``127.0.0.1`` on a free
port, is polled for readiness with a time bound, and is always stopped (its whole
process group, SIGTERM then SIGKILL) when the fixture ends, even if a test fails.
Nothing here reaches the network: telemetry, tracing, version checks and the
browser are switched off.

Import the fixtures in a test module (they register as ``langgraph_server`` and
``llama_server``)::

    from tests.integration_tests.servers import langgraph_server_fixture  # noqa: F401
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (holds ``langgraph.json`` and ``graphs/``)."""

HOST = "127.0.0.1"

LANGGRAPH_STARTUP_TIMEOUT_S = float(os.environ.get("S2A_TEST_LANGGRAPH_STARTUP_S", "90"))
LLAMA_STARTUP_TIMEOUT_S = float(os.environ.get("S2A_TEST_LLAMA_STARTUP_S", "90"))

OFFLINE_ENV: dict[str, str] = {
    # LangSmith tracing off: nothing is sent anywhere.
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING_V2": "false",
    # langgraph-cli usage analytics off.
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    # langgraph-api's start-up PyPI version check off.
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    # The in-memory runtime keeps its state in memory only (no .langgraph_api/ pickles).
    "LANGGRAPH_DISABLE_FILE_PERSISTENCE": "true",
    # No model-hub look-ups from anything that might try.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    # Loopback never goes through a proxy.
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    "PYTHONUNBUFFERED": "1",
}
"""Environment for server processes: no telemetry, tracing, version check or proxy."""

_DROP_ENV = (
    # With no key, langgraph-api skips its metadata/licence loop and LangSmith stays off.
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "LANGSMITH_CONTROL_PLANE_API_KEY",
    "LANGSMITH_ENDPOINT",
    "LANGCHAIN_ENDPOINT",
)


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, made offline, with the repository importable."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(OFFLINE_ENV)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    if extra:
        env.update(extra)
    return env


@dataclass
class ServerProcess:
    """A running server child process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_s: float = 0.0
    """Seconds from spawning the process to the first successful readiness probe."""
    timings: dict[str, float] = field(default_factory=dict)
    """Measurements the tests record (printed at teardown)."""

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's combined stdout/stderr."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:  # pragma: no cover
            return ""

    def assert_alive(self) -> None:
        """Fail with the log when the process has exited."""
        code = self.process.poll()
        if code is not None:
            raise AssertionError(f"{self.name} exited with {code}:\n{self.log_tail()}")


def stop_process(process: subprocess.Popen[bytes], *, grace_s: float = 15.0) -> None:
    """Stop ``process`` and its process group: SIGTERM, then SIGKILL after ``grace_s``.

    The process must have been started with ``start_new_session=True`` (so its group id
    is its pid and the group holds only what it spawned).
    """
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)
    # Children that outlived the leader (same group) get SIGKILL too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_until_ready(
    server: ServerProcess,
    probe: Callable[[httpx.Client], bool],
    *,
    timeout_s: float,
    interval_s: float = 0.2,
) -> float:
    """Poll ``probe`` until it returns true; return the seconds waited.

    Raises:
        RuntimeError: If the process exits or ``timeout_s`` passes first (with its log).
    """
    started = time.perf_counter()
    deadline = started + timeout_s
    with httpx.Client(base_url=server.url, timeout=5.0, trust_env=False) as client:
        while True:
            code = server.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"{server.name} exited with {code} before it was ready:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if probe(client):
                    return time.perf_counter() - started
            if time.perf_counter() > deadline:
                raise RuntimeError(
                    f"{server.name} not ready after {timeout_s:.0f}s:\n{server.log_tail()}"
                )
            time.sleep(interval_s)


@contextlib.contextmanager
def run_server(
    name: str,
    cmd: Sequence[str],
    *,
    port: int,
    probe: Callable[[httpx.Client], bool],
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 60.0,
) -> Iterator[ServerProcess]:
    """Start ``cmd`` as a server on ``127.0.0.1:port``, wait for it, always stop it."""
    log_path = log_dir / f"{name}.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else server_env(),
            start_new_session=True,
        )
    server = ServerProcess(name, f"http://{HOST}:{port}", process, log_path)
    try:
        wait_until_ready(server, probe, timeout_s=timeout_s)
        server.startup_s = time.perf_counter() - started
        yield server
    finally:
        stop_process(process)
        timings = ", ".join(f"{k}={v:.2f}s" for k, v in server.timings.items())
        print(f"\n[{name}] startup={server.startup_s:.2f}s {timings}")


# --------------------------------------------------------------------------- models
def require_local_model(size: str) -> Path:
    """The GGUF file of the embedded model ``size``; skips when it is not installed."""
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")
    from langchain_s2a.errors import LocalModelNotInstalledError
    from langchain_s2a.models._weights import ensure_model_file

    try:
        return Path(ensure_model_file(size))
    except LocalModelNotInstalledError as exc:
        pytest.skip(f"embedded model {size} not installed: {exc}")


# -------------------------------------------------------------------- LangGraph server
SERVED_MODEL = "local:0.5b"
"""``$S2A_MODEL`` of the served graph in the tests (the 0.5B embedded model: follows the rewrite format, fast on CPU)."""


def langgraph_config(tmp_dir: Path) -> Path:
    """Copy the repository's ``langgraph.json`` into ``tmp_dir`` with absolute paths.

    The dev server resolves graph paths against its working directory and keeps
    scratch files there, so it runs in ``tmp_dir`` and serves the repository's graphs.
    """
    config: dict[str, Any] = json.loads((ROOT / "langgraph.json").read_text())
    config["dependencies"] = [
        str((ROOT / dep).resolve()) if dep.startswith(".") else dep
        for dep in config.get("dependencies", ["."])
    ]
    graphs: dict[str, str] = {}
    for graph_id, spec in config["graphs"].items():
        path, sep, attr = spec.rpartition(":")
        graphs[graph_id] = f"{(ROOT / path).resolve()}{sep}{attr}" if path else spec
    config["graphs"] = graphs
    target = tmp_dir / "langgraph.json"
    target.write_text(json.dumps(config, indent=2))
    return target


def _langgraph_ready(client: httpx.Client) -> bool:
    if client.get("/ok").status_code != 200:
        return False
    # Graphs are loaded in the lifespan; make sure the S2A assistant is registered.
    found = client.post("/assistants/search", json={"graph_id": "s2a", "limit": 1})
    return found.status_code == 200 and bool(found.json())


@pytest.fixture(scope="module", name="langgraph_server")
def langgraph_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``langgraph dev`` (in-memory runtime) serving ``langgraph.json`` on loopback."""
    pytest.importorskip("langgraph_cli", reason="needs langgraph-cli (langchain-s2a[servers])")
    pytest.importorskip(
        "langgraph_runtime_inmem", reason="needs langgraph-cli[inmem] (langchain-s2a[servers])"
    )
    require_local_model(SERVED_MODEL.partition(":")[2])
    work = tmp_path_factory.mktemp("langgraph_dev")
    config = langgraph_config(work)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "langgraph_cli",
        "dev",
        "--config",
        str(config),
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-browser",
        "--no-reload",
        "--n-jobs-per-worker",
        "2",
    ]
    with run_server(
        "langgraph-dev",
        cmd,
        port=port,
        probe=_langgraph_ready,
        log_dir=work,
        env=server_env({"S2A_MODEL": SERVED_MODEL}),
        cwd=work,
        timeout_s=LANGGRAPH_STARTUP_TIMEOUT_S,
    ) as server:
        yield server


# ----------------------------------------------------- OpenAI-compatible llama.cpp server
OPENAI_MODEL_SIZE = "0.5b"
"""Embedded model served over the OpenAI API in the tests."""
OPENAI_MODEL_ALIAS = "qwen2.5-coder-0.5b-instruct"
"""The ``model`` name clients send (``--model_alias``)."""


def _models_ready(client: httpx.Client) -> bool:
    response = client.get("/v1/models")
    return response.status_code == 200 and bool(response.json().get("data"))


@pytest.fixture(scope="module", name="llama_server")
def llama_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``python -m llama_cpp.server`` serving the embedded 0.5B model on loopback."""
    for module in ("fastapi", "uvicorn", "sse_starlette", "pydantic_settings", "starlette_context"):
        pytest.importorskip(
            module, reason="needs llama-cpp-python[server] (langchain-s2a[servers])"
        )
    model_path = require_local_model(OPENAI_MODEL_SIZE)
    work = tmp_path_factory.mktemp("llama_server")
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        OPENAI_MODEL_ALIAS,
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--seed",
        "0",
        # Queue concurrent requests instead of cutting a running stream short.
        "--interrupt_requests",
        "False",
        "--verbose",
        "False",
    ]
    with run_server(
        "llama-cpp-server",
        cmd,
        port=port,
        probe=_models_ready,
        log_dir=work,
        cwd=work,
        timeout_s=LLAMA_STARTUP_TIMEOUT_S,
    ) as server:
        yield server
