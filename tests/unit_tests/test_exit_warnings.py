"""The interpreter exits without warnings after the package's own use of llama.cpp (issue 23)."""

import subprocess
import sys

import pytest

CODE = """
from langchain_s2a.models._llama_backend import compile_grammar
compile_grammar('root ::= "a"')  # imports llama_cpp, whose _utils opens /dev/null twice
"""


def test_no_resource_warning_about_dev_null_at_exit() -> None:
    """Issue 23 item 12: llama_cpp's /dev/null handles were reported unclosed at exit."""
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", CODE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ResourceWarning" not in done.stderr and "/dev/null" not in done.stderr
