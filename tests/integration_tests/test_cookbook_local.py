"""Re-execute the committed cookbook notebooks with the embedded model and compare outputs.

``scripts/run_cookbook.py`` wrote each ``cookbook/NN_*.ipynb`` from its jupytext script with
the model named in the notebook's metadata (greedy decoding, ``S2A_LLAMA_THREADS`` threads).
Running the same script again the same way must give the same cells and the same printed
outputs, timings and LangGraph task ids aside; a difference means the committed outputs did not come from the
committed code (or the package changed what it does: regenerate and review the diff).

Each notebook takes about a minute with the 1.5B model on one thread.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = [pytest.mark.local_model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "cookbook").glob("[0-9][0-9]_*.py"))
TIMING = re.compile(r"\d+(?:\.\d+)? s\b")
# LangGraph task ids in subgraph namespaces (`s2a:<uuid>`) are new on every run.
TASK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_cookbook", ROOT / "scripts/run_cookbook.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _outputs(notebook: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each code cell's source with its outputs (type and text; timings and task ids masked)."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            text = TASK_ID.sub("<task-id>", TIMING.sub("<t> s", "".join(text)))
            outputs.append((output.output_type, text))
        cells.append((cell.source.strip(), outputs))
    return cells


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_committed_outputs_are_reproduced(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jupytext = pytest.importorskip("jupytext", reason="needs jupytext (the test dependency group)")
    pytest.importorskip("nbclient", reason="needs nbclient (the test dependency group)")
    pytest.importorskip("ipykernel", reason="needs ipykernel (the test dependency group)")
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")
    from langchain_s2a.errors import LocalModelNotInstalledError
    from langchain_s2a.models._weights import ensure_model_file

    run_cookbook = _runner()
    committed = jupytext.read(script.with_suffix(".ipynb"))
    run = committed.metadata.get(run_cookbook.METADATA_KEY)
    assert run, f"{script.stem}.ipynb has no outputs; run: python scripts/run_cookbook.py"
    size = run["model"].partition(":")[2] or "1.5b"
    try:
        ensure_model_file(size)
    except LocalModelNotInstalledError as exc:
        pytest.skip(f"model {size} not installed: {exc}")
    monkeypatch.setenv("S2A_LLAMA_THREADS", str(run["llama_threads"]))

    fresh = run_cookbook.execute(script, model=run["model"])

    assert [(c.cell_type, c.source.strip()) for c in fresh.cells] == [
        (c.cell_type, c.source.strip()) for c in committed.cells
    ], f"{script.name} and its notebook differ; re-run: python scripts/run_cookbook.py"
    assert fresh.metadata[run_cookbook.METADATA_KEY]["code_sha256"] == run["code_sha256"]
    for (source, expected), (_, got) in zip(_outputs(committed), _outputs(fresh), strict=True):
        assert got == expected, f"outputs of this cell changed:\n{source}"
