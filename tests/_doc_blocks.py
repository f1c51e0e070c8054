"""The Python blocks of the Markdown docs, for the tests that execute them.

A block runs offline, with fakes, unless the line just above its fence marks it
``<!-- docs-test: servers -->``: such a block talks to a real server and is run by
``tests/integration_tests/test_docs_servers.py`` against one the test starts.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARKERS = frozenset({"servers"})
"""The markers a block may carry."""

_FENCE = re.compile(r"^(?P<indent>[ ]*)```python\n(?P<code>.*?)^(?P=indent)```", re.M | re.S)
_MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<marker>[\w-]+)\s*-->")
_EXPECTED = re.compile(r"\s*print\(.*\)\s+#\s*(?P<expected>.+)$")


@dataclass(frozen=True)
class DocBlock:
    """One ```` ```python ```` block of a Markdown page."""

    page: str
    line: int
    marker: str | None
    code: str

    @property
    def id(self) -> str:
        """``page:line`` of the block's first code line."""
        return f"{self.page}:{self.line}"

    def run(self, namespace: dict[str, Any] | None = None, *, code: str | None = None) -> None:
        """Execute the block (or ``code`` derived from it); tracebacks name the page's lines."""
        source = "\n" * (self.line - 1) + (self.code if code is None else code)
        exec(compile(source, str(ROOT / self.page), "exec"), {} if namespace is None else namespace)

    def expected_prints(self) -> list[str]:
        """What the block's ``print(...)  # expected`` lines say they print."""
        return [
            m.group("expected").strip() for m in map(_EXPECTED.match, self.code.splitlines()) if m
        ]


def python_blocks(page: str) -> list[DocBlock]:
    """The Python blocks of ``page`` (a path relative to the repository root), in order."""
    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = []
    for fence in _FENCE.finditer(text):
        above = text[: fence.start()].rstrip("\n").rpartition("\n")[2]
        marker = _MARKER.search(above)
        blocks.append(
            DocBlock(
                page=page,
                line=text.count("\n", 0, fence.start("code")) + 1,
                marker=marker.group("marker") if marker else None,
                code=textwrap.dedent(fence.group("code")),
            )
        )
    return blocks
