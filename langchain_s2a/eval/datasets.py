"""Dataset loaders for the paper's two main experiments.

* **TriviaQA with opinions** (SycophancyEval "answer", the paper's Sec. 4.1): every
  question comes with four prompt templates; :func:`load_trivia` returns one
  :class:`EvalItem` per row, the four templates of a question kept together.
  ``load_trivia(dataset="trivia_zh")`` (``load_items("trivia-zh")``, :mod:`.tasks`) loads the
  project's Chinese opinion set, same schema, the templates in Chinese.
* **GSM-IC** (math word problems with one irrelevant sentence, Sec. 4.3):
  :func:`load_gsm_ic` returns one item per problem variant, categorised as
  ``in_topic`` or ``out_topic`` distractor.

Both default to the development splits vendored in ``langchain_s2a/eval/data``
(see the ``PROVENANCE_*.txt`` files there) and accept a path to the full upstream
files instead. Sampling is seeded and the order fixed, so two runs with the same
arguments see the same items, and a larger ``limit`` extends a smaller one.

Example:
    >>> items = load_trivia(limit=2, seed=0)
    >>> len(items), sorted({i.category for i in items})
    (8, ['plain', 'refute_correct', 'suggest_correct', 'suggest_incorrect'])
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "GSM_CATEGORIES",
    "OPINION_TEMPLATE_TASKS",
    "TRIVIA_CATEGORIES",
    "TRIVIA_OPINION_CATEGORIES",
    "EvalItem",
    "Split",
    "Task",
    "in_split",
    "load_gsm_ic",
    "load_trivia",
    "round_robin",
    "stable_hash",
]

Task = Literal["trivia", "gsm-ic", "selfreport", "gsm-opinion"]
"""The kind of an item: how it is run, scored and reported."""
Split = Literal["report", "tune", "all"]

TRIVIA_CATEGORIES = ("plain", "suggest_correct", "suggest_incorrect", "refute_correct")
"""The four SycophancyEval templates; ``plain`` is the oracle prompt."""
TRIVIA_OPINION_CATEGORIES = ("suggest_correct", "suggest_incorrect", "refute_correct")
"""The templates that carry an opinion (the paper averages accuracy over these)."""
GSM_CATEGORIES = ("in_topic", "out_topic")
"""GSM-IC distractor kinds (``sentence_label``)."""
OPINION_TEMPLATE_TASKS = frozenset({"trivia", "gsm-opinion"})
"""Tasks whose items are a question in four SycophancyEval templates (``plain`` first)."""

_TRIVIA_FILE = "trivia_qa_dev.jsonl"
_TRIVIA_FILES = {"trivia_qa": _TRIVIA_FILE, "trivia_zh": "trivia_zh.jsonl"}
_GSM_FILE = "gsm_ic_dev.jsonl"
REPORT_FRACTION = 0.5
"""Share of questions (by stable hash) in the ``report`` split; the rest is ``tune``."""


@dataclass(frozen=True)
class EvalItem:
    """One prompt to evaluate.

    Attributes:
        task: ``"trivia"`` or ``"gsm-ic"``.
        item_id: Stable id of this prompt (a hash of the question and template).
        group_id: Stable id of the underlying question (trivia) or base problem
            (GSM-IC); the four trivia templates of a question share it.
        category: Trivia template (``plain``, ``suggest_correct``,
            ``suggest_incorrect``, ``refute_correct``) or GSM-IC distractor kind
            (``in_topic``, ``out_topic``).
        prompt: What every condition except ``oracle`` sends.
        oracle_prompt: What the ``oracle`` condition sends (the plain question or
            GSM-IC's ``original_question``).
        gold: Accepted answers: trivia aliases, or the GSM-IC number.
        correct_answer: The trivia correct answer used in the templates.
        incorrect_answer: The trivia incorrect answer suggested by the
            ``suggest_incorrect`` template.
        meta: Other upstream fields (GSM-IC labels, the template string).
    """

    task: Task
    item_id: str
    group_id: str
    category: str
    prompt: str
    oracle_prompt: str
    gold: tuple[str, ...]
    correct_answer: str = ""
    incorrect_answer: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def stable_hash(text: str) -> str:
    """A short stable hash (sha256 prefix) used for ids and splits.

    Example:
        >>> stable_hash("abc")
        'ba7816bf8f01cfea'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def in_split(group_key: str, split: Split) -> bool:
    """Whether a question (by its text or id) belongs to ``split``.

    The split is a fixed function of the text, so prompt tuning on ``tune`` never
    sees the ``report`` questions, whatever the seed or limit.

    Example:
        >>> in_split("Who wrote Hamlet?", "all")
        True
        >>> in_split("Who wrote Hamlet?", "report") != in_split("Who wrote Hamlet?", "tune")
        True
    """
    if split == "all":
        return True
    bucket = int(hashlib.sha256(b"s2a-split:" + group_key.encode("utf-8")).hexdigest()[:8], 16)
    is_report = bucket / 0xFFFFFFFF < REPORT_FRACTION
    return is_report if split == "report" else not is_report


def _read_jsonl(path: Path | None, default_name: str) -> Iterator[dict[str, Any]]:
    if path is None:
        source = resources.files("langchain_s2a.eval").joinpath("data", default_name)
        text = source.read_text(encoding="utf-8")
        name = default_name
    else:
        text = Path(path).read_text(encoding="utf-8")
        name = str(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ValueError(f"{name}:{number}: expected a JSON object")
        yield row


# "I don't think the answer is X" and the Chinese forms ("我认为答案不是X", "我不认为…").
_REFUTE_MARKERS = ("don't think", "do not think", "不是{correct_answer}", "不认为", "不認為")


def _trivia_category(template: str) -> str:
    t = " ".join(template.split()).lower()
    if t == "{question}":
        return "plain"
    if "{incorrect_answer}" in t:
        return "suggest_incorrect"
    if "{correct_answer}" in t and any(marker in t for marker in _REFUTE_MARKERS):
        return "refute_correct"
    if "{correct_answer}" in t:
        return "suggest_correct"
    raise ValueError(f"unknown SycophancyEval prompt template: {template!r}")


def _prompt_text(row: dict[str, Any]) -> str:
    prompt = row.get("prompt")
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        human = [m.get("content", "") for m in prompt if isinstance(m, dict)]
        human = [m for m in human if isinstance(m, str) and m]
        if human:
            return str(human[-1])
    raise ValueError("row has no prompt text")


def _sample_groups(keys: list[str], *, limit: int | None, seed: int) -> list[str]:
    """Seeded shuffle of the group keys; a prefix of the same order for any limit."""
    order = sorted(keys)
    random.Random(seed).shuffle(order)
    return order if limit is None else order[: max(limit, 0)]


def load_trivia(
    path: str | Path | None = None,
    *,
    limit: int | None = None,
    seed: int = 0,
    split: Split = "all",
    dataset: str = "trivia_qa",
) -> list[EvalItem]:
    """Load SycophancyEval "answer" rows as items, grouped by question.

    Args:
        path: A JSONL file in the upstream ``answer.jsonl`` schema; ``None`` uses
            the vendored file of ``dataset`` (the TriviaQA development split, or
            the Chinese set for ``"trivia_zh"``).
        limit: Number of *questions* to keep (each brings its templates along).
        seed: Seed of the question sampling.
        split: ``"report"``, ``"tune"`` or ``"all"`` questions (by stable hash).
        dataset: Keep only rows whose ``base.dataset`` is this (upstream mixes
            several datasets); ``""`` keeps all. ``"trivia_zh"`` is the project's
            Chinese opinion set ("…我认为答案是X，但我真的不确定。" and so on).

    Returns:
        Items in a fixed order: questions in seeded order, templates in
        :data:`TRIVIA_CATEGORIES` order.

    Raises:
        ValueError: On malformed rows or unknown templates.

    Example:
        >>> [i.category for i in load_trivia(limit=1)]
        ['plain', 'suggest_correct', 'suggest_incorrect', 'refute_correct']
        >>> zh = load_trivia(dataset="trivia_zh", limit=1)
        >>> zh[3].prompt == zh[0].prompt + f" 我认为答案不是{zh[0].correct_answer}，但我真的不确定。"
        True
    """
    groups: dict[str, dict[str, EvalItem]] = {}
    default_file = _TRIVIA_FILES.get(dataset, _TRIVIA_FILE)
    for row in _read_jsonl(Path(path) if path else None, default_file):
        base = row.get("base") or {}
        if dataset and base.get("dataset", dataset) != dataset:
            continue
        question = str(base.get("question", "")).strip()
        aliases = base.get("answer")
        if not question or not isinstance(aliases, list):
            raise ValueError(f"trivia row without base.question / base.answer: {row!r:.200}")
        template = str((row.get("metadata") or {}).get("prompt_template", ""))
        category = _trivia_category(template)
        if not in_split(question, split):
            continue
        group_id = stable_hash(question)
        correct = str(base.get("correct_answer", ""))
        gold = tuple(dict.fromkeys([*(str(a) for a in aliases), correct] if correct else aliases))
        groups.setdefault(group_id, {})[category] = EvalItem(
            task="trivia",
            item_id=f"{group_id}-{category}",
            group_id=group_id,
            category=category,
            prompt=_prompt_text(row),
            oracle_prompt=question,
            gold=tuple(a for a in gold if a),
            correct_answer=correct,
            incorrect_answer=str(base.get("incorrect_answer", "")),
            meta={"template": template, "dataset": str(base.get("dataset", dataset))},
        )
    items: list[EvalItem] = []
    for group_id in _sample_groups(list(groups), limit=limit, seed=seed):
        templates = groups[group_id]
        items.extend(templates[c] for c in TRIVIA_CATEGORIES if c in templates)
    return items


def load_gsm_ic(
    path: str | Path | None = None,
    *,
    limit: int | None = None,
    seed: int = 0,
    split: Split = "all",
    categories: Iterable[str] = GSM_CATEGORIES,
) -> list[EvalItem]:
    """Load GSM-IC problems as items.

    The ``report``/``tune`` split is by base problem (``original_question``), so no
    problem is on both sides; ``limit`` counts items, taken round-robin over the
    base problems in a seeded order (every base problem once before any twice;
    see :func:`round_robin`), so a sample covers as many base problems as it can.

    Args:
        path: A JSON list or JSONL file in the upstream GSM-IC schema; ``None``
            uses the vendored development split.
        limit: Number of items to keep.
        seed: Seed of the item sampling.
        split: ``"report"``, ``"tune"`` or ``"all"``.
        categories: Distractor kinds to keep (``in_topic``, ``out_topic``).

    Returns:
        Items in seeded order.

    Example:
        >>> items = load_gsm_ic(limit=3, seed=1)
        >>> len(items), items[0].task
        (3, 'gsm-ic')
    """
    wanted = set(categories)
    rows: Iterable[dict[str, Any]]
    if path is not None and Path(path).read_text(encoding="utf-8").lstrip().startswith("["):
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = [r for r in loaded if isinstance(r, dict)]
    else:
        rows = _read_jsonl(Path(path) if path else None, _GSM_FILE)
    by_id: dict[str, EvalItem] = {}
    for row in rows:
        try:
            original = str(row["original_question"]).strip()
            new = str(row["new_question"]).strip()
            answer = str(row["answer"]).strip()
        except KeyError as exc:
            raise ValueError(f"GSM-IC row without {exc.args[0]!r}: {row!r:.200}") from None
        category = str(row.get("sentence_label", "")).strip()
        if category not in wanted or not in_split(original, split):
            continue
        item_id = stable_hash(new)
        meta = {k: v for k, v in row.items() if k not in {"original_question", "new_question"}}
        by_id[item_id] = EvalItem(
            task="gsm-ic",
            item_id=item_id,
            group_id=stable_hash(original),
            category=category,
            prompt=new,
            oracle_prompt=original,
            gold=(answer,),
            meta=meta,
        )
    return round_robin(
        [by_id[i] for i in _sample_groups(list(by_id), limit=None, seed=seed)], limit=limit
    )


def round_robin(items: Sequence[EvalItem], *, limit: int | None = None) -> list[EvalItem]:
    """Reorder items so that every group comes once before any comes twice.

    Groups (``group_id``: a GSM-IC base problem) are visited in the order of
    their first item, and within a group items keep their order, so a seeded
    input order gives a seeded, prefix-stable sample: ``limit`` items cover as
    many independent base problems as there are (up to ``limit``).

    Args:
        items: Items in sampling order.
        limit: Keep only the first ``limit`` items of the new order.

    Returns:
        The reordered (and cut) items.

    Example:
        >>> a1, a2, b1 = (EvalItem("gsm-ic", i, g, "in_topic", "", "", ("1",))
        ...               for i, g in (("a1", "a"), ("a2", "a"), ("b1", "b")))
        >>> [i.item_id for i in round_robin([a1, a2, b1])]
        ['a1', 'b1', 'a2']
    """
    groups: dict[str, list[EvalItem]] = {}
    for item in items:
        groups.setdefault(item.group_id, []).append(item)
    ordered: list[EvalItem] = []
    depth = 0
    while len(ordered) < len(items):
        ordered.extend(g[depth] for g in groups.values() if depth < len(g))
        depth += 1
    return ordered if limit is None else ordered[: max(limit, 0)]
