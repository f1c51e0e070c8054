"""The docs site builds strictly, and what the docs name and quote exists.

* ``mkdocs build --strict`` passes: no broken link, missing anchor, unreadable docstring
  or unresolved reference (``mkdocs.yml`` turns each into a warning, and a warning into a
  failure).
* Every ``s2a`` command line in the README and the docs parses with the real parser.
* Every module, attribute and repository path the docs name in backticks exists, and
  every relative link of the README resolves (the site build checks the docs pages').
* ``docs/results/``: every run folder is cited by the README or a docs page, and every
  figure quoted with its interval (``NN.N [LL.L, HH.H]``) on a page occurs in a run the
  page cites: a folder's ``results.md`` / ``results.json``, or a ``benchmarks/results``
  JSON file.
"""

from __future__ import annotations

import glob
import importlib
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_s2a.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
RESULTS = DOCS / "results"
PAGES = [
    "README.md",
    *sorted(p.relative_to(ROOT).as_posix() for p in DOCS.rglob("*.md") if RESULTS not in p.parents),
]
"""The README and every docs page but the run folders' own files and the results index."""


def _text(page: str) -> str:
    return (ROOT / page).read_text(encoding="utf-8")


# ----------------------------------------------------------------------- the site build
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason="needs mkdocs (the docs dependency group)")
    site = tmp_path / "site"
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "WARNING" not in out.stderr, out.stderr
    # The API reference was rendered from the docstrings, the changelog included.
    chain = (site / "reference" / "chain" / "index.html").read_text(encoding="utf-8")
    assert 'id="langchain_s2a.chain.create_s2a_chain"' in chain
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "What the default keeps and drops (rewrite rules 10-13)" in changelog
    assert not (site / "results" / "cache").exists()  # the generation cache is no page
    assert not (site / "results" / "rag-cache").exists()


def test_the_changelog_page_includes_the_changelog() -> None:
    assert '--8<-- "CHANGELOG.md"' in _text("docs/changelog.md")


def test_every_docs_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in PAGES[1:]:
        assert page.removeprefix("docs/") in nav, page
    assert "results/README.md" in nav


# ---------------------------------------------------------------------- command lines
def _fences(text: str, languages: str = "bash|text|sh") -> Iterator[str]:
    for match in re.finditer(rf"^```(?:{languages})\n(.*?)^```", text, re.M | re.S):
        yield match.group(1).replace("\\\n", " ")


def _s2a_commands(text: str) -> Iterator[str]:
    lines = [line for fence in _fences(text, "bash|sh") for line in fence.splitlines()]
    lines += re.findall(r"`(s2a (?:run|eval)\b[^`]*)`", text)
    for line in lines:
        for part in re.split(r"&&|\|", line.split(" # ", 1)[0]):
            words = part.split()
            if words and (words[0] == "s2a" or words[0].endswith("/s2a")):
                yield part.strip()


def test_docs_show_s2a_commands() -> None:
    commands = [c for page in PAGES for c in _s2a_commands(_text(page))]
    assert any(" run " in c for c in commands) and any(" eval " in c for c in commands)


@pytest.mark.parametrize("page", PAGES)
def test_every_s2a_command_parses(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for command in _s2a_commands(_text(page)):
        try:
            parser.parse_args(shlex.split(command)[1:])
        except SystemExit as done:
            if done.code == 0:  # --help
                continue
            pytest.fail(f"{page}: {command!r} does not parse: {capsys.readouterr().err}")


# ---------------------------------------------------------------- names and paths exist
_MODULE_NAME = re.compile(r"`(langchain_s2a(?:\.\w+)+)`")
_REPO_PATH = re.compile(
    r"(?<![\w./-])((?:langchain_s2a|tests|benchmarks|scripts|graphs|cookbook|docs)/[\w./*-]*)"
)


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` names a module (found, not imported: a backend may be missing)
    or an attribute of one."""
    try:
        if importlib.util.find_spec(dotted) is not None:
            return True
    except ImportError:
        pass
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


@pytest.mark.parametrize("page", PAGES)
def test_named_modules_and_paths_exist(page: str) -> None:
    text = re.sub(r"https?://\S+", "", _text(page))
    stale = [name for name in _MODULE_NAME.findall(text) if not _resolves(name)]
    for path in _REPO_PATH.findall(text):
        path = path.rstrip(".").rstrip("/")
        if not (glob.glob(str(ROOT / path)) if "*" in path else (ROOT / path).exists()):
            stale.append(path)
    assert stale == [], f"{page} names what does not exist: {stale}"


def test_readme_links_resolve() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", _text("README.md"))
    local = [link for link in links if "://" not in link]
    assert local, "the README links to the docs"
    assert [link for link in local if not (ROOT / link).exists()] == []


# ------------------------------------------------------------------------ docs/results
RUNS = sorted(
    p.name
    for p in RESULTS.iterdir()
    if p.is_dir() and p.name != "cache" and not p.name.endswith("-cache")
)
"""The run folders: every folder of ``docs/results`` but the generation caches."""
_FIGURE = re.compile(
    r"(?<![\w.])([+−-]?\d+(?:\.\d+)?) \[([+−-]?\d+(?:\.\d+)?), ([+−-]?\d+(?:\.\d+)?)\]"
)

Figure = tuple[float, float, float]


def _figures(text: str) -> set[Figure]:
    def number(s: str) -> float:
        return round(float(s.replace("−", "-")), 1)

    return {(number(a), number(b), number(c)) for a, b, c in _FIGURE.findall(text)}


def _percent(x: float) -> float:
    return round(float(f"{x * 100:.1f}"), 1)


def _json_figures(data: Any) -> Iterator[Figure]:
    """Every rate or difference with its interval in a results JSON, in percent."""
    if isinstance(data, list):
        for item in data:
            yield from _json_figures(item)
        return
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        ci = data.get("ci95") if key in ("rate", "diff") else data.get(f"{key}_ci95")
        if isinstance(value, dict) and isinstance(ci, dict):
            pairs = [(v, ci.get(k)) for k, v in value.items()]
        else:
            pairs = [(value, ci)]
        for v, interval in pairs:
            if isinstance(v, int | float) and isinstance(interval, list) and len(interval) == 2:
                yield (_percent(v), _percent(interval[0]), _percent(interval[1]))
        yield from _json_figures(value)


def _run_figures(run: str) -> set[Figure]:
    folder = RESULTS / run
    found = _figures((folder / "results.md").read_text(encoding="utf-8"))
    if (folder / "results.json").exists():
        found |= set(_json_figures(json.loads((folder / "results.json").read_text("utf-8"))))
    return found


def _cited_runs(text: str) -> list[str]:
    return [run for run in RUNS if re.search(rf"results/{re.escape(run)}(?![\w-])", text)]


def _cited_json(text: str) -> list[str]:
    return sorted(set(re.findall(r"benchmarks/results/([\w.-]+\.json)", text)))


def test_results_has_runs_and_a_cache() -> None:
    assert "report-trivia-v10" in RUNS
    assert (RESULTS / "cache").is_dir()
    for run in RUNS:
        assert (RESULTS / run / "results.md").exists(), run


@pytest.mark.parametrize("run", RUNS)
def test_every_results_folder_is_cited(run: str) -> None:
    citing = [page for page in PAGES if run in _cited_runs(_text(page))]
    assert citing, f"docs/results/{run} is cited by no page: cite it or `git rm -r` it"
    assert f"({run}/results.md)" in _text("docs/results/README.md"), "index it in one line"


@pytest.mark.parametrize("page", PAGES)
def test_quoted_figures_come_from_the_cited_runs(page: str) -> None:
    text = _text(page)
    quoted = _figures(text)
    if not quoted:
        return
    runs, files = _cited_runs(text), _cited_json(text)
    assert runs or files, f"{page} quotes figures with intervals but cites no run"
    known: set[Figure] = set()
    for run in runs:
        known |= _run_figures(run)
    for name in files:
        known |= set(
            _json_figures(json.loads((ROOT / "benchmarks" / "results" / name).read_text("utf-8")))
        )
    missing = sorted(quoted - known)
    assert missing == [], f"{page}: figures in no run it cites: {missing}"


def test_the_figure_check_reads_both_sources() -> None:
    # A figure from a results.md table, and one computed from a benchmark JSON.
    assert (10.0, 5.3, 15.3) in _run_figures("report-trivia-v10")
    injection = json.loads((ROOT / "benchmarks/results/injection_report.json").read_text("utf-8"))
    assert (8.3, 0.0, 20.8) in set(_json_figures(injection))
    assert _figures("−4.6 [−10.8, +1.5] and 68% [56, 80]") == {(-4.6, -10.8, 1.5)}
