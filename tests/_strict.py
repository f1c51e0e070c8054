"""Skips for a missing requirement become failures under ``S2A_REQUIRE_ALL=1``.

A plain ``pytest`` run on a partial install skips the real-model, server, lint and
notebook tests with a reason. CI must not: ``scripts/test.sh`` (which ``.ci/run``
calls) installs every extra and sets ``S2A_REQUIRE_ALL=1``, and then a test skipped
because a package, a model or a tool is missing fails with that reason instead, so
a partial install cannot pass CI with no real-model coverage.

The conftests of ``tests/unit_tests`` and ``tests/integration_tests`` import the two
hooks below. A skip counts as a missing requirement when its reason matches
:data:`MISSING_REQUIREMENT` (``pytest.importorskip``'s own "could not import ...",
and our "needs ..." / "... not installed" reasons); other skips stay skips.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator

import pytest

REQUIRE_ALL_ENV = "S2A_REQUIRE_ALL"
"""Environment variable that turns requirement skips into failures (``1`` to enable)."""

MISSING_REQUIREMENT = re.compile(
    r"could not import|no module named|not installed|\bneeds\b|missing requirement",
    re.IGNORECASE,
)
"""Skip reasons that name a missing requirement."""


def require_all() -> bool:
    """Whether ``$S2A_REQUIRE_ALL`` asks for every requirement to be present."""
    return os.environ.get(REQUIRE_ALL_ENV, "").strip().lower() not in {"", "0", "false", "no"}


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason of a skipped report (``""`` when there is none)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def _fail_missing_requirement(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail") or not require_all():
        return
    reason = skip_reason(report)
    if MISSING_REQUIREMENT.search(reason):
        report.outcome = "failed"
        report.longrepr = (
            f"{REQUIRE_ALL_ENV}=1: a missing requirement fails instead of skipping: {reason}\n"
            "Install every extra (bash scripts/test.sh does), or unset "
            f"{REQUIRE_ALL_ENV} to let a partial install skip."
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail a test (setup, call or teardown) skipped for a missing requirement."""
    report = yield
    _fail_missing_requirement(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Fail a module skipped at import (a module-level ``importorskip``)."""
    report = yield
    _fail_missing_requirement(report)
    return report
