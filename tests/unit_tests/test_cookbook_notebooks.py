"""The rendered cookbook notebooks stay in sync with their jupytext scripts."""

from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext", reason="needs jupytext (langchain-s2a[test])")

COOKBOOK = Path(__file__).resolve().parents[2] / "cookbook"
SCRIPTS = sorted(COOKBOOK.glob("[0-9]*.py"))


def _cells(notebook: object) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in notebook.cells]  # type: ignore[attr-defined]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_matches_script(script: Path) -> None:
    rendered = script.with_suffix(".ipynb")
    assert rendered.exists(), f"render it: jupytext --to ipynb {script.name}"
    assert _cells(jupytext.read(script)) == _cells(jupytext.read(rendered)), (
        f"{rendered.name} is stale; re-render: jupytext --to ipynb {script.name}"
    )
