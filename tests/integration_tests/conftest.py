"""Integration tests: a skip for a missing package or model fails under ``S2A_REQUIRE_ALL=1``."""

from tests._strict import pytest_make_collect_report, pytest_runtest_makereport

__all__ = ["pytest_make_collect_report", "pytest_runtest_makereport"]
