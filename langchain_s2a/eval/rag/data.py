"""The RAG benchmarks: RGB noise robustness (Chinese) and NQ-open with k documents.

Each :class:`RagItem` is one question in one setting (an RGB noise ratio, an NQ
document count) with its documents in order, which of them are gold, the
benchmark's own answer prompt, and its own answer matching (:func:`score`).

The data lives outside the installed package (RGB is CC BY-NC-SA 4.0), in
``benchmarks/data/rag/`` of a source checkout, with its license and provenance;
``path`` points elsewhere. Only RGB ids < 200 and the first 2,000 NQ questions
are there; the rest is kept aside for independent checks.

Example:
    >>> rgb_correct("日本、韩国等国家", [["日本", "日"], "韩国"])
    True
    >>> nq_correct("It was Wilhelm Conrad Röntgen.", ["Wilhelm Conrad Röntgen"])
    True
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DATA_DIR",
    "NQ_POSITIONS",
    "RGB_REPORT_FRACTION",
    "RagDoc",
    "RagItem",
    "RagTask",
    "load_nq_docs",
    "load_rag_items",
    "load_rgb",
    "nq_correct",
    "nq_normalize",
    "rag_split",
    "rgb_correct",
    "score",
]

RagTask = Literal["rgb", "nq-docs"]
Split = Literal["report", "tune", "all"]

DATA_DIR = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "rag"
"""Where a source checkout keeps the trimmed data (``benchmarks/data/rag``)."""
NQ_POSITIONS = {10: (0, 4, 9), 20: (0, 4, 9, 14, 19)}
"""Gold positions (0-based) Lost in the Middle reports; one is picked per question."""
RGB_REPORT_FRACTION = 0.6
"""Share of RGB ids 0-199 in the report split (so at least 100 questions are there)."""
NQ_REPORT_FRACTION = 0.5
"""Share of the first 2,000 NQ questions in the report split."""

_NQ_PROMPT = (
    "Write a high-quality answer for the given question using only the provided search "
    "results (some of which might be irrelevant).\n\n{search_results}\n\nQuestion: {question}\n"
    "Answer:"
)
_NQ_CLOSED = "Question: {question}\nAnswer:"
_RGB_SYSTEM = (
    "你是一个准确和可靠的人工智能助手，能够借助外部文档回答问题，请注意外部文档可能存在噪声事实性错误。"
    "如果文档中的信息包含了正确答案，你将进行准确的回答。如果文档中的信息不包含答案，你将生成"
    "“文档信息不足，因此我无法基于提供的文档回答该问题。”。如果部分文档中存在与事实不一致的错误，"
    "请先生成“提供文档的文档存在事实性错误。”，并生成正确答案。"
)
_RGB_INSTRUCTION = "文档：\n{DOCS} \n\n问题：\n{QUERY}"


@dataclass(frozen=True)
class RagDoc:
    """One retrieved document."""

    text: str
    """The document's text."""
    title: str = ""
    """Its title (NQ: the Wikipedia page), shown by the answer prompt."""
    gold: bool = False
    """Whether it holds the answer (RGB positive, NQ gold passage)."""


@dataclass(frozen=True)
class RagItem:
    """One question of a RAG benchmark in one setting.

    Attributes:
        task: ``"rgb"`` or ``"nq-docs"``.
        item_id: Unique id (question and setting).
        group_id: The question (the bootstrap's unit).
        setting: ``"noise=0.6"`` or ``"k=10"``.
        question: The query.
        documents: The retrieved documents, in order.
        answers: Accepted answers: RGB's list (each entry a string or a list of
            alternatives, all entries needed); NQ's aliases (any one).
        language: ``"zh"`` (RGB) or ``"en"`` (NQ).
    """

    task: RagTask
    item_id: str
    group_id: str
    setting: str
    question: str
    documents: tuple[RagDoc, ...]
    answers: tuple[Any, ...]
    language: Literal["en", "zh"]

    @property
    def gold_indices(self) -> list[int]:
        """Positions of the gold documents."""
        return [i for i, d in enumerate(self.documents) if d.gold]

    def answer_messages(self, documents: Sequence[RagDoc] | None) -> list[dict[str, str]]:
        """The benchmark's answer prompt over ``documents`` (``None``: closed book).

        RGB: its system prompt and ``文档：…问题：…`` instruction (documents joined by
        newlines, ``DOCS`` empty when closed book). NQ: Lost in the Middle's
        ``qa.prompt`` (``Document [i](Title: …) …``; a document without a title, such
        as the S2A chain's rewritten context, is shown as it is) or
        ``closedbook_qa.prompt``.
        """
        if self.task == "rgb":
            docs = "\n".join(d.text for d in documents or [])
            human = _RGB_INSTRUCTION.format(DOCS=docs, QUERY=self.question)
            return [{"role": "system", "content": _RGB_SYSTEM}, {"role": "user", "content": human}]
        if documents is None:
            return [{"role": "user", "content": _NQ_CLOSED.format(question=self.question)}]
        results = "\n".join(
            f"Document [{i}](Title: {d.title}) {d.text}" if d.title else d.text
            for i, d in enumerate(documents, start=1)
        )
        prompt = _NQ_PROMPT.format(search_results=results, question=self.question)
        return [{"role": "user", "content": prompt}]


def _bucket(key: str) -> float:
    return int(hashlib.sha256(b"s2a-split:" + key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def rag_split(key: str, split: Split, *, report_fraction: float) -> bool:
    """Whether the question ``key`` is in ``split`` (a fixed function of the key).

    Example:
        >>> rag_split("rgb:3", "tune", report_fraction=0.6) != rag_split(
        ...     "rgb:3", "report", report_fraction=0.6)
        True
    """
    if split == "all":
        return True
    is_report = _bucket(key) < report_fraction
    return is_report if split == "report" else not is_report


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _order(keys: list[str], seed: int) -> list[str]:
    """A seeded, stable order of question keys (the first n are a random sample)."""
    return sorted(keys, key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())


def rgb_context(row: dict[str, Any], noise: float, passages: int = 5) -> list[RagDoc]:
    """RGB's ``processdata`` for the noise-robustness files: mixed, shuffled documents."""
    neg = math.ceil(passages * noise)
    pos = passages - neg
    if neg > len(row["negative"]):
        neg = len(row["negative"])
        pos = passages - neg
    elif pos > len(row["positive"]):
        pos = len(row["positive"])
        neg = passages - pos
    docs = [RagDoc(t, gold=True) for t in row["positive"][:pos]]
    docs += [RagDoc(t) for t in row["negative"][:neg]]
    random.Random(2333).shuffle(docs)
    return docs


def load_rgb(
    path: Path | None = None,
    *,
    noise: Sequence[float] = (0.6,),
    split: Split = "report",
    limit: int | None = None,
    seed: int = 0,
) -> list[RagItem]:
    """RGB noise-robustness items (``zh_refine``), one per question and noise ratio.

    Args:
        path: The trimmed ``zh_refine.jsonl`` (default: the checkout's copy).
        noise: Noise ratios (share of the 5 documents that are negatives).
        split: ``"report"``, ``"tune"`` or ``"all"`` (ids 0-199 only).
        limit: Questions per noise ratio (a seeded sample); ``None``: all.
        seed: Sampling seed.

    Returns:
        The items, ordered by question then noise ratio.
    """
    rows = {
        f"rgb:{r['id']}": r
        for r in _rows(path or DATA_DIR / "rgb" / "zh_refine.jsonl")
        if int(r["id"]) < 200
    }
    keys = [k for k in rows if rag_split(k, split, report_fraction=RGB_REPORT_FRACTION)]
    items = []
    for key in _order(keys, seed)[:limit]:
        row = rows[key]
        for ratio in noise:
            items.append(
                RagItem(
                    task="rgb",
                    item_id=f"{key}@noise={ratio:g}",
                    group_id=key,
                    setting=f"noise={ratio:g}",
                    question=row["query"],
                    documents=tuple(rgb_context(row, ratio)),
                    answers=tuple(row["answer"]),
                    language="zh",
                )
            )
    return items


def load_nq_docs(
    path: Path | None = None,
    *,
    k: Sequence[int] = (10,),
    split: Split = "report",
    limit: int | None = None,
    seed: int = 0,
) -> list[RagItem]:
    """NQ-open items with ``k`` documents: the gold passage among BM25 distractors.

    Args:
        path: The trimmed ``nq_docs.jsonl`` (default: the checkout's copy).
        k: Document counts (10 and/or 20).
        split: ``"report"``, ``"tune"`` or ``"all"`` (first 2,000 questions only).
        limit: Questions per ``k`` (a seeded sample); ``None``: all.
        seed: Sampling seed.

    Returns:
        The items, ordered by question then ``k``.
    """
    rows = [r for r in _rows(path or DATA_DIR / "nq" / "nq_docs.jsonl") if r["index"] < 2000]
    by_index = {r["index"]: r for r in rows}
    # A question needs k - 1 answer-free neighbours (one, answered "S", has none).
    need = max(k, default=1) - 1
    keys = {f"nq:{r['index']}": r for r in rows if len(r["distractors"]) >= need}
    chosen = [key for key in keys if rag_split(key, split, report_fraction=NQ_REPORT_FRACTION)]
    items = []
    for key in _order(chosen, seed)[:limit]:
        row = keys[key]
        for n in k:
            if n not in NQ_POSITIONS:
                raise ValueError(f"k must be one of {sorted(NQ_POSITIONS)}, got {n}")
            positions = NQ_POSITIONS[n]
            position = positions[int(_bucket(f"pos:{key}") * 1e6) % len(positions)]
            docs = [
                RagDoc(by_index[j]["gold"]["text"], title=by_index[j]["gold"]["title"])
                for j in row["distractors"][: n - 1]
            ]
            gold = RagDoc(row["gold"]["text"], title=row["gold"]["title"], gold=True)
            docs.insert(position, gold)
            items.append(
                RagItem(
                    task="nq-docs",
                    item_id=f"{key}@k={n}",
                    group_id=key,
                    setting=f"k={n}",
                    question=row["question"],
                    documents=tuple(docs),
                    answers=tuple(row["answers"]),
                    language="en",
                )
            )
    return items


def load_rag_items(
    task: RagTask,
    path: Path | None = None,
    *,
    settings: Sequence[float] | None = None,
    split: Split = "report",
    limit: int | None = None,
    seed: int = 0,
) -> list[RagItem]:
    """Items of ``task`` in ``settings`` (RGB noise ratios / NQ document counts)."""
    if task == "rgb":
        return load_rgb(path, noise=settings or (0.6,), split=split, limit=limit, seed=seed)
    ks = [int(s) for s in settings or (10,)]
    return load_nq_docs(path, k=ks, split=split, limit=limit, seed=seed)


def nq_normalize(text: str) -> str:
    """SQuAD normalisation, as Lost in the Middle's ``metrics.normalize_answer``.

    Example:
        >>> nq_normalize("The  Beatles!")
        'beatles'
    """
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def nq_correct(response: str, answers: Sequence[str]) -> bool:
    """Lost in the Middle's ``best_subspan_em``: a normalised answer inside the response."""
    normalized = nq_normalize(response)
    return any(nq_normalize(a) in normalized for a in answers if nq_normalize(a))


def rgb_correct(response: str, answers: Sequence[Any]) -> bool:
    """RGB's matching (``evalue.py``): every answer entry (or one of its alternatives) appears.

    Spaces are removed first (Chinese); a reply saying the documents are insufficient
    (``信息不足``) is wrong.
    """
    prediction = response.replace(" ", "").lower()
    if "信息不足" in prediction or "insufficient information" in prediction:
        return False
    for entry in answers:
        options = entry if isinstance(entry, list) else [entry]
        if not any(str(o).lower() in prediction for o in options):
            return False
    return bool(answers)


def score(item: RagItem, response: str) -> bool:
    """Whether ``response`` answers ``item`` by its benchmark's own matching."""
    if item.task == "rgb":
        return rgb_correct(response, item.answers)
    return nq_correct(response, item.answers)
