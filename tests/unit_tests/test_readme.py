"""Every Python example in the README runs, and CI runs the README's test command."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(
    index: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    exec(compile(BLOCKS[index], f"README.md[python block {index}]", "exec"), {})
    out = capsys.readouterr().out
    # Printed values must match the "# expected" comments next to them.
    for line in BLOCKS[index].splitlines():
        match = re.match(r"\s*print\(.*\)\s+#\s*(.+)$", line)
        if match:
            assert match.group(1).strip() in out


def test_quickstart_is_two_commands_and_ci_runs_the_test_command() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quickstart, re.DOTALL)
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "s2a run" in commands[0] and "[local]" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in [line.strip() for line in ci.splitlines()]
