"""Lint and type checks run with the suite, so CI enforces them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["langchain_s2a", "graphs", "tests", "benchmarks", "cookbook", "scripts"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    paths = [t for t in TARGETS if (ROOT / t).exists()]
    return subprocess.run([*args, *paths], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff not installed (the lint dependency group)",
)
def test_ruff_check_and_format() -> None:
    ruff = str(Path(sys.executable).parent / "ruff")
    check = _run(ruff, "check", "--output-format", "concise")
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = _run(ruff, "format", "--check")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    pytest.importorskip("mypy", reason="needs mypy (the lint dependency group)")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "langchain_s2a", "graphs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
