"""Every docstring example in the package, and every Python block of the docs pages, runs.

The docs pages' blocks run offline with fakes, each page's blocks in order in one
namespace (a later block may use a name an earlier one defined, as a reader would).
Blocks marked ``<!-- docs-test: servers -->`` need a real server: they run in
``tests/integration_tests/test_docs_servers.py``, against servers the test starts.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import pytest
from langgraph.checkpoint.memory import InMemorySaver

import langchain_s2a
from tests._doc_blocks import MARKERS, python_blocks

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(langchain_s2a.__path__, "langchain_s2a.")
    if not m.name.endswith("models.huggingface")
)
DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC_PAGES = sorted(
    page.relative_to(DOCS.parent).as_posix()
    for page in DOCS.rglob("*.md")
    if page.relative_to(DOCS).parts[0] != "results"
    and python_blocks(page.relative_to(DOCS.parent).as_posix())
)
"""Every docs page with a Python block (the run folders of ``docs/results/`` hold none)."""
SERVER_URLS = ("http://127.0.0.1:8000", "http://127.0.0.1:2024")
"""The servers ``test_docs_servers.py`` replaces with the ones it starts."""


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


class FakePostgresSaver(InMemorySaver):
    """Stands in for ``langgraph.checkpoint.postgres.PostgresSaver``: no database here."""

    opened: ClassVar[list[str]] = []
    set_up: ClassVar[int] = 0

    @classmethod
    @contextmanager
    def from_conn_string(cls, conn_string: str) -> Iterator[FakePostgresSaver]:
        cls.opened.append(conn_string)
        yield cls()

    def setup(self) -> None:
        type(self).set_up += 1


@pytest.fixture
def fake_postgres(monkeypatch: pytest.MonkeyPatch) -> type[FakePostgresSaver]:
    module = types.ModuleType("langgraph.checkpoint.postgres")
    module.PostgresSaver = FakePostgresSaver  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "langgraph.checkpoint.postgres", module)
    monkeypatch.setattr(FakePostgresSaver, "opened", [])
    monkeypatch.setattr(FakePostgresSaver, "set_up", 0)
    return FakePostgresSaver


def test_doc_pages_have_python_blocks() -> None:
    for page in ["docs/servers.md", "docs/scaling.md", "docs/guides/chain.md"]:
        assert page in DOC_PAGES, page
    for page in DOC_PAGES:
        blocks = python_blocks(page)
        assert any(b.marker is None for b in blocks), page
        assert all(b.marker is None or b.marker in MARKERS for b in blocks), page


@pytest.mark.parametrize("page", DOC_PAGES)
def test_doc_page_examples_run(
    page: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_postgres: type[FakePostgresSaver],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)  # the SQLite example writes its database here
    namespace: dict[str, object] = {}
    for block in python_blocks(page):
        if block.marker is not None:
            continue
        block.run(namespace)
        out = capsys.readouterr().out
        for expected in block.expected_prints():
            assert expected in out, f"{block.id}: {expected!r} not printed; got {out!r}"
    if page == "docs/scaling.md":
        assert (tmp_path / "s2a-checkpoints.sqlite").exists()
        assert fake_postgres.set_up == 1
        assert [uri.split("@")[-1] for uri in fake_postgres.opened] == [
            "db.internal:5432/s2a?sslmode=require"
        ]


def test_server_blocks_target_a_server_the_integration_test_starts() -> None:
    marked = [b for page in DOC_PAGES for b in python_blocks(page) if b.marker == "servers"]
    assert len(marked) == 3
    for block in marked:
        assert sum(url in block.code for url in SERVER_URLS) == 1, block.id
