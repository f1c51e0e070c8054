"""Run every benchmark script's ``main`` with a fake model and tiny sizes, so none rots."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from tests.fakes import FakeChat, is_rewrite_prompt

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def obedient(messages: list[BaseMessage]) -> str:
    """A fake that obeys injections in the baseline and rewrites sensibly for S2A."""
    text = messages[-1].text
    if is_rewrite_prompt(messages):
        if "Keep:" in text or "保留：" in text:
            return "Keep: none\nQuestion: 1"
        last = text.rsplit("</user_text>", 1)[0].strip().splitlines()[-1]
        return f"Context: none\nQuestion: {last}"
    return "HACKED" if "HACKED" in text else "Paris"


def test_injection_set_is_well_formed() -> None:
    module = load("injection_eval")
    items = module.load_injections()
    assert len(items) >= 120
    tune, report = module.load_injections(split="tune"), module.load_injections(split="report")
    assert len(tune) + len(report) == len(items) and not {i.id for i in tune} & {
        i.id for i in report
    }
    assert {i.language for i in items} == {"en", "zh"}
    assert len({i.id for i in items}) == len(items)
    assert [i.language for i in module.load_injections(limit=3)] == ["en", "zh", "en"]
    for item in items:
        assert item.question in item.input and item.answers and item.marker
        assert not module.injected(item.answers[0], item)  # the honest answer is no hit
        assert module.honest(item.answers[0], item)
    assert {"chat_template", "fake_label", "role_play", "system_prompt"} <= {
        i.category for i in items
    }


def test_injection_eval_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = load("injection_eval")
    out = tmp_path / "injection.json"
    report = module.main(
        ["--limit", "4", "--output", str(out), "--quiet"], model=FakeChat(respond=obedient)
    )
    assert json.loads(out.read_text("utf-8")) == report
    summary = report["summary"]
    assert set(summary) == {"baseline", "opinion", "relevance"}
    assert all(row["n"] == 4 and row["errors"] == 0 for row in summary.values())
    assert set(summary["opinion"]["by_language"]) == {"en", "zh"}
    assert "ratio_to_baseline" in summary["relevance"]["by_language"]["en"]
    assert summary["baseline"]["injected"] >= 1  # the fake obeys "HACKED" when it sees it
    assert "condition" in capsys.readouterr().out


def test_overhead_main(tmp_path: Path) -> None:
    module = load("overhead")
    out = tmp_path / "overhead.json"
    report = module.main(
        ["--calls", "5", "--batch", "10", "--concurrency", "1,4", "--output", str(out), "--profile"]
    )
    assert json.loads(out.read_text("utf-8"))["batch"] == report["batch"]
    assert [r["max_concurrency"] for r in report["batch"]] == [1, 4, 1, 4]
    assert all(r["errors"] == 0 for r in report["batch"])
    for kind in ("sync", "async"):
        assert set(report["per_call"][kind]["overhead_us"]) == {"chain", "graph", "rewriter"}
    assert "tottime" in report["profiles"]["chain"]


def stage_reply(messages: list[BaseMessage]) -> str:
    # Every call takes a few ms, so mean latencies never round (to 1 ms) down to zero,
    # which would leave the baseline ratio undefined.
    time.sleep(0.003)
    if is_rewrite_prompt(messages):
        if "Keep:" in messages[-1].text:
            return "Keep: 1\nQuestion: 2"
        return "Context: none\nQuestion: How many apples does Tom have?"
    return "Final answer: 3"


def test_stages_main(tmp_path: Path) -> None:
    module = load("stages")
    out = tmp_path / "stages.json"
    report: dict[str, Any] = module.main(
        ["--task", "both", "--limit", "1", "--output", str(out), "--quiet"],
        model=FakeChat(respond=stage_reply),
    )
    assert json.loads(out.read_text("utf-8"))["ratios"] == report["ratios"]
    conditions = report["conditions"]
    assert set(conditions) == {"baseline", "split", "single", "extractive"}
    sizes = {row["n"] for row in conditions.values()}
    assert len(sizes) == 1 and sizes.pop() >= 2  # both tasks, every condition
    assert all(row["errors"] == 0 for row in conditions.values())
    assert conditions["baseline"]["rewrite_out"] == 0
    assert conditions["split"]["rewrite_out"] > conditions["extractive"]["rewrite_out"] > 0
    assert report["ratios"]["baseline"] == 1.0
    assert report["peak_rss_mb"]["end"] > 0
    assert "extractive_rewrite_tokens_vs_split" in report["goals"]


def test_noise_floor_counts_flips_between_two_runs(tmp_path: Path) -> None:
    module = load("noise_floor")

    def row(item: str, correct: bool, answer: str) -> str:
        return json.dumps(
            {
                "task": "gsm-ic",
                "condition": "baseline",
                "item_id": item,
                "group_id": item[:1],
                "gold": ["3"],
                "correct": correct,
                "error": None,
                "generation": {"answer": answer, "engine": {"threads": 1}},
            }
        )

    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("\n".join([row("a1", True, "3"), row("b1", True, "3")]), "utf-8")
    second.write_text("\n".join([row("a1", True, "3 "), row("b1", False, "4")]), "utf-8")
    table = module.main([str(first), str(second), "--output", str(tmp_path / "n.json")])
    cell = table["gsm-ic/baseline"]
    assert (cell["n"], cell["text_changed"], cell["flips"], cell["net"]) == (2, 2, 1, -1)
    assert json.loads((tmp_path / "n.json").read_text("utf-8"))["conditions"] == table
