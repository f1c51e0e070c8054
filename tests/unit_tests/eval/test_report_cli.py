from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from langchain_s2a.eval import (
    PAPER_RESULTS,
    add_eval_arguments,
    compute_metrics,
    load_gsm_ic,
    load_trivia,
    render_markdown,
    run_eval,
    run_eval_command,
    write_chart,
    write_report,
)
from langchain_s2a.eval import runner as runner_module
from langchain_s2a.eval.report import format_paired

from .conftest import KNOWLEDGE
from .fake_model import SycophantFake


@pytest.fixture
def results(trivia_file: Path, gsm_file: Path) -> list[Any]:
    items = load_trivia(trivia_file) + load_gsm_ic(gsm_file)
    model = SycophantFake(knowledge=KNOWLEDGE)
    return run_eval(items, ["baseline", "oracle", "s2a"], model=model, progress=False)


def test_markdown_has_paper_numbers_and_rows(results: list[Any]) -> None:
    md = render_markdown(compute_metrics(results), config={"model": "fake", "command": "s2a eval"})
    assert "## Factual QA with opinions" in md and "## GSM-IC" in md
    assert "| baseline | 9 | 3 | 33.3 [33.3, 33.3] |" in md
    assert "| s2a | 9 | 3 | 100.0 [100.0, 100.0] |" in md
    assert "12 items over 3 questions." in md and "4 items over 2 base problems." in md
    assert "### Behaviour under opinions" in md and "### Paired differences" in md
    # s2a vs baseline on trivia: +66.7 points; s2a vs oracle: no difference
    assert "| s2a | +66.7 [+66.7, +66.7]; p = 0.03 (items), p = 0.25 (units) | 0.0 [0.0, 0.0]" in md
    assert "no detectable difference" in md
    assert "80.3" in md and "62.8" in md and "82.0" in md
    assert "61.3†" in md  # unverified figures are marked
    assert "`s2a eval`" in md
    assert PAPER_RESULTS["trivia"]["s2a"].value == 80.3


def test_write_report_files(tmp_path: Path, results: list[Any]) -> None:
    metrics = compute_metrics(results)
    paths = write_report(tmp_path / "out", results, metrics, config={"seed": 0})
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(paths["json"].read_text())
    assert data["config"] == {"seed": 0}
    assert {m["condition"] for m in data["metrics"]["trivia"]} == {"baseline", "oracle", "s2a"}
    assert data["paper"]["trivia"]["oracle"] == {"value": 82.0, "checked": True}
    rows = [json.loads(line) for line in paths["items"].read_text().splitlines()]
    assert len(rows) == len(results)
    assert {"prompt", "correct", "generation", "error"} <= set(rows[0])


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="s2a eval")
    add_eval_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_end_to_end(
    tmp_path: Path,
    trivia_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = SycophantFake(knowledge=KNOWLEDGE)
    monkeypatch.setattr(runner_module, "resolve_chat_model", lambda spec: model)
    argv = [
        "--task",
        "trivia",
        "--data",
        str(trivia_file),
        "--split",
        "all",
        "--conditions",
        "baseline,oracle,s2a",
        "--model",
        "fake:model",
        "--limit",
        "2",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--out",
        str(tmp_path / "out"),
        "--no-progress",
    ]
    assert run_eval_command(_parse(*argv)) == 0
    out = capsys.readouterr().out
    assert "| s2a | 6 | 2 | 100.0 [100.0, 100.0] |" in out and "fake:model" in out
    assert "2000 resamples" in out
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "results.md",
        "results.json",
        "accuracy.png",
        "items.jsonl",
        "report.html",
    }
    calls = model.calls
    assert run_eval_command(_parse(*argv)) == 0
    assert model.calls == calls  # second run: all cached


def test_cli_bad_arguments(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run_eval_command(_parse("--conditions", "baseline,nope", "--no-cache")) == 2
    assert "unknown condition" in capsys.readouterr().err
    assert run_eval_command(_parse("--data", str(tmp_path / "x.jsonl"))) == 2
    assert "--data needs a single --task" in capsys.readouterr().err
    missing = _parse("--task", "gsm-ic", "--data", str(tmp_path / "missing.jsonl"))
    assert run_eval_command(missing) == 2


def test_cli_reports_item_errors(
    tmp_path: Path, gsm_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = SycophantFake(knowledge=KNOWLEDGE, fail_on=("Ann has",))
    monkeypatch.setattr(runner_module, "resolve_chat_model", lambda spec: model)
    args = _parse(
        "--task",
        "gsm-ic",
        "--data",
        str(gsm_file),
        "--split",
        "all",
        "--conditions",
        "baseline",
        "--model",
        "fake",
        "--no-cache",
        "--out",
        str(tmp_path),
        "--no-progress",
    )
    assert run_eval_command(args) == 1
    rows = [json.loads(x) for x in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert sum(1 for r in rows if r["error"]) == 2


# --- Issue 13 item 6: a model that cannot run stops `s2a eval` before any work or report


def _eval_argv(gsm_file: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--task",
        "gsm-ic",
        "--data",
        str(gsm_file),
        "--split",
        "all",
        "--conditions",
        "baseline,s2a",
        "--no-cache",
        "--no-progress",
        "--out",
        str(out),
        *extra,
    ]


@pytest.mark.parametrize(
    ("model_args", "said"),
    [
        (["--model", "local"], "pip install"),  # no [local] extra: llama_cpp cannot be imported
        (["--model", "foo:bar"], "ValueError: Unable to infer model provider for model='foo:bar'"),
        (["--model", "fake", "--rewriter-model", "local:0.5b"], "pip install"),
    ],
)
def test_eval_with_a_model_that_cannot_run_writes_no_report(
    model_args: list[str],
    said: str,
    tmp_path: Path,
    gsm_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    from langchain_s2a import cli
    from langchain_s2a.models import resolve_chat_model

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if the extra were not installed
    fake = SycophantFake(knowledge=KNOWLEDGE)
    monkeypatch.setattr(
        runner_module,
        "resolve_chat_model",
        lambda spec: fake if spec == "fake" else resolve_chat_model(spec),
    )
    out = tmp_path / "out"
    assert cli.main(_eval_argv(gsm_file, out, *model_args)) == 1
    captured = capsys.readouterr()
    assert not out.exists()  # no report of 0% accuracy
    assert captured.out == "" and fake.calls == 0  # nothing ran
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("s2a: error: ") and said in lines[0]


def test_eval_model_error_message_matches_s2a_run(
    tmp_path: Path,
    gsm_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from langchain_s2a import cli

    assert cli.main(_eval_argv(gsm_file, tmp_path / "out", "--model", "foo:bar")) == 1
    eval_line = capsys.readouterr().err.strip()
    assert cli.main(["run", "What is 2+2?", "--model", "foo:bar"]) == 1
    assert capsys.readouterr().err.strip() == eval_line
    assert cli.main(_eval_argv(gsm_file, tmp_path / "out", "--model", "foo:bar", "--debug")) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1] == eval_line


def test_format_paired_cells() -> None:
    assert format_paired(None) == "–"
    cell = format_paired({"diff": -0.293, "ci95": [-0.425, -0.141], "p": 2e-8, "p_units": 0.004})
    assert cell == "-29.3 [-42.5, -14.1]; p < 0.001 (items), p = 0.004 (units)"
    cell = format_paired({"diff": -0.113, "ci95": [-0.355, 0.1], "p": 0.0095})
    assert cell == "-11.3 [-35.5, +10.0]; p = 0.009: no detectable difference"
    # an interval that ends at 0 covers it
    assert format_paired({"diff": -0.1, "ci95": [-0.2, 0.0], "p": 0.2}).endswith("difference")


def test_results_json_keeps_old_keys_and_adds_the_statistics(
    tmp_path: Path, trivia_file: Path, gsm_file: Path
) -> None:
    items = load_trivia(trivia_file) + load_gsm_ic(gsm_file)
    model = SycophantFake(knowledge=KNOWLEDGE)
    conds = ["baseline", "oracle", "s2a", "s2a_keeporig"]
    results = run_eval(items, conds, model=model, progress=False, clean_inputs=True)
    paths = write_report(tmp_path, results, compute_metrics(results))
    data = json.loads(paths["json"].read_text())
    old = {"task", "condition", "n_items", "n_errors", "accuracy", "per_category"}
    old |= {"per_category_n", "gap_closed", "gap_closed_per_category", "fallback_rate"}
    old |= {"fallback_reasons", "parroting", "invariance", "mean_tokens", "mean_latency_s"}
    new = {"n_units", "accuracy_ci95", "per_category_ci95", "fallback_rate_ci95"}
    new |= {"parroting_ci95", "invariance_ci95", "paired_vs_baseline", "paired_vs_oracle"}
    new |= {"clean_cost", "retention", "retention_ci95", "retention_suggest_incorrect"}
    new |= {"retention_suggest_incorrect_ci95", "retention_refute_correct"}
    new |= {"retention_refute_correct_ci95"}
    for task in ("trivia", "gsm-ic"):
        for m in data["metrics"][task]:
            assert old | new <= set(m), (task, m["condition"])
    gsm = {m["condition"]: m for m in data["metrics"]["gsm-ic"]}
    trivia = {m["condition"]: m for m in data["metrics"]["trivia"]}
    assert list(gsm) == [*conds, "s2a@clean", "s2a_keeporig@clean"]
    assert list(trivia) == conds  # no @clean runs on trivia: plain is its clean prompt
    for m in (gsm["s2a"], gsm["s2a_keeporig"], trivia["s2a"], trivia["s2a_keeporig"]):
        for key in ("paired_vs_baseline", "paired_vs_oracle", "clean_cost"):
            assert {"diff", "ci95", "p"} <= set(m[key]) and len(m[key]["ci95"]) == 2
    assert gsm["s2a"]["n_units"] == 2 and trivia["s2a"]["n_units"] == 3
    assert gsm["s2a"]["accuracy_ci95"] == [1.0, 1.0]
    assert trivia["s2a"]["parroting_ci95"]["suggest_incorrect"] == [0.0, 0.0]
    assert trivia["s2a"]["retention"] == 1.0 and trivia["baseline"]["retention"] == 0.0
    assert trivia["s2a"]["retention_ci95"] == [1.0, 1.0]
    diag = {d["condition"]: d for d in data["diagnostics"]["gsm-ic"]}
    assert diag["s2a"]["distractor_removed"] == 1.0
    assert diag["s2a"]["distractor_removed_ci95"] == [1.0, 1.0]
    assert diag["s2a"]["dropped_number_ci95"] == [0.0, 0.0]
    assert diag["s2a@clean"]["distractor_removed"] is None


def test_chart_has_error_bars(
    tmp_path: Path, results: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.axes import Axes

    seen: list[Any] = []
    original = Axes.bar

    def spy(self: Axes, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("yerr"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "bar", spy)
    metrics = compute_metrics(results)
    metrics["gsm-ic"][0].accuracy_ci95 = (0.0, 0.5)  # baseline 0.0: bar from 0 up to 50
    write_chart(tmp_path / "c.png", metrics)
    assert seen and all(y is not None and len(y) == 2 for y in seen)
    gsm_overall = seen[5]  # trivia: overall + 4 templates; then GSM-IC overall
    assert gsm_overall[0][0] == 0.0 and gsm_overall[1][0] == pytest.approx(50.0)


def test_cli_clean_inputs_flag(
    tmp_path: Path, gsm_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _parse().clean_inputs is True
    assert _parse("--no-clean-inputs").clean_inputs is False
    model = SycophantFake(knowledge=KNOWLEDGE)
    monkeypatch.setattr(runner_module, "resolve_chat_model", lambda spec: model)
    base = ["--task", "gsm-ic", "--data", str(gsm_file), "--split", "all", "--model", "fake"]
    base += ["--conditions", "baseline,oracle,s2a", "--no-cache", "--no-progress"]
    assert run_eval_command(_parse(*base, "--out", str(tmp_path / "on"))) == 0
    assert run_eval_command(_parse(*base, "--no-clean-inputs", "--out", str(tmp_path / "off"))) == 0
    on = json.loads((tmp_path / "on" / "results.json").read_text())["metrics"]["gsm-ic"]
    off = json.loads((tmp_path / "off" / "results.json").read_text())["metrics"]["gsm-ic"]
    assert [m["condition"] for m in on] == ["baseline", "oracle", "s2a", "s2a@clean"]
    assert [m["condition"] for m in off] == ["baseline", "oracle", "s2a"]
    assert on[2]["clean_cost"]["diff"] == 0.0 and off[2]["clean_cost"] is None


def test_cli_shards_split_the_sample_and_fill_one_cache(
    tmp_path: Path, trivia_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_s2a.eval.cli import _items

    base = ["--task", "trivia", "--data", str(trivia_file), "--split", "all", "--limit", "3"]
    whole = [i.item_id for i in _items(_parse(*base))]
    first = [i.item_id for i in _items(_parse(*base, "--shard", "1/2"))]
    second = [i.item_id for i in _items(_parse(*base, "--shard", "2/2"))]
    assert (
        first == whole[0::2] and second == whole[1::2] and sorted(first + second) == sorted(whole)
    )
    for bad in ("0/2", "3/2", "2", "a/b"):
        with pytest.raises(SystemExit):
            _parse(*base, "--shard", bad)
    model = SycophantFake(knowledge=KNOWLEDGE)
    monkeypatch.setattr(runner_module, "resolve_chat_model", lambda spec: model)
    run = [*base, "--model", "fake", "--conditions", "baseline", "--no-progress"]
    run += ["--cache-dir", str(tmp_path / "cache")]
    for shard in ("1/2", "2/2"):
        assert (
            run_eval_command(_parse(*run, "--shard", shard, "--out", str(tmp_path / shard[0]))) == 0
        )
    calls = model.calls
    assert calls == len(whole)
    assert run_eval_command(_parse(*run, "--out", str(tmp_path / "all"))) == 0
    assert model.calls == calls  # the whole sample is served from the shards' cache
