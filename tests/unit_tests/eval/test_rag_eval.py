"""The RAG evaluation (``s2a eval --task rgb|nq-docs``): data, conditions, cache, report."""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from langchain_s2a.eval.cli import add_eval_arguments, run_eval_command
from langchain_s2a.eval.rag import cli as rag_cli
from langchain_s2a.eval.rag.data import (
    DATA_DIR,
    NQ_POSITIONS,
    RagDoc,
    RagItem,
    load_nq_docs,
    load_rgb,
    nq_correct,
    nq_normalize,
    rgb_context,
    rgb_correct,
)
from langchain_s2a.eval.rag.report import compare, render_rag_markdown, summarize
from langchain_s2a.eval.rag.runner import run_rag
from langchain_s2a.testing import FakeS2AChatModel


def item(task: str = "nq-docs") -> RagItem:
    docs = (
        RagDoc("Bob ran home.", "Bob"),
        RagDoc("Ann wrote Hamlet in 1600.", "Ann", gold=True),
        RagDoc("Cats purr.", "Cat"),
    )
    return RagItem(task, "q1@k=3", "q1", "k=3", "Who wrote the play?", docs, ("Ann",), "en")  # type: ignore[arg-type]


def answerer(messages: list[BaseMessage]) -> str:
    """Answers 'Ann' when her document is in the prompt; judges documents by 'Ann'."""
    text = messages[-1].text
    if text.startswith("Question: ") and "\nDocument: " in text:
        return "yes" if "Ann" in text.split("\nDocument: ", 1)[1] else "no"
    if "Given the following question and context" in text:  # LangChain's filter / extractor
        context = text.split(">>>")[1]
        if "Relevant (YES / NO)" in text:
            return "YES" if "Ann" in context else "NO"
        return context.strip() if "Ann" in context else "NO_OUTPUT"
    return "Ann" if "Ann wrote" in text else "I do not know."


# ------------------------------------------------------------------ data
def test_rgb_contexts_follow_the_benchmark_protocol() -> None:
    row = {"positive": [f"p{i}" for i in range(5)], "negative": [f"n{i}" for i in range(4)]}
    for noise, gold in ((0.4, 3), (0.6, 2), (0.8, 1)):
        docs = rgb_context(row, noise)
        assert len(docs) == 5 and sum(d.gold for d in docs) == gold
        expected = row["positive"][:gold] + row["negative"][: 5 - gold]
        random.seed(2333)  # evalue.py seeds the global generator, then shuffles
        random.shuffle(expected)
        assert [d.text for d in docs] == expected


def test_rgb_items_use_ids_below_200_and_splits_are_disjoint() -> None:
    report = load_rgb(noise=(0.6,), split="report")
    tune = load_rgb(noise=(0.6,), split="tune")
    assert len(report) >= 100 and len(report) + len(tune) == 200
    assert not {i.group_id for i in report} & {i.group_id for i in tune}
    assert all(int(i.group_id.split(":")[1]) < 200 for i in report + tune)
    three = load_rgb(noise=(0.4, 0.6, 0.8), limit=3)
    assert len(three) == 9 and [i.setting for i in three[:3]] == [
        "noise=0.4",
        "noise=0.6",
        "noise=0.8",
    ]
    assert three[0].language == "zh" and three[0].answer_messages(None)[1]["content"].startswith(
        "文档：\n \n\n问题"
    )


def test_nq_items_put_the_gold_passage_among_answer_free_neighbours() -> None:
    items = load_nq_docs(k=(10, 20), limit=30)
    assert len(items) == 60
    positions = set()
    for it in items:
        k = int(it.setting.split("=")[1])
        assert len(it.documents) == k and len(it.gold_indices) == 1
        positions.add((k, it.gold_indices[0]))
        assert it.gold_indices[0] in NQ_POSITIONS[k]
        for doc in it.documents:
            if not doc.gold:
                assert not any(
                    nq_normalize(a) in nq_normalize(doc.title + " " + doc.text) for a in it.answers
                )
    assert len(positions) >= 5  # varied positions
    prompt = items[0].answer_messages(items[0].documents)[0]["content"]
    assert prompt.startswith("Write a high-quality answer") and "Document [10](Title: " in prompt
    assert items[0].answer_messages(None)[0]["content"].endswith("\nAnswer:")


def test_nq_uses_only_the_first_2000_questions() -> None:
    lines = (DATA_DIR / "nq" / "nq_docs.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 2000 and max(r["index"] for r in rows) == 1999
    assert all(max(r["distractors"], default=0) < 2000 for r in rows)
    # one question (answer "S") has no answer-free neighbour: it is left out
    short = {f"nq:{r['index']}" for r in rows if len(r["distractors"]) < 19}
    assert short == {"nq:1840"}
    assert not short & {i.group_id for i in load_nq_docs(k=(20,), split="all")}


def test_the_benchmarks_own_answer_matching() -> None:
    assert rgb_correct("共有 12 人", ["12人"])  # spaces removed, as evalue.py does
    assert not rgb_correct("东盟和中国", ["东盟", "日本"])  # every entry is needed
    assert rgb_correct("日本", [["日本", "Japan"]])  # one alternative of an entry suffices
    assert not rgb_correct("文档信息不足，12人", ["12人"])
    assert nq_correct("The answer: Wilhelm Conrad Röntgen!", ["Wilhelm Conrad Röntgen"])
    assert not nq_correct("Röntgen", ["Wilhelm Conrad Röntgen"])


# ------------------------------------------------------------------ runner
def test_every_condition_answers_with_one_prompt_and_records_what_it_kept(tmp_path: Path) -> None:
    model = FakeS2AChatModel(replies=answerer)
    conditions = ["closed_book", "baseline", "oracle", "s2a_judge", "lc_extractor", "lc_filter"]
    records = {
        r["condition"]: r
        for r in run_rag(model, [item()], conditions, cache_dir=tmp_path, progress=False)
    }
    assert not records["closed_book"]["correct"] and records["baseline"]["correct"]
    assert records["oracle"]["kept_sources"] == [1]
    judged = records["s2a_judge"]
    assert judged["kept_sources"] == [1] and judged["gold_kept"] and judged["answer_kept"]
    assert judged["compress_calls"] == 3 and judged["compress_input_tokens"] > 0
    assert (
        records["lc_filter"]["kept_sources"] == [1] and records["lc_filter"]["compress_calls"] == 3
    )
    assert records["lc_extractor"]["kept_texts"] == ["Ann wrote Hamlet in 1600."]
    assert all(records[c]["correct"] for c in ("oracle", "s2a_judge", "lc_filter", "lc_extractor"))
    assert records["baseline"]["kept_chars"] == records["baseline"]["input_chars"]


def test_the_title_condition_shows_the_judge_each_title_and_pairs_with_the_judge(
    tmp_path: Path,
) -> None:
    seen: list[str] = []

    def by_title(messages: list[BaseMessage]) -> str:
        text = messages[-1].text
        if text.startswith("Question: ") and "\nDocument: " in text:
            seen.append(text.split("\nDocument: ", 1)[1])
            return "yes" if "Title: Ann\n" in text else "no"  # judges by the title alone
        return answerer(messages)

    model = FakeS2AChatModel(replies=by_title)
    records = run_rag(
        model,
        [item()],
        ["baseline", "oracle", "s2a_judge", "s2a_judge_title"],
        cache_dir=tmp_path,
        progress=False,
    )
    titled = next(r for r in records if r["condition"] == "s2a_judge_title")
    assert "Title: Ann\nAnn wrote Hamlet in 1600." in seen
    assert titled["kept_sources"] == [1] and titled["kept_texts"] == ["Ann wrote Hamlet in 1600."]
    judged = next(r for r in records if r["condition"] == "s2a_judge")
    assert judged["kept_sources"] != titled["kept_sources"]  # the untitled judge saw no title
    against = {(c["condition"], c["against"]) for c in compare(records)}
    assert ("s2a_judge_title", "s2a_judge") in against
    assert ("s2a_judge", "s2a_judge_title") not in against


def test_records_are_cached_and_a_rerun_calls_no_model(tmp_path: Path) -> None:
    model = FakeS2AChatModel(replies=answerer)
    first = run_rag(model, [item()], ["baseline", "s2a_judge"], cache_dir=tmp_path, progress=False)
    calls = model.call_count

    def no_model() -> Any:
        raise AssertionError("a cached run loads no model")

    again = run_rag(
        no_model, [item()], ["baseline", "s2a_judge"], cache_dir=tmp_path, progress=False
    )
    assert again == first and model.call_count == calls
    assert (tmp_path / "rag-records.jsonl").exists()


def test_a_compressor_that_raises_fails_its_item(tmp_path: Path) -> None:
    model = FakeS2AChatModel(
        replies=lambda m: "Perhaps." if "Relevant (YES / NO)" in m[-1].text else "Ann"
    )
    [record] = run_rag(model, [item()], ["lc_filter"], cache_dir=None, progress=False)
    assert record["correct"] is False and "BooleanOutputParser" in record["error"]


def test_the_comparison_conditions_can_run_on_a_subset(tmp_path: Path) -> None:
    items = [
        item(),
        RagItem("nq-docs", "q2@k=3", "q2", "k=3", "Who?", item().documents, ("Ann",), "en"),
    ]
    records = run_rag(
        FakeS2AChatModel(replies=answerer),
        items,
        ["baseline", "s2a_judge", "lc_filter", "s2a"],
        cache_dir=None,
        comparison_limit=1,
        progress=False,
    )
    assert [(r["item_id"], r["condition"]) for r in records] == [
        ("q1@k=3", "baseline"),
        ("q1@k=3", "s2a_judge"),
        ("q1@k=3", "lc_filter"),
        ("q1@k=3", "s2a"),
        ("q2@k=3", "baseline"),
        ("q2@k=3", "s2a_judge"),
    ]


def test_the_listwise_reranker_runs_on_a_structured_model() -> None:
    from pydantic import BaseModel

    class Ranked(FakeS2AChatModel):
        def with_structured_output(self, schema: type[BaseModel], **kwargs: Any) -> Any:
            from langchain_core.runnables import RunnableLambda

            return RunnableLambda(lambda _: schema(ranked_document_ids=[1, 0, 2]))

    [record] = run_rag(
        Ranked(replies=answerer), [item()], ["lc_rerank"], cache_dir=None, progress=False
    )
    assert record["kept_sources"] == [1, 0, 2] and record["correct"]


def test_the_s2a_chain_answers_from_its_rewrite() -> None:
    def respond(messages: list[BaseMessage]) -> str:
        text = messages[-1].text
        if "<sentence>" in text:  # the relevance preset judges each sentence
            return "yes" if "Ann" in text.split("<sentence>")[1] else "no"
        return answerer(messages)

    [record] = run_rag(
        FakeS2AChatModel(replies=respond), [item()], ["s2a_chain"], cache_dir=None, progress=False
    )
    # the first sentence is kept without asking (relevance preset), Bob's is dropped
    assert record["kept_texts"] == [
        "Document [1](Title: Bob) Bob ran home.\nDocument [2](Title: Ann) Ann wrote Hamlet in 1600."
    ]
    assert record["gold_kept"] and record["correct"]


# ------------------------------------------------------------------ report
def records_for(outcomes: dict[str, list[bool]]) -> list[dict[str, Any]]:
    rows = []
    for condition, correct in outcomes.items():
        for i, ok in enumerate(correct):
            rows.append(
                {
                    "task": "rgb",
                    "setting": "noise=0.8",
                    "condition": condition,
                    "item_id": f"q{i}",
                    "group_id": f"q{i}",
                    "correct": ok,
                    "gold_kept": True,
                    "answer_kept": ok,
                    "error": None,
                    "input_chars": 100,
                    "kept_chars": 50,
                    "kept_sources": [0],
                    "compress_calls": 5,
                    "compress_s": 1.0,
                }
            )
    return rows


def test_summary_and_paired_comparisons() -> None:
    records = records_for(
        {
            "baseline": [False] * 20,
            "oracle": [True] * 20,
            "s2a": [True] * 10 + [False] * 10,
            "lc_filter": [False] * 20,
        }
    )
    summary = {r["condition"]: r for r in summarize(records)}
    assert summary["s2a"]["accuracy"] == 0.5 and summary["s2a"]["kept_ratio"] == 0.5
    lo, hi = summary["s2a"]["accuracy_ci"]
    assert lo < 0.5 < hi
    paired = {c["against"]: c for c in compare(records)}
    assert paired["baseline"]["diff"] == 0.5 and paired["baseline"]["gap_closed"] == 0.5
    assert paired["baseline"]["gap_closed_ci"] is not None and paired["lc_filter"]["a_only"] == 10
    md = render_rag_markdown(records, config={"command": "s2a eval --task rgb"})
    assert "| s2a | 20 | 50.0 [" in md and "| s2a | baseline | 20 | +50.0 [" in md


def test_the_html_strikes_through_what_a_compressor_dropped() -> None:
    from langchain_s2a.eval.rag.html import render_rag_html

    records = run_rag(
        FakeS2AChatModel(replies=answerer),
        [item()],
        ["baseline", "s2a_judge"],
        cache_dir=None,
        progress=False,
    )
    html = render_rag_html(records, "# t")
    assert html.count("class='doc dropped'>") == 2 and "[2] Ann wrote Hamlet" in html


# ------------------------------------------------------------------ command
def test_s2a_eval_task_rgb_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def respond(messages: list[BaseMessage]) -> str:
        text = messages[-1].text
        if text.startswith("问题："):
            return "是"
        return "答案" if "文档：" in text else "不知道"

    model = FakeS2AChatModel(replies=respond)
    monkeypatch.setattr(rag_cli, "resolve_chat_model", lambda spec: model)
    parser = argparse.ArgumentParser()
    add_eval_arguments(parser)
    args = parser.parse_args(
        [
            "--task",
            "rgb",
            "--settings",
            "0.8",
            "--limit",
            "2",
            "--conditions",
            "baseline,oracle,s2a_judge",
            "--cache-dir",
            str(tmp_path / "c"),
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
        ]
    )
    assert run_eval_command(args) == 0
    out = capsys.readouterr().out
    assert "## rgb, noise=0.8" in out and "| s2a_judge | 2 |" in out
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "results.md",
        "results.json",
        "records.jsonl",
        "report.html",
    }
    bad = parser.parse_args(["--task", "nq-docs", "--conditions", "s2a,nope"])
    assert run_eval_command(bad) == 2


def test_usage_counter_reads_reused_tokens() -> None:
    from langchain_core.outputs import ChatGeneration, LLMResult

    from langchain_s2a.eval.rag.runner import UsageCounter

    counter = UsageCounter()
    message = AIMessage(
        "x",
        usage_metadata={
            "input_tokens": 10,
            "output_tokens": 1,
            "total_tokens": 11,
            "input_token_details": {"cache_read": 8},
        },
    )
    counter.on_llm_end(
        LLMResult(generations=[[ChatGeneration(message=message)]]),
        run_id=__import__("uuid").uuid4(),
    )
    assert (counter.input_tokens, counter.cache_read, counter.output_tokens) == (10, 8, 1)
    assert not math.isnan(counter.input_tokens)
