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
    cli.main(["run", OPINION, "--preset", "relevance", "--no-instruct", "--model", "fake"])
    assert "irrelevant" in model.rewrite_calls[0].messages[1].text
    assert model.answer_calls[0].messages[-1].text == "Who wrote Hamlet?"


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
