import io
import json
from pathlib import Path
from typing import Any

import pytest

from langchain_s2a import cli
from tests.fakes import FakeChat, fake

OPINION = "Who wrote Hamlet? I think the answer is Christopher Marlowe but I'm really not sure."
GOOD = "Context: none\nQuestion: Who wrote Hamlet?"


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> FakeChat:
    def respond(messages: list[Any]) -> str:
        text = messages[-1].text
        if "<user_text>" in text:
            return GOOD
        return "Marlowe" if "Marlowe" in text else "William Shakespeare"

    fake_model = FakeChat(respond=respond)
    names: list[Any] = []

    def resolve(name: Any = None, **kwargs: Any) -> FakeChat:
        names.append((name, kwargs))
        return fake_model

    monkeypatch.setattr(cli, "resolve_chat_model", resolve)
    fake_model.__dict__["resolved_names"] = names
    return fake_model


def test_run_prints_rewrite_and_answer(model: FakeChat, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", OPINION, "--model", "fake", "--variant", "split"]) == 0
    out = capsys.readouterr().out
    assert "Rewrite (split, opinion, en)" in out
    assert "Who wrote Hamlet?" in out
    assert "S2A answer" in out and "William Shakespeare" in out
    assert "Baseline" not in out


def test_compare_shows_baseline(model: FakeChat, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", OPINION, "--compare", "--model", "fake"]) == 0
    out = capsys.readouterr().out
    assert "Baseline answer" in out
    assert out.index("William Shakespeare") < out.index("Marlowe\n")


def test_json_output(model: FakeChat, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", OPINION, "--json", "--compare", "--model", "fake"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"] == "William Shakespeare"
    assert data["baseline_answer"] == "Marlowe"
    assert data["rewrite"]["question"] == "Who wrote Hamlet?"
    assert data["usage"]["answer"]["output_tokens"] == 2


def test_stdin_and_file(
    model: FakeChat,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(OPINION))
    assert cli.main(["run", "--json", "--model", "fake"]) == 0
    assert json.loads(capsys.readouterr().out)["rewrite"]["original"] == OPINION
    path = tmp_path / "q.txt"
    path.write_text("谁写了《哈姆雷特》？我觉得是马洛。", encoding="utf-8")
    assert cli.main(["run", "--file", str(path), "--json", "--model", "fake"]) == 0
    assert json.loads(capsys.readouterr().out)["rewrite"]["original"].startswith("谁写了")


def test_options_reach_the_chain(model: FakeChat, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", OPINION, "--preset", "relevance", "--no-instruct", "--model", "fake"]
    cli.main([*argv, "--judge-sentences", "no"])  # the one-reply selection
    assert "irrelevant" in model.rewrite_calls[0].messages[1].text
    assert model.answer_calls[0].messages[-1].text == "Who wrote Hamlet?"


def test_relevance_preset_judges_sentences_by_default(
    model: FakeChat, capsys: pytest.CaptureFixture[str]
) -> None:
    # the opinion about the answer goes without a judgement (the rules drop it) ...
    assert cli.main(["run", OPINION, "--preset", "relevance", "--model", "fake"]) == 0
    assert not model.calls[0].messages[-1].text.count("<sentence>")
    # ... and "auto" judges the sentence besides the opening one and the question
    problem = "Tom has 3 apples. His sister Ann is 12. How many apples does Tom have?"
    model.calls.clear()
    argv = ["run", problem, "--preset", "relevance", "--model", "fake"]
    assert cli.main(argv) == 0
    judgements = [c for c in model.calls if "<sentence>" in c.messages[-1].text]
    assert len(judgements) == 1 and "Ann is 12" in judgements[0].messages[-1].text
    assert not model.rewrite_calls
    calls = len(model.calls)
    assert cli.main([*argv, "--judge-sentences", "no"]) == 0
    assert len(model.calls) == calls + 2 and len(model.rewrite_calls) == 1
    with pytest.raises(SystemExit):
        cli.main([*argv, "--judge-sentences", "maybe"])


def test_fallback_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "resolve_chat_model", lambda name=None, **kw: fake("nonsense", "A"))
    assert cli.main(["run", OPINION, "--model", "fake"]) == 0
    assert "rewrite rejected: unparseable" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["run", "   ", "--model", "fake"], 2, "input text is empty"),
        (["run", "x", "--file", "y", "--model", "fake"], 2, "not both"),
        (["run", "--file", "/nonexistent/q.txt", "--model", "fake"], 2, "cannot read"),
        (["run", OPINION, "--on-failure", "raise", "--model", "fake"], 1, "S2A rewrite rejected"),
    ],
)
def test_errors_are_one_line(
    argv: list[str],
    code: int,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "resolve_chat_model", lambda name=None, **kw: fake("", "A"))
    assert cli.main(argv) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("s2a: error:") and message in err
    assert len(err.splitlines()) == 1


def test_no_input_on_tty(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty())
    assert cli.main(["run", "--model", "fake"]) == 2
    assert "no input" in capsys.readouterr().err


def test_missing_local_model_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from langchain_s2a.errors import S2AError

    def boom(name: Any = None, **kw: Any) -> Any:
        raise S2AError(
            "the embedded model is not installed; run: pip install 'langchain-s2a[local]'"
        )

    monkeypatch.setattr(cli, "resolve_chat_model", boom)
    assert cli.main(["run", OPINION]) == 1
    err = capsys.readouterr().err
    assert "pip install 'langchain-s2a[local]'" in err and "Traceback" not in err


def test_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "x", "--preset", "nope"])
    assert info.value.code == 2


# --- Issue 13 item 5: ordinary provider errors are one line, --debug shows the traceback


def _failing(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> FakeChat:
    model = FakeChat(respond=lambda messages: error)
    monkeypatch.setattr(cli, "resolve_chat_model", lambda name=None, **kw: model)
    return model


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("s2a: error: ")
    return lines[0]


def test_missing_api_key_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    # the real resolution: langchain-openai refuses to build a client without a key
    assert cli.main(["run", "What is 2+2?", "--model", "openai:gpt-4o-mini"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "OpenAIError" in line and "OPENAI_API_KEY" in line
    assert "local server" not in line
    argv = ["run", "What is 2+2?", "--model", "qwen2.5:7b", "--base-url", "http://127.0.0.1:9/v1"]
    assert cli.main(argv) == 1
    assert _one_line(capsys.readouterr().err).endswith("set OPENAI_API_KEY=none)")


def test_refused_connection_is_one_line_naming_the_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import httpx
    import openai

    url = "http://127.0.0.1:9/v1"
    # what the OpenAI client raises when nothing listens: APIConnectionError from httpx's
    error = openai.APIConnectionError(request=httpx.Request("POST", url + "/chat/completions"))
    error.__cause__ = httpx.ConnectError("[Errno 111] Connection refused")
    model = _failing(monkeypatch, error)
    assert cli.main(["run", "What is 2+2?", "--model", "gpt-4o-mini", "--base-url", url]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "APIConnectionError: Connection error." in line
    assert "Connection refused" in line and f"is the server at {url} running?" in line
    assert len(model.calls) == 3  # a lost connection is transient: retried, then reported


def test_model_runtime_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _failing(monkeypatch, RuntimeError("the model\nexploded"))
    assert cli.main(["run", OPINION, "--model", "fake", "--base-url", "http://x"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line == "s2a: error: RuntimeError: the model exploded"  # no server hint: no connection


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _failing(monkeypatch, RuntimeError("model exploded"))
    assert cli.main(["run", OPINION, "--model", "fake", "--debug"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "RuntimeError: model exploded" in err
    assert err.strip().splitlines()[-1] == "s2a: error: RuntimeError: model exploded"


def test_describe_error_names_the_root_cause() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise RuntimeError("request failed") from exc
    except RuntimeError as exc:
        assert cli.describe_error(exc, base_url="http://h:1/v1") == (
            "RuntimeError: request failed (caused by ConnectionRefusedError: [Errno 111] "
            "Connection refused); is the server at http://h:1/v1 running?"
        )
    assert cli.describe_error(ValueError()) == "ValueError"
    assert len(cli.describe_error(RuntimeError("x" * 5000))) <= 400


@pytest.mark.slow
def test_a_really_refused_connection_is_one_line(tmp_path: Path) -> None:
    """A real refused connection on loopback (no network), in a child process.

    The unit tests disable sockets in this process, so the child picks a free
    port, closes it, and runs ``s2a run --base-url`` against it.
    """
    import os
    import subprocess
    import sys

    code = (
        "import socket, sys\n"
        "from langchain_s2a import cli\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()\n"
        "sys.exit(cli.main(['run', 'What is 2+2?', '--model', 'gpt-4o-mini',\n"
        "                   '--base-url', f'http://127.0.0.1:{port}/v1']))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "OPENAI_API_KEY": "none", "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 1, out.stderr
    line = _one_line(out.stderr)
    assert "Connection refused" in line and "running?" in line


# --- Issue 23 item 7: model flags that cannot work are usage errors, before anything loads


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert "Preparing" not in captured.err and captured.out == ""
    return _one_line(captured.err)


def test_base_url_without_a_model_is_a_usage_error(
    model: FakeChat, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("S2A_MODEL", raising=False)
    line = _usage_error(["run", OPINION, "--base-url", "http://127.0.0.1:8000/v1"], capsys)
    assert "--base-url needs --model" in line
    assert model.__dict__["resolved_names"] == []  # the embedded model was not loaded
    line = _usage_error(
        ["run", OPINION, "--model", "local:0.5b", "--base-url", "http://127.0.0.1:8000/v1"], capsys
    )
    assert "the embedded model takes no --base-url" in line
    url = "http://127.0.0.1:8000/v1"  # a server answers, the embedded model rewrites
    argv = ["run", OPINION, "--model", "qwen", "--base-url", url, "--rewriter-model", "local:0.5b"]
    assert cli.main(argv) == 0
    assert model.__dict__["resolved_names"] == [("qwen", {"base_url": url}), ("local:0.5b", {})]


def test_base_url_serves_the_model_named_by_s2a_model(
    model: FakeChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S2A_MODEL", "qwen2.5-1.5b-instruct")
    url = "http://127.0.0.1:8000/v1"
    assert cli.main(["run", OPINION, "--base-url", url]) == 0
    assert model.__dict__["resolved_names"][0] == ("qwen2.5-1.5b-instruct", {"base_url": url})


@pytest.mark.parametrize(
    "flags", [["--model", ""], ["--model", "  "], ["--model", "fake", "--rewriter-model", ""]]
)
def test_an_empty_model_name_is_a_usage_error(
    model: FakeChat, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    line = _usage_error(["run", OPINION, *flags], capsys)
    assert "needs a model name" in line
    assert model.__dict__["resolved_names"] == []


def test_an_unknown_local_size_is_a_usage_error(
    model: FakeChat, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _usage_error(["run", OPINION, "--model", "local:7b"], capsys)
    assert "'7b'" in line and "1.5b" in line
    assert model.__dict__["resolved_names"] == []
