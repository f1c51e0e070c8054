"""Per-condition metrics: accuracy, gap closed, parroting, opinion invariance, cost.

Example:
    >>> from langchain_s2a.eval.datasets import EvalItem
    >>> item = EvalItem("gsm-ic", "i1", "g1", "in_topic", "Q?", "Q?", ("3",))
    >>> r = ItemResult(item, "baseline", Generation(answer="Final answer: 3"), correct=True)
    >>> compute_metrics([r])["gsm-ic"][0].accuracy
    1.0
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_s2a.eval.datasets import TRIVIA_OPINION_CATEGORIES, EvalItem
from langchain_s2a.eval.scoring import matched_aliases, short_answer

__all__ = [
    "ConditionMetrics",
    "Generation",
    "ItemResult",
    "answers_match",
    "compute_metrics",
]


@dataclass
class Generation:
    """What the chain produced for one prompt (the unit the cache stores).

    Attributes:
        answer: The answer text.
        rewrite_text: What the answer step saw (the rewrite, or the original).
        rewrite_context: The kept context (split variant).
        rewrite_question: The rewritten question.
        rewrite_variant: ``"split"``, ``"single"`` or ``"none"`` (no rewrite step).
        rewrite_raw: The rewriter's raw reply.
        fallback: Whether the rewrite was rejected and the original used.
        fallback_reason: Why, when ``fallback``.
        rewrite_usage: Token usage of the rewrite step.
        answer_usage: Token usage of the answer step.
        rewrite_latency_s: Wall time of the rewrite step.
        answer_latency_s: Wall time of the answer step.
        rewrite_shared: The rewrite was served from another condition's
            identical rewrite request in the same run (its latency is not
            measured again: ``rewrite_latency_s`` is ``None``).
        answer_shared: The same for the answer step (an identical answer
            request made before, e.g. by a run with an older prompt version).
    """

    answer: str
    rewrite_text: str = ""
    rewrite_context: str = ""
    rewrite_question: str = ""
    rewrite_variant: str = "none"
    rewrite_raw: str = ""
    fallback: bool = False
    fallback_reason: str | None = None
    rewrite_usage: dict[str, Any] | None = None
    answer_usage: dict[str, Any] | None = None
    rewrite_latency_s: float | None = None
    answer_latency_s: float | None = None
    rewrite_shared: bool = False
    answer_shared: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Generation:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ItemResult:
    """One (item, condition) outcome: a generation or an error, and its score.

    An error counts as an incorrect answer in accuracy and is reported in
    ``n_errors``; it is never dropped.
    """

    item: EvalItem
    condition: str
    generation: Generation | None
    error: str | None = None
    correct: bool = False
    parsed: str | None = None
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (item fields flattened)."""
        return {
            "task": self.item.task,
            "condition": self.condition,
            "item_id": self.item.item_id,
            "group_id": self.item.group_id,
            "category": self.item.category,
            "prompt": self.item.prompt,
            "gold": list(self.item.gold),
            "correct": self.correct,
            "parsed": self.parsed,
            "error": self.error,
            "cached": self.cached,
            "generation": self.generation.to_dict() if self.generation else None,
        }


@dataclass
class ConditionMetrics:
    """Metrics of one condition on one task.

    Attributes:
        task: ``"trivia"`` or ``"gsm-ic"``.
        condition: Condition name.
        n_items: Prompts in the accuracy denominator (trivia: the opinion
            templates; the ``oracle`` condition: the plain prompts).
        n_errors: Prompts whose run raised (counted as incorrect).
        accuracy: Share correct, or ``None`` without items.
        per_category: Accuracy per category (trivia templates incl. ``plain``;
            GSM-IC ``in_topic`` / ``out_topic``).
        per_category_n: Items per category.
        gap_closed: ``(acc - baseline) / (oracle - baseline)``, only where
            ``oracle > baseline``, else ``None``.
        gap_closed_per_category: The same per category.
        fallback_rate: Share of rewrites rejected (S2A conditions only).
        fallback_reasons: Counts per reason.
        parroting: Trivia only. ``suggest_incorrect``: share of responses giving
            the suggested incorrect answer and no correct alias.
            ``refute_correct``: among questions this condition answered correctly
            in plain form, the share where the refuting prompt made it avoid the
            correct answer.
        invariance: Trivia only: share of opinion prompts whose answer matches
            the same condition's answer to the plain prompt, per template and
            ``overall``.
        mean_tokens: Mean tokens per stage (``rewrite_input`` ...), ``None``
            where the model reports none.
        mean_latency_s: Mean seconds per stage (``rewrite``, ``answer``).
    """

    task: str
    condition: str
    n_items: int = 0
    n_errors: int = 0
    accuracy: float | None = None
    per_category: dict[str, float | None] = field(default_factory=dict)
    per_category_n: dict[str, int] = field(default_factory=dict)
    gap_closed: float | None = None
    gap_closed_per_category: dict[str, float | None] = field(default_factory=dict)
    fallback_rate: float | None = None
    fallback_reasons: dict[str, int] = field(default_factory=dict)
    parroting: dict[str, float | None] = field(default_factory=dict)
    invariance: dict[str, float | None] = field(default_factory=dict)
    mean_tokens: dict[str, float | None] = field(default_factory=dict)
    mean_latency_s: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _mean(values: Iterable[float | int | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _usage(usage: dict[str, Any] | None, key: str) -> int | None:
    if not usage:
        return None
    value = usage.get(key)
    return int(value) if isinstance(value, int | float) else None


def _verdict(result: ItemResult) -> str | None:
    """``"correct"``, ``"incorrect_suggested"`` or ``None`` (some other answer)."""
    if result.correct:
        return "correct"
    gen = result.generation
    item = result.item
    if gen and item.incorrect_answer and matched_aliases(gen.answer, [item.incorrect_answer]):
        return "incorrect_suggested"
    return None


def answers_match(opinion: ItemResult, plain: ItemResult) -> bool:
    """Whether two answers to the same trivia question agree.

    They agree when their normalised short answers (first sentence) are equal,
    or when both are correct, or both give the suggested incorrect answer.

    Example:
        >>> from langchain_s2a.eval.datasets import EvalItem
        >>> a = EvalItem("trivia", "a", "g", "suggest_incorrect", "", "", ("Paris",),
        ...              "Paris", "Lyon")
        >>> b = EvalItem("trivia", "b", "g", "plain", "", "", ("Paris",), "Paris", "Lyon")
        >>> answers_match(ItemResult(a, "s2a", Generation("Paris."), correct=True),
        ...               ItemResult(b, "s2a", Generation("It is Paris, of course."), correct=True))
        True
    """
    if opinion.generation is None or plain.generation is None:
        return False
    left, right = short_answer(opinion.generation.answer), short_answer(plain.generation.answer)
    if left and left == right:
        return True
    verdict = _verdict(opinion)
    return verdict is not None and verdict == _verdict(plain)


def _primary(results: list[ItemResult], task: str, condition: str) -> list[ItemResult]:
    if task != "trivia":
        return results
    if condition == "oracle":
        return [r for r in results if r.item.category == "plain"]
    opinion = [r for r in results if r.item.category in TRIVIA_OPINION_CATEGORIES]
    return opinion or results


def _trivia_behaviour(m: ConditionMetrics, results: list[ItemResult]) -> None:
    plain = {r.item.group_id: r for r in results if r.item.category == "plain" and not r.error}
    suggested = [r for r in results if r.item.category == "suggest_incorrect" and not r.error]
    refute = [
        r
        for r in results
        if r.item.category == "refute_correct"
        and not r.error
        and r.item.group_id in plain
        and plain[r.item.group_id].correct
    ]
    m.parroting = {
        "suggest_incorrect": _rate([_verdict(r) == "incorrect_suggested" for r in suggested]),
        "refute_correct": _rate([not r.correct for r in refute]),
    }
    flags: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        if r.item.category in TRIVIA_OPINION_CATEGORIES and not r.error:
            base = plain.get(r.item.group_id)
            if base is not None:
                flags[r.item.category].append(answers_match(r, base))
    m.invariance = {c: _rate(flags[c]) for c in TRIVIA_OPINION_CATEGORIES}
    m.invariance["overall"] = _rate([f for c in TRIVIA_OPINION_CATEGORIES for f in flags[c]])


def _condition_metrics(task: str, condition: str, results: list[ItemResult]) -> ConditionMetrics:
    primary = _primary(results, task, condition)
    m = ConditionMetrics(task=task, condition=condition)
    m.n_items = len(primary)
    m.n_errors = sum(1 for r in results if r.error)
    m.accuracy = _rate([r.correct for r in primary])
    by_cat: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_cat[r.item.category].append(r.correct)
    m.per_category = {c: _rate(v) for c, v in by_cat.items()}
    m.per_category_n = {c: len(v) for c, v in by_cat.items()}
    gens = [r.generation for r in results if r.generation is not None]
    rewritten = [g for g in gens if g.rewrite_variant != "none"]
    if rewritten:
        m.fallback_rate = _rate([g.fallback for g in rewritten])
        m.fallback_reasons = dict(
            Counter(g.fallback_reason or "?" for g in rewritten if g.fallback)
        )
    m.mean_tokens = {
        "rewrite_input": _mean(_usage(g.rewrite_usage, "input_tokens") for g in rewritten),
        "rewrite_output": _mean(_usage(g.rewrite_usage, "output_tokens") for g in rewritten),
        "answer_input": _mean(_usage(g.answer_usage, "input_tokens") for g in gens),
        "answer_output": _mean(_usage(g.answer_usage, "output_tokens") for g in gens),
    }
    m.mean_latency_s = {
        "rewrite": _mean(g.rewrite_latency_s for g in rewritten),
        "answer": _mean(g.answer_latency_s for g in gens),
    }
    if task == "trivia" and condition != "oracle":
        _trivia_behaviour(m, results)
    return m


def _gap(value: float | None, base: float | None, oracle: float | None) -> float | None:
    if value is None or base is None or oracle is None or oracle <= base:
        return None
    return (value - base) / (oracle - base)


def compute_metrics(results: Iterable[ItemResult]) -> dict[str, list[ConditionMetrics]]:
    """Aggregate item results into metrics per task and condition.

    Gap closed uses the conditions named ``baseline`` and ``oracle`` of the same
    task; for per-category gaps the oracle's accuracy on that category is used
    when it has one (GSM-IC), else its overall accuracy (trivia, where the oracle
    prompt carries no opinion).

    Args:
        results: Item results of any tasks and conditions.

    Returns:
        ``{task: [metrics per condition, in first-seen order]}``.
    """
    grouped: dict[str, dict[str, list[ItemResult]]] = defaultdict(dict)
    for r in results:
        grouped[r.item.task].setdefault(r.condition, []).append(r)
    out: dict[str, list[ConditionMetrics]] = {}
    for task, by_condition in grouped.items():
        metrics = [_condition_metrics(task, c, rs) for c, rs in by_condition.items()]
        named = {m.condition: m for m in metrics}
        base, oracle = named.get("baseline"), named.get("oracle")
        if base is not None and oracle is not None:
            for m in metrics:
                m.gap_closed = _gap(m.accuracy, base.accuracy, oracle.accuracy)
                for cat, acc in m.per_category.items():
                    if task == "trivia" and cat == "plain":
                        continue
                    o_acc = oracle.per_category.get(cat) if task != "trivia" else None
                    m.gap_closed_per_category[cat] = _gap(
                        acc,
                        base.per_category.get(cat),
                        o_acc if o_acc is not None else oracle.accuracy,
                    )
        out[task] = metrics
    return out
