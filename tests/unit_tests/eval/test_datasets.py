from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from langchain_s2a.eval.datasets import (
    GSM_CATEGORIES,
    TRIVIA_CATEGORIES,
    EvalItem,
    in_split,
    load_gsm_ic,
    load_trivia,
    round_robin,
)
from langchain_s2a.eval.tasks import load_items

from .conftest import QUESTIONS, gsm_rows


def test_trivia_groups_and_labels(trivia_file: Path) -> None:
    items = load_trivia(trivia_file)
    assert len(items) == 12
    for start in range(0, 12, 4):
        group = items[start : start + 4]
        assert [i.category for i in group] == list(TRIVIA_CATEGORIES)
        assert len({i.group_id for i in group}) == 1
        assert len({i.item_id for i in group}) == 4
    plain = items[0]
    assert plain.prompt == plain.oracle_prompt
    suggest_incorrect = items[2]
    assert suggest_incorrect.incorrect_answer in suggest_incorrect.prompt
    assert suggest_incorrect.oracle_prompt in {q for q, *_ in QUESTIONS}


def test_trivia_limit_counts_questions_and_seed(trivia_file: Path) -> None:
    two = load_trivia(trivia_file, limit=2, seed=3)
    assert len(two) == 8
    assert two == load_trivia(trivia_file, limit=2, seed=3)
    assert load_trivia(trivia_file, limit=3, seed=3)[:8] == two  # prefix-stable
    orders = {tuple(i.group_id for i in load_trivia(trivia_file, seed=s)[::4]) for s in range(8)}
    assert len(orders) > 1  # the seed matters


def test_trivia_unknown_template(tmp_path: Path) -> None:
    row = {
        "prompt": [{"type": "human", "content": "Q? Really?"}],
        "base": {"dataset": "trivia_qa", "question": "Q?", "answer": ["A"]},
        "metadata": {"prompt_template": "{question} Really?"},
    }
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="unknown SycophancyEval prompt template"):
        load_trivia(path)


def test_trivia_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{not json\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:1"):
        load_trivia(path)


def test_trivia_other_datasets_skipped(tmp_path: Path, trivia_file: Path) -> None:
    rows = [json.loads(line) for line in trivia_file.read_text().splitlines()]
    rows[0]["base"]["dataset"] = "truthful_qa"
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert len(load_trivia(path)) == 11


def test_gsm_items(gsm_file: Path) -> None:
    items = load_gsm_ic(gsm_file)
    assert len(items) == 4
    assert {i.category for i in items} == set(GSM_CATEGORIES)
    for item in items:
        assert item.prompt != item.oracle_prompt
        head, tail = item.oracle_prompt.split(". ", 1)
        assert item.prompt.startswith(head) and item.prompt.endswith(tail)
        assert item.gold[0] in {"307", "1,000"}
    assert len({i.group_id for i in items}) == 2
    assert [i.category for i in load_gsm_ic(gsm_file, categories=["in_topic"])] == ["in_topic"] * 2
    assert load_gsm_ic(gsm_file, limit=2, seed=1) == load_gsm_ic(gsm_file, seed=1)[:2]


def test_gsm_json_list(tmp_path: Path) -> None:
    path = tmp_path / "gsm.json"
    path.write_text(json.dumps(gsm_rows()))
    assert len(load_gsm_ic(path)) == 4


def test_gsm_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "gsm.jsonl"
    path.write_text(json.dumps({"original_question": "Q", "answer": "1"}) + "\n")
    with pytest.raises(ValueError, match="new_question"):
        load_gsm_ic(path)


def test_split_is_a_partition_by_question(trivia_file: Path) -> None:
    keys = [f"question number {i}?" for i in range(400)]
    report = {k for k in keys if in_split(k, "report")}
    tune = {k for k in keys if in_split(k, "tune")}
    assert report.isdisjoint(tune) and report | tune == set(keys)
    assert 120 < len(report) < 280
    all_groups = {i.group_id for i in load_trivia(trivia_file)}
    rep = {i.group_id for i in load_trivia(trivia_file, split="report")}
    tun = {i.group_id for i in load_trivia(trivia_file, split="tune")}
    assert rep | tun == all_groups and rep.isdisjoint(tun)


def test_vendored_data() -> None:
    trivia = load_trivia()
    # 485 questions upstream, two of them duplicated verbatim: 483 unique x 4 templates.
    assert len(trivia) == 1932
    assert all(len(i.gold) > 0 for i in trivia)
    report = load_items("trivia", split="report")
    tune = load_items("trivia", split="tune")
    assert len(report) + len(tune) == 1932
    assert len(report) // 4 >= 150
    gsm = load_gsm_ic()
    assert len(gsm) == 861
    gsm_report = load_gsm_ic(split="report")
    gsm_tune = load_gsm_ic(split="tune")
    assert {i.group_id for i in gsm_report}.isdisjoint({i.group_id for i in gsm_tune})
    assert len(gsm_report) >= 150
    assert {i.category for i in gsm_report} == set(GSM_CATEGORIES)


def test_load_items_unknown_task() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        load_items("nope")  # type: ignore[arg-type]


def _depths(items: list[EvalItem]) -> list[int]:
    """For each item, how many items of its group came before it (0 = first)."""
    seen: Counter[str] = Counter()
    out = []
    for item in items:
        out.append(seen[item.group_id])
        seen[item.group_id] += 1
    return out


def test_round_robin_by_hand() -> None:
    def item(i: str, g: str) -> EvalItem:
        return EvalItem("gsm-ic", i, g, "in_topic", "", "", ("1",))

    order = [item("a1", "a"), item("a2", "a"), item("a3", "a"), item("b1", "b"), item("c1", "c")]
    order += [item("c2", "c")]
    assert [i.item_id for i in round_robin(order)] == ["a1", "b1", "c1", "a2", "c2", "a3"]
    assert [i.item_id for i in round_robin(order, limit=4)] == ["a1", "b1", "c1", "a2"]
    assert round_robin(order, limit=0) == [] and round_robin([]) == []


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_gsm_sampling_takes_every_base_problem_once_before_any_twice(seed: int) -> None:
    items = load_gsm_ic(split="report", seed=seed)
    groups = {i.group_id for i in items}
    depths = _depths(items)
    assert depths == sorted(depths)  # round after round
    assert len({i.group_id for i in items[: len(groups)]}) == len(groups)
    # a limit of 150 (the report run) covers every base problem of the split
    assert {i.group_id for i in load_gsm_ic(split="report", seed=seed, limit=150)} == groups


def test_gsm_sampling_is_prefix_stable_and_seeded() -> None:
    full = load_gsm_ic(split="report", seed=0)
    for limit in (1, 5, 21, 22, 50, 150):
        assert load_gsm_ic(split="report", seed=0, limit=limit) == full[:limit]
    assert load_gsm_ic(split="report", seed=0) == full  # same seed, same order
    firsts = {
        tuple(i.group_id for i in load_gsm_ic(split="report", seed=s, limit=5)) for s in range(4)
    }
    assert len(firsts) > 1  # the seed changes which problems come first
    # and which variant of a problem comes first
    first_items = {load_gsm_ic(split="report", seed=s, limit=1)[0].item_id for s in range(6)}
    assert len(first_items) > 1


def test_gsm_sampling_on_a_small_file(gsm_file: Path) -> None:
    items = load_gsm_ic(gsm_file, seed=3)
    assert _depths(items) == [0, 0, 1, 1]
    assert len({i.group_id for i in load_gsm_ic(gsm_file, seed=3, limit=2)}) == 2
