"""``S2A_REQUIRE_ALL=1`` turns skips for a missing requirement into failures.

The hooks of ``tests/_strict.py`` run in a pytest subprocess on a tiny test tree, once
with the variable unset (a local run: everything skips with its reason) and once set
(CI: only the skips that do not name a missing requirement stay skips).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests._strict import MISSING_REQUIREMENT, REQUIRE_ALL_ENV, require_all

ROOT = Path(__file__).resolve().parents[2]

CASES = """
import pytest


def test_passes():
    pass


def test_importorskip_default_reason():
    pytest.importorskip("no_such_module_s2a_strict")


def test_importorskip_with_reason():
    pytest.importorskip("no_such_module_s2a_strict", reason="needs no_such_module (an extra)")


@pytest.fixture
def model():
    pytest.skip("embedded model 9b not installed: no such package")


def test_fixture_skip(model):
    pass


@pytest.mark.skipif(True, reason="ruff not installed")
def test_skipif_marker():
    pass


def test_unrelated_skip():
    pytest.skip("only meaningful on Windows")


@pytest.mark.xfail(reason="needs a fix upstream", strict=True)
def test_xfail():
    raise AssertionError
"""

MODULE_SKIP = """
import pytest

pytest.importorskip("no_such_module_s2a_strict")


def test_never_collected():
    pass
"""


def _run(tmp_path: Path, *, strict: str | None, module_skip: bool = False) -> tuple[int, str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        "from tests._strict import pytest_make_collect_report, pytest_runtest_makereport\n"
        '__all__ = ["pytest_make_collect_report", "pytest_runtest_makereport"]\n'
    )
    (tmp_path / "test_cases.py").write_text(textwrap.dedent(CASES))
    if module_skip:
        (tmp_path / "test_module_skip.py").write_text(textwrap.dedent(MODULE_SKIP))
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_ALL_ENV}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only the hooks under test (and faster)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    if strict is not None:
        env[REQUIRE_ALL_ENV] = strict
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.returncode, out.stdout + out.stderr


def test_local_run_skips_with_reasons(tmp_path: Path) -> None:
    code, out = _run(tmp_path, strict=None)
    assert code == 0, out
    assert "1 passed, 5 skipped, 1 xfailed" in out
    assert "could not import 'no_such_module_s2a_strict'" in out  # the reason is shown
    assert "embedded model 9b not installed" in out


def test_zero_is_a_local_run(tmp_path: Path) -> None:
    code, out = _run(tmp_path, strict="0")
    assert code == 0, out
    assert "5 skipped" in out


def test_require_all_fails_missing_requirements(tmp_path: Path) -> None:
    code, out = _run(tmp_path, strict="1")
    assert code == 1, out
    failed = {line.split()[1] for line in out.splitlines() if line.startswith(("FAILED", "ERROR"))}
    assert failed == {
        "test_cases.py::test_importorskip_default_reason",
        "test_cases.py::test_importorskip_with_reason",
        "test_cases.py::test_fixture_skip",
        "test_cases.py::test_skipif_marker",
    }, out
    # A skip for another reason, and an xfail whose reason says "needs", are untouched.
    assert "SKIPPED [1] test_cases.py:" in out and "only meaningful on Windows" in out
    assert "1 xfailed" in out
    assert f"{REQUIRE_ALL_ENV}=1: a missing requirement fails instead of skipping" in out


def test_require_all_fails_a_module_level_importorskip(tmp_path: Path) -> None:
    code, out = _run(tmp_path, strict="1", module_skip=True)
    assert code != 0, out
    assert "ERROR test_module_skip.py" in out or "ERROR collecting test_module_skip.py" in out
    assert "could not import 'no_such_module_s2a_strict'" in out

    code, out = _run(tmp_path, strict=None, module_skip=True)
    assert code == 0, out
    assert "6 skipped" in out


@pytest.mark.parametrize(
    ("reason", "missing"),
    [
        ("could not import 'jupytext': No module named 'jupytext'", True),
        ("needs llama-cpp-python (langchain-s2a[local])", True),
        ("embedded model 0.5b not installed: ...", True),
        ("ruff not installed", True),
        ("only meaningful on Windows", False),
        ("flaky upstream", False),
    ],
)
def test_missing_requirement_pattern(reason: str, missing: bool) -> None:
    assert bool(MISSING_REQUIREMENT.search(reason)) is missing


def test_require_all_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in [("1", True), ("yes", True), ("0", False), ("false", False)]:
        monkeypatch.setenv(REQUIRE_ALL_ENV, value)
        assert require_all() is expected
    monkeypatch.delenv(REQUIRE_ALL_ENV)
    assert require_all() is False


def test_ci_sets_require_all() -> None:
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert f"export {REQUIRE_ALL_ENV}=" in script
