"""The committed cookbook notebooks match their jupytext scripts and hold outputs of that code.

The scripts (``cookbook/NN_*.py``) are the source; ``scripts/run_cookbook.py`` executes them
with the embedded model and writes the ``.ipynb`` with outputs and a digest of the code cells
it ran. These checks are offline: re-executing with the model is
tests/integration_tests/test_cookbook_local.py.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

jupytext = pytest.importorskip("jupytext", reason="needs jupytext (the test dependency group)")

ROOT = Path(__file__).resolve().parents[2]
COOKBOOK = ROOT / "cookbook"
SCRIPTS = sorted(COOKBOOK.glob("[0-9]*.py"))
REGENERATE = "python scripts/run_cookbook.py"


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_cookbook", ROOT / "scripts/run_cookbook.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_cookbook = _runner()


def _cells(notebook: object) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in notebook.cells]  # type: ignore[attr-defined]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_matches_script(script: Path) -> None:
    rendered = script.with_suffix(".ipynb")
    assert rendered.exists(), f"render it: {REGENERATE} {script.name[:2]}"
    assert _cells(jupytext.read(script)) == _cells(jupytext.read(rendered)), (
        f"{rendered.name} is stale; re-run: {REGENERATE} {script.name[:2]}"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_outputs_come_from_its_code(script: Path) -> None:
    notebook = jupytext.read(script.with_suffix(".ipynb"))
    run = notebook.metadata.get(run_cookbook.METADATA_KEY)
    assert run, f"{script.stem}.ipynb was not executed; run: {REGENERATE} {script.name[:2]}"
    # Run with the embedded model, not the scripted stand-ins.
    assert run["model"] == "local" or run["model"].startswith("local:"), run["model"]
    # The code that produced the outputs is the code committed (in the script and the notebook).
    assert run["code_sha256"] == run_cookbook.code_digest(notebook)
    assert run["code_sha256"] == run_cookbook.code_digest(jupytext.read(script)), (
        f"{script.name} changed since its outputs were made; re-run: {REGENERATE} {script.name[:2]}"
    )
    code = [c for c in notebook.cells if c.cell_type == "code"]
    # One kernel, top to bottom, every cell once, none failed.
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for c in code for o in c.outputs)
    assert printed.strip(), "the notebook shows no output"


def test_digest_covers_code_cells_only() -> None:
    notebook = jupytext.reads("# %%\nx = 1\n\n# %% [markdown]\n# Text\n", fmt="py:percent")
    digest = run_cookbook.code_digest(notebook)
    notebook.cells[1].source = "# Other text"
    assert run_cookbook.code_digest(notebook) == digest
    notebook.cells[0].source = "x = 2"
    assert run_cookbook.code_digest(notebook) != digest
