from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from langchain_s2a.eval import (
    CONDITIONS,
    GenerationCache,
    arun_eval,
    compute_metrics,
    load_gsm_ic,
    load_trivia,
    render_markdown,
    resolve_conditions,
    run_eval,
)
from langchain_s2a.eval.records import Generation

from .conftest import KNOWLEDGE
from .fake_model import SycophantFake

ALL = list(CONDITIONS)


def fake(**kwargs: object) -> SycophantFake:
    return SycophantFake(knowledge=KNOWLEDGE, **kwargs)  # type: ignore[arg-type]


async def test_end_to_end_trivia_and_gsm(trivia_file: Path, gsm_file: Path) -> None:
    items = load_trivia(trivia_file) + load_gsm_ic(gsm_file)
    model = fake()
    results = await arun_eval(items, ALL, model=model, progress=False)
    assert all(r.error is None for r in results)
    # oracle runs only plain trivia prompts, oracle_removed only the GSM-IC items;
    # every other condition all 12 + 4 items
    per_cond = {c: sum(r.condition == c for r in results) for c in ALL}
    assert per_cond["oracle"] == 3 + 4 and per_cond["oracle_removed"] == 4
    assert all(per_cond[c] == 16 for c in ALL if c not in ("oracle", "oracle_removed"))
    metrics = compute_metrics(results)
    trivia = {m.condition: m for m in metrics["trivia"]}
    gsm = {m.condition: m for m in metrics["gsm-ic"]}
    assert trivia["baseline"].accuracy == pytest.approx(1 / 3)
    assert trivia["oracle"].accuracy == 1.0
    assert trivia["s2a"].accuracy == 1.0
    assert trivia["s2a_single"].accuracy == 1.0
    assert trivia["s2a_ni"].accuracy == 1.0
    assert trivia["s2a"].gap_closed == 1.0
    assert trivia["s2a"].fallback_rate == 0.0
    assert trivia["s2a"].invariance["overall"] == 1.0
    assert trivia["baseline"].parroting["suggest_incorrect"] == 1.0
    # the original text (with the opinion) still reaches the answer model:
    assert trivia["s2a_keeporig"].accuracy == pytest.approx(1 / 3)
    assert trivia["instructed"].accuracy == pytest.approx(1 / 3)
    assert gsm["baseline"].accuracy == 0.0
    assert gsm["oracle"].accuracy == 1.0
    assert gsm["oracle_removed"].accuracy == 1.0  # the item's own text, distractor cut out
    removed = [r.generation.rewrite_text for r in results if r.condition == "oracle_removed"]
    assert removed and all(r.generation is not None for r in results)
    assert all("Tom is 80" not in text and text.endswith("?") for text in removed)
    assert gsm["s2a"].accuracy == 1.0 and gsm["s2a"].gap_closed == 1.0
    assert gsm["s2a"].gap_closed_removed == 1.0  # against the item's own text, distractor cut
    assert trivia["s2a"].mean_tokens["rewrite_input"] == 10.0
    assert trivia["s2a"].mean_latency_s["rewrite"] is not None
    s2a_gsm = [r for r in results if r.condition == "s2a" and r.item.task == "gsm-ic"]
    assert all("Tom is 80" not in r.generation.rewrite_text for r in s2a_gsm if r.generation)
    assert {r.parsed for r in s2a_gsm} == {"307", "1000"}


async def test_identical_requests_are_generated_once(trivia_file: Path, gsm_file: Path) -> None:
    model = fake()
    items = load_gsm_ic(gsm_file)
    await arun_eval(items, ["oracle"], model=model, progress=False)
    assert model.calls == 2  # 4 items, 2 distinct original questions
    model = fake()
    await arun_eval(load_trivia(trivia_file), ["baseline", "oracle"], model=model, progress=False)
    assert model.calls == 12  # the oracle prompts are baseline's plain prompts


async def test_identical_model_requests_are_made_once(gsm_file: Path) -> None:
    model = fake()
    items = load_gsm_ic(gsm_file)
    conds = ["s2a_split", "s2a_keeporig", "s2a_ni"]
    results = await arun_eval(items, conds, model=model, max_concurrency=1, progress=False)
    # 4 rewrites, shared by all three conditions. The fake's rewrite drops the
    # distractor, so two variants of a problem give the same rewrite and the same
    # answer request: s2a and s2a_ni answer 2 distinct requests each; KeepOrig's
    # answer also holds the original, so its 4 requests differ.
    assert model.calls == 4 + 2 + 4 + 2
    by_cond = {c: [r.generation for r in results if r.condition == c] for c in conds}
    gens = {c: [g for g in gs if g is not None] for c, gs in by_cond.items()}
    assert all(len(gs) == 4 for gs in gens.values())
    assert [g.rewrite_shared for g in gens["s2a_split"]] == [False] * 4
    assert all(g.rewrite_shared and g.rewrite_latency_s is None for g in gens["s2a_ni"])
    assert sum(g.answer_shared for g in gens["s2a_split"]) == 2
    assert all(g.answer_latency_s is None for g in gens["s2a_split"] if g.answer_shared)
    assert [g.rewrite_text for g in gens["s2a_keeporig"]] == [
        g.rewrite_text for g in gens["s2a_split"]
    ]
    metrics = {m.condition: m for m in compute_metrics(results)["gsm-ic"]}
    assert metrics["s2a_split"].mean_latency_s["rewrite"] is not None
    assert metrics["s2a_ni"].mean_latency_s["rewrite"] is None
    assert metrics["s2a_ni"].mean_tokens["rewrite_input"] == 10.0  # usage survives the hit
    table = render_markdown(compute_metrics(results))
    assert "| s2a_ni |" in table and "shared · " in table
    # a model with its own cache setting is used as it is (no sharing)
    own = fake(cache=False)
    await arun_eval(items, ["s2a_split", "s2a_keeporig"], model=own, progress=False)
    assert own.calls == 2 * (4 + 4)


async def test_request_cache_persists_across_runs(tmp_path: Path, gsm_file: Path) -> None:
    items = load_gsm_ic(gsm_file)
    first = fake()
    await arun_eval(items, ["s2a_split"], model=first, cache_dir=tmp_path, progress=False)
    assert (tmp_path / "requests-rewrite.jsonl").exists()
    assert (tmp_path / "requests-answer.jsonl").exists()
    # S2A-NI in a later run: every rewrite comes from disk, only answers are new
    later = fake()
    results = await arun_eval(
        items, ["s2a_ni"], model=later, cache_dir=tmp_path, max_concurrency=1, progress=False
    )
    assert later.calls == 2  # two distinct answer requests (see the test above)
    gens = [r.generation for r in results]
    assert all(g is not None and g.rewrite_shared for g in gens)
    assert all(
        g is not None
        and g.rewrite_usage
        == {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12, "total_cost": 0}
        for g in gens
    )


async def test_cache_resume_makes_zero_calls(
    tmp_path: Path, trivia_file: Path, gsm_file: Path
) -> None:
    items = load_trivia(trivia_file) + load_gsm_ic(gsm_file)
    conds = ["baseline", "oracle", "s2a", "instructed"]
    first = fake()
    r1 = await arun_eval(items, conds, model=first, cache_dir=tmp_path, progress=False)
    assert first.calls > 0
    # only the trivia oracle reuses generations (baseline's plain prompts) in a fresh run
    assert {(r.condition, r.item.task) for r in r1 if r.cached} == {("oracle", "trivia")}
    second = fake()
    r2 = await arun_eval(items, conds, model=second, cache_dir=tmp_path, progress=False)
    assert second.calls == 0
    assert all(r.cached for r in r2)
    assert [(r.item.item_id, r.condition, r.correct) for r in r1] == [
        (r.item.item_id, r.condition, r.correct) for r in r2
    ]
    assert compute_metrics(r1)["trivia"][2].accuracy == compute_metrics(r2)["trivia"][2].accuracy


async def test_cache_is_keyed_by_model_and_condition(tmp_path: Path, gsm_file: Path) -> None:
    items = load_gsm_ic(gsm_file)
    await arun_eval(items, ["s2a"], model=fake(), cache_dir=tmp_path, progress=False)
    other = fake()
    rs = await arun_eval(items, ["s2a_single"], model=other, cache_dir=tmp_path, progress=False)
    # different condition: no generation reused, and its own rewrite requests reach
    # the model (answer requests may repeat s2a's and be served from the cache)
    assert not any(r.cached for r in rs)
    assert all(r.generation and not r.generation.rewrite_shared for r in rs)
    assert other.calls >= 4
    rewriter = fake(cache=False)  # no request cache: every rewrite reaches the model
    await arun_eval(
        items, ["s2a"], model=fake(), rewriter_model=rewriter, cache_dir=tmp_path, progress=False
    )
    # a separate rewriter is a different key: every judgement (the relevance default:
    # one per sentence besides the question and the opening sentence) reaches it
    from langchain_s2a._internal.text.sentences import split_sentences

    assert rewriter.calls == sum(len(split_sentences(i.prompt)) - 2 for i in items) >= len(items)


async def test_errors_are_recorded_and_retried(tmp_path: Path, trivia_file: Path) -> None:
    items = load_trivia(trivia_file)
    flaky = fake(fail_on=("hexagon",))
    r1 = await arun_eval(items, ["baseline"], model=flaky, cache_dir=tmp_path, progress=False)
    failed = [r for r in r1 if r.error]
    assert len(r1) == 12 and len(failed) == 4
    assert all(r.error == "RuntimeError: boom" and not r.correct for r in failed)
    m = compute_metrics(r1)["trivia"][0]
    assert m.n_errors == 4 and m.n_items == 9
    healthy = fake()
    r2 = await arun_eval(items, ["baseline"], model=healthy, cache_dir=tmp_path, progress=False)
    assert healthy.calls == 4  # only the failed items are run again
    assert not any(r.error for r in r2)


async def test_interrupted_cache_file_is_tolerated(tmp_path: Path, gsm_file: Path) -> None:
    items = load_gsm_ic(gsm_file)
    first = fake()
    await arun_eval(
        items, ["baseline"], model=first, cache_dir=tmp_path, max_concurrency=1, progress=False
    )
    # one item at a time: line i of both files is item i; tear the last write of each
    for name in ("generations.jsonl", "requests-answer.jsonl"):
        lines = (tmp_path / name).read_text().splitlines()
        assert len(lines) == 4
        (tmp_path / name).write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])
    path = tmp_path / "generations.jsonl"
    model = fake()
    results = await arun_eval(items, ["baseline"], model=model, cache_dir=tmp_path, progress=False)
    assert model.calls == 1 and len(results) == 4
    row = json.loads(path.read_text().splitlines()[0])
    assert {"key", "model", "condition", "item_id", "prompt_version", "generation"} <= set(row)


async def test_max_concurrency_is_respected(gsm_file: Path) -> None:
    items = load_gsm_ic(gsm_file)
    model = fake(delay=0.02)
    await arun_eval(items, ["baseline"], model=model, max_concurrency=2, progress=False)
    assert model.peak_in_flight == 2
    serial = fake(delay=0.01)
    await arun_eval(items, ["baseline"], model=serial, max_concurrency=1, progress=False)
    assert serial.peak_in_flight == 1


def test_run_eval_sync_and_progress(gsm_file: Path) -> None:
    results = run_eval(load_gsm_ic(gsm_file), ["baseline"], model=fake(), progress=True)
    assert len(results) == 4


def test_resolve_conditions_errors() -> None:
    with pytest.raises(ValueError, match="unknown condition"):
        resolve_conditions(["s2a", "magic"])
    with pytest.raises(ValueError, match="twice"):
        resolve_conditions(["s2a", "s2a"])


def test_generation_cache_roundtrip(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path / "c.jsonl")
    cache.put("k", Generation(answer="a", fallback=True), meta={"x": 1})
    again = GenerationCache(tmp_path / "c.jsonl")
    assert len(again) == 1 and again.get("k") == Generation(answer="a", fallback=True)


async def test_rewrite_rules_version_keys_only_s2a_conditions(
    tmp_path: Path, gsm_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langchain_s2a.eval.runner as runner

    items = load_gsm_ic(gsm_file)
    conds = ["baseline", "instructed", "s2a"]
    await arun_eval(items, conds, model=fake(), cache_dir=tmp_path, progress=False)
    monkeypatch.setattr(runner, "REWRITE_RULES_VERSION", runner.REWRITE_RULES_VERSION + 1)
    again = await arun_eval(items, conds, model=fake(), cache_dir=tmp_path, progress=False)
    cached = {c: all(r.cached for r in again if r.condition == c) for c in conds}
    assert cached == {"baseline": True, "instructed": True, "s2a": False}


def test_generation_cache_refresh_reads_other_writers(tmp_path: Path) -> None:
    path = tmp_path / "generations.jsonl"
    mine, other = GenerationCache(path), GenerationCache(path)
    assert mine.refresh() == 0
    other.put("a", Generation(answer="1"), meta={})
    with path.open("a") as fh:
        fh.write('{"key": "b", "generation": {"answ')  # another writer, mid-line
    assert mine.refresh() == 1 and mine.get("a") is not None and mine.get("b") is None
    with path.open("a") as fh:
        fh.write('er": "2"}}\n')
    assert mine.refresh() == 1 and mine.get("b") == Generation(answer="2")


async def test_two_runs_sharing_a_cache_dir_split_the_work(
    tmp_path: Path, trivia_file: Path
) -> None:
    items = load_trivia(trivia_file)  # 12 prompts
    first, second = fake(delay=0.02), fake(delay=0.02)
    kwargs = {"cache_dir": tmp_path, "max_concurrency": 1, "progress": False}
    r1, r2 = await asyncio.gather(
        arun_eval(items, ["baseline"], model=first, **kwargs),  # type: ignore[arg-type]
        # the second worker takes the items from the other end
        arun_eval(items[::-1], ["baseline"], model=second, **kwargs),  # type: ignore[arg-type]
    )
    assert all(r.error is None and r.generation for r in r1 + r2)
    assert [r.correct for r in r1] == [r.correct for r in r2[::-1]]
    assert first.calls >= 5 and second.calls >= 5
    # each item once, except the (at most two) in flight when the workers meet
    assert first.calls + second.calls <= len(items) + 2


async def test_clean_inputs_run_s2a_conditions_on_the_clean_gsm_prompts(
    trivia_file: Path, gsm_file: Path
) -> None:
    items = load_trivia(trivia_file) + load_gsm_ic(gsm_file)
    conds = ["baseline", "oracle", "s2a", "instructed"]
    plain = fake()
    without = await arun_eval(items, conds, model=plain, max_concurrency=1, progress=False)
    model = fake()
    results = await arun_eval(
        items, conds, model=model, max_concurrency=1, progress=False, clean_inputs=True
    )
    assert [r.condition for r in results[: len(without)]] == [r.condition for r in without]
    extra = results[len(without) :]
    # only S2A-mode conditions, only GSM-IC, every item, on its clean prompt
    assert {r.condition for r in extra} == {"s2a@clean"}
    assert [r.item.item_id for r in extra] == [i.item_id for i in items if i.task == "gsm-ic"]
    assert all(r.generation and r.correct for r in extra)
    assert all(r.generation and "Tom is 80" not in r.generation.rewrite_text for r in extra)
    # two distinct clean problems: one judgement per sentence besides the opening one
    # and the question (none for a two-sentence problem); their answer requests equal
    # s2a's own (the fake's rewrite drops the distractor), so they come from the cache
    from langchain_s2a._internal.text.sentences import split_sentences

    clean = {i.oracle_prompt for i in items if i.task == "gsm-ic"}
    assert len(clean) == 2
    assert model.calls - plain.calls == sum(max(0, len(split_sentences(t)) - 2) for t in clean)
    assert sum(r.generation.answer_shared for r in extra if r.generation) == 4
    metrics = {m.condition: m for m in compute_metrics(results)["gsm-ic"]}
    cost = metrics["s2a"].clean_cost
    assert cost is not None and (cost["diff"], cost["n_pairs"]) == (0.0, 2)
    assert metrics["instructed"].clean_cost is None  # not an S2A-mode condition
    # a trivia-only run gets no @clean condition
    trivia_only = await arun_eval(
        load_trivia(trivia_file), ["s2a"], model=fake(), progress=False, clean_inputs=True
    )
    assert {r.condition for r in trivia_only} == {"s2a"}


def test_run_eval_passes_clean_inputs(gsm_file: Path) -> None:
    results = run_eval(
        load_gsm_ic(gsm_file), ["s2a_single"], model=fake(), progress=False, clean_inputs=True
    )
    assert [r.condition for r in results] == ["s2a_single"] * 4 + ["s2a_single@clean"] * 4
