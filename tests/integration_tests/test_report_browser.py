"""report.html in a real headless Chromium (Debian's ``chromium`` package).

An evaluation is run on the scripted sycophantic fake model and written with
``write_report``; the page is opened from its ``file://`` URL over the DevTools
protocol (``_chromium.py``). The test checks that it loads with no console error,
exception or network request, that the filters change which items and answers are
shown (the counts are computed here from the results), that the rewrite diff strikes
out the dropped opinion sentence, that an item anchor reveals a filtered-out item,
and saves a screenshot (``$S2A_TEST_ARTIFACTS`` or the test's tmp dir).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_s2a.eval import (
    ItemResult,
    compute_metrics,
    load_gsm_ic,
    load_trivia,
    run_eval,
    write_report,
)
from langchain_s2a.eval.html import item_anchor
from tests.integration_tests._chromium import Page, chromium_binary, open_page
from tests.unit_tests.eval.conftest import KNOWLEDGE, gsm_rows, trivia_rows
from tests.unit_tests.eval.fake_model import SycophantFake

pytestmark = pytest.mark.browser

CONDITIONS = ["baseline", "oracle", "s2a", "instructed"]
OPINION = " I think the answer is Lyon but I'm really not sure."


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[ItemResult], Path]:
    work = tmp_path_factory.mktemp("report")
    items = load_trivia(_jsonl(work / "trivia.jsonl", trivia_rows()))
    items += load_gsm_ic(_jsonl(work / "gsm.jsonl", gsm_rows()))
    model = SycophantFake(knowledge=KNOWLEDGE)
    results = run_eval(items, CONDITIONS, model=model, progress=False)
    paths = write_report(work / "out", results, compute_metrics(results), config={"seed": 0})
    return results, paths["html"]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    if chromium_binary() is None:
        pytest.skip("chromium is not installed (bash scripts/system-deps.sh)")
    log = tmp_path_factory.mktemp("chromium") / "chromium.log"
    with log.open("wb") as out, open_page(log=out) as p:
        p.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield p


def _expected(
    results: list[ItemResult],
    *,
    shown: set[str],
    outcome: str = "",
    category: str = "",
    text: str = "",
) -> int:
    """How many items the page should show for these filters (the page's rule, in Python)."""
    items: dict[tuple[str, str], list[ItemResult]] = {}
    for r in results:
        items.setdefault((r.item.task, r.item.item_id), []).append(r)
    count = 0
    for rs in items.values():
        marks = [r.correct for r in rs if r.condition in shown]
        ok = bool(marks) and (not category or rs[0].item.category == category)
        ok = ok and {"right": all(marks), "wrong": not any(marks)}.get(outcome, True)
        if outcome == "mixed":
            ok = ok and any(marks) and not all(marks)
        if text:
            found = [rs[0].item.prompt, *(r.generation.answer for r in rs if r.generation)]
            ok = ok and any(text.lower() in f.lower() for f in found)
        count += ok
    return count


_VISIBLE = "Array.from(document.querySelectorAll({!r})).filter(e => e.offsetParent !== null).length"


def _visible(page: Page, selector: str = "article.item") -> int:
    return int(page.evaluate(_VISIBLE.format(selector)))


def _select(page: Page, name: str, value: str) -> None:
    page.evaluate(
        f"(() => {{ const s = document.querySelector('select[name={name}]'); s.value = {value!r};"
        " s.dispatchEvent(new Event('input', {bubbles: true})); })()"
    )


def _type(page: Page, text: str) -> None:
    page.evaluate(
        "(() => { const q = document.querySelector('input[name=q]'); q.focus();"
        f" q.value = {text!r}; q.dispatchEvent(new Event('input', {{bubbles: true}})); }})()"
    )


def _click_condition(page: Page, condition: str) -> None:
    page.evaluate(f"document.querySelector('input[name=condition][value={condition}]').click()")


def test_report_page_in_chromium(
    page: Page, run: tuple[list[ItemResult], Path], tmp_path: Path
) -> None:
    results, path = run
    url = path.resolve().as_uri()
    page.goto(url)

    # 1. It loads from the file without errors and requests nothing but itself and data: URIs.
    assert page.problems() == []
    assert {u for u in page.requested_urls() if not u.startswith("data:")} == {url}
    n_items = len({(r.item.task, r.item.item_id) for r in results})
    assert page.evaluate("document.querySelectorAll('article.item').length") == n_items
    assert _visible(page) == n_items
    assert page.evaluate("document.getElementById('summary').textContent").startswith(
        f"{n_items} of {n_items} items shown"
    )
    assert page.evaluate("document.querySelector('img.chart').naturalWidth") > 100

    # 2. The filters change what is shown, as computed from the results.
    every = set(CONDITIONS)
    _select(page, "outcome", "wrong")
    assert _visible(page) == _expected(results, shown=every, outcome="wrong")
    _select(page, "outcome", "mixed")
    mixed = _visible(page)
    assert mixed == _expected(results, shown=every, outcome="mixed")
    assert 0 < mixed < n_items
    _click_condition(page, "oracle")
    _click_condition(page, "instructed")
    shown = {"baseline", "s2a"}
    assert _visible(page) == _expected(results, shown=shown, outcome="mixed")
    assert _visible(page, "tr[data-condition=oracle]") == 0
    assert _visible(page, "tr[data-condition=s2a]") == _visible(page)
    _select(page, "category", "suggest_incorrect")
    assert _visible(page) == _expected(
        results, shown=shown, outcome="mixed", category="suggest_incorrect"
    )
    assert _visible(page) > 0  # S2A answers right where the baseline parrots
    _select(page, "outcome", "right")
    assert _visible(page) == _expected(
        results, shown=shown, outcome="right", category="suggest_incorrect"
    )
    page.evaluate("document.querySelector('button[type=reset]').click()")
    page.evaluate("new Promise(r => setTimeout(r, 50))")
    assert _visible(page) == n_items
    _type(page, "hexagon")
    assert _visible(page) == _expected(results, shown=every, text="hexagon") == 4

    # 3. The diff of the S2A rewrite strikes out the dropped opinion sentence.
    france = next(
        r.item
        for r in results
        if "France" in r.item.prompt and r.item.category == "suggest_incorrect"
    )
    anchor = item_anchor(france.task, france.item_id)
    dropped = page.evaluate(
        f"Array.from(document.querySelectorAll('#{anchor} .rewrite[data-conditions~=s2a] del'),"
        " d => [d.textContent, getComputedStyle(d).textDecorationLine])"
    )
    assert dropped == [[OPINION, "line-through"]]

    # 4. Its anchor reveals the item even though the text filter hides it.
    assert page.evaluate(f"document.getElementById('{anchor}').offsetParent === null")
    page.evaluate(f"location.hash = '#{anchor}'")
    page.evaluate("new Promise(r => setTimeout(r, 100))")
    assert page.evaluate(f"document.getElementById('{anchor}').offsetParent !== null")
    assert _visible(page) == n_items

    # 5. A screenshot of the item, and still no console error after all that.
    out_dir = Path(os.environ.get("S2A_TEST_ARTIFACTS", str(tmp_path)))
    out_dir.mkdir(parents=True, exist_ok=True)
    shot = page.screenshot(out_dir / "report-browser-test.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    print(f"\n[report-browser] screenshot {shot}")
    assert page.problems() == []
