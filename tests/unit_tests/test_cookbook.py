"""Every cookbook script runs offline, with its scripted models, in the test process."""

import runpy
from pathlib import Path

import pytest

COOKBOOK = Path(__file__).resolve().parents[2] / "cookbook"
SCRIPTS = sorted(COOKBOOK.glob("[0-9][0-9]_*.py"))


def test_the_cookbook_is_complete() -> None:
    assert [p.name for p in SCRIPTS] == [
        "01_lcel_chain.py",
        "02_rag_compressor.py",
        "03_agent_middleware.py",
        "04_graph_checkpoint_streaming.py",
        "05_extractive_vs_abstractive.py",
        "06_chat_model.py",
    ]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_cookbook_script_runs(
    script: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("S2A_COOKBOOK_MODEL", raising=False)
    text = script.read_text(encoding="utf-8")
    assert text.startswith("# ---\n# jupyter:") and "# %% [markdown]" in text  # jupytext percent
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()  # each script shows its results
