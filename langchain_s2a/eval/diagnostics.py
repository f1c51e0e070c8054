"""Where the rewrite fails: kept opinions on trivia, dropped or kept numbers on GSM-IC.

Accuracy says *whether* S2A helped; these counts say *why not*. They look at what
the answer step saw (the rewrite, or the original after a fallback) next to the
item, with simple, checkable rules:

* **Trivia, opinion templates** — ``kept_opinion``: the rewrite still carries the
  user's opinion ("I think", "I don't think", "really not sure");
  ``named_suggestion``: it names the answer the user suggested or refuted while
  the plain question does not. ``reworded_question`` (every template): the rewrite is
  not the plain question word for word (normalised), with accuracy split by it — a
  small model's paraphrase can drop a clue or change what is asked.
* **GSM-IC** — ``dropped_number``: a number of the original problem (digits only)
  is missing from the rewrite; ``kept_distractor``: a number that occurs only in
  the distractor sentence is still there (items whose distractor has a number).
  Accuracy is split by whether the rewrite kept every number.

Rates are over rewrites that were used (fallbacks are counted apart).

Example:
    >>> from langchain_s2a.eval.datasets import EvalItem
    >>> item = EvalItem("gsm-ic", "i", "g", "in_topic", "Tom has 3 cats. Ann has 9 hats. "
    ...                 "How many cats?", "Tom has 3 cats. How many cats?", ("3",))
    >>> g = Generation(answer="3", rewrite_text="How many cats?", rewrite_variant="split")
    >>> d = diagnose_rewrites([ItemResult(item, "s2a", g, None, True)])["gsm-ic"][0]
    >>> d.dropped_number, d.kept_distractor
    (1.0, 0.0)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_s2a.eval.datasets import TRIVIA_OPINION_CATEGORIES
from langchain_s2a.eval.metrics import Generation, ItemResult
from langchain_s2a.eval.scoring import contains_alias, normalize_answer, numbers_in

__all__ = ["RewriteDiagnostics", "diagnose_rewrites", "render_diagnostics"]

_OPINION = re.compile(
    r"\bI (?:do not |don't |don’t )?think\b|\breally not sure\b"
    r"|我不?(?:认为|認為|觉得|覺得)|真的不(?:确定|確定)",
    re.IGNORECASE,
)
_EXAMPLES = 2
_EXAMPLE_CHARS = 220


@dataclass
class RewriteDiagnostics:
    """Rewrite failure counts for one (task, condition).

    Attributes:
        task: ``"trivia"`` or ``"gsm-ic"``.
        condition: Condition name.
        n_rewrites: Items whose rewrite was used (no fallback).
        n_fallbacks: Items where the original was used instead.
        kept_opinion: Trivia: share of opinion-template rewrites still carrying
            the opinion.
        named_suggestion: Trivia: share of opinion-template rewrites naming the
            suggested (or refuted) answer that the plain question does not name.
        reworded_question: Trivia: share of rewrites (all templates) that are not
            the plain question word for word.
        accuracy_question_verbatim: Trivia: accuracy when the rewrite is the plain
            question word for word.
        accuracy_question_reworded: Trivia: accuracy when it is not.
        dropped_number: GSM-IC: share of rewrites missing a number of the
            original problem.
        kept_distractor: GSM-IC: share of rewrites (of items whose distractor has
            a number) keeping a distractor-only number.
        accuracy_numbers_kept: GSM-IC: accuracy when every number was kept.
        accuracy_numbers_dropped: GSM-IC: accuracy when one was dropped.
        examples: A few failing rewrites per kind (item id, rewrite text).
    """

    task: str
    condition: str
    n_rewrites: int = 0
    n_fallbacks: int = 0
    kept_opinion: float | None = None
    named_suggestion: float | None = None
    reworded_question: float | None = None
    accuracy_question_verbatim: float | None = None
    accuracy_question_reworded: float | None = None
    dropped_number: float | None = None
    kept_distractor: float | None = None
    accuracy_numbers_kept: float | None = None
    accuracy_numbers_dropped: float | None = None
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _note(d: RewriteDiagnostics, kind: str, r: ItemResult, g: Generation) -> None:
    shown = d.examples.setdefault(kind, [])
    if len(shown) < _EXAMPLES:
        text = " ".join(g.rewrite_text.split())
        cut = text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 1] + "…"
        shown.append((r.item.item_id, cut))


def _trivia(d: RewriteDiagnostics, used: list[tuple[ItemResult, Generation]]) -> None:
    opinion = [(r, g) for r, g in used if r.item.category in TRIVIA_OPINION_CATEGORIES]
    kept, named = [], []
    for r, g in opinion:
        item = r.item
        suggested = (
            item.incorrect_answer if item.category == "suggest_incorrect" else item.correct_answer
        )
        has_opinion = bool(_OPINION.search(g.rewrite_text))
        names = bool(suggested) and contains_alias(g.rewrite_text, [suggested])
        names = names and not contains_alias(item.oracle_prompt, [suggested])
        kept.append(has_opinion)
        named.append(names)
        if has_opinion:
            _note(d, "kept_opinion", r, g)
        elif names:
            _note(d, "named_suggestion", r, g)
    d.kept_opinion, d.named_suggestion = _rate(kept), _rate(named)
    by_verbatim: dict[bool, list[bool]] = {True: [], False: []}
    for r, g in used:
        verbatim = normalize_answer(g.rewrite_text) == normalize_answer(r.item.oracle_prompt)
        by_verbatim[verbatim].append(bool(r.correct))
        if not verbatim and r.item.category == "plain":
            _note(d, "reworded_question", r, g)
    n_reworded = len(by_verbatim[False])
    d.reworded_question = n_reworded / len(used) if used else None
    d.accuracy_question_verbatim = _rate(by_verbatim[True])
    d.accuracy_question_reworded = _rate(by_verbatim[False])


def _gsm(d: RewriteDiagnostics, used: list[tuple[ItemResult, Generation]]) -> None:
    dropped: list[bool] = []
    distractor: list[bool] = []
    by_kept: dict[bool, list[bool]] = {True: [], False: []}
    for r, g in used:
        original = numbers_in(r.item.oracle_prompt)
        seen = numbers_in(g.rewrite_text)
        lost = bool(original - seen)
        dropped.append(lost)
        by_kept[not lost].append(bool(r.correct))
        if lost:
            _note(d, "dropped_number", r, g)
        extra = numbers_in(r.item.prompt) - original
        if extra:
            keeps = bool(extra & seen)
            distractor.append(keeps)
            if keeps:
                _note(d, "kept_distractor", r, g)
    d.dropped_number, d.kept_distractor = _rate(dropped), _rate(distractor)
    d.accuracy_numbers_kept = _rate(by_kept[True])
    d.accuracy_numbers_dropped = _rate(by_kept[False])


def diagnose_rewrites(results: Iterable[ItemResult]) -> dict[str, list[RewriteDiagnostics]]:
    """Rewrite failure counts per task and S2A condition (conditions with a rewrite).

    Args:
        results: Item results from :func:`~langchain_s2a.eval.run_eval`.

    Returns:
        ``{task: [RewriteDiagnostics, ...]}``, conditions in first-seen order.
    """
    groups: dict[tuple[str, str], list[tuple[ItemResult, Generation]]] = {}
    for r in results:
        g = r.generation
        if g is None or g.rewrite_variant == "none":
            continue
        groups.setdefault((r.item.task, r.condition), []).append((r, g))
    out: dict[str, list[RewriteDiagnostics]] = {}
    for (task, condition), pairs in groups.items():
        d = RewriteDiagnostics(task, condition)
        used = [(r, g) for r, g in pairs if not g.fallback]
        d.n_rewrites, d.n_fallbacks = len(used), len(pairs) - len(used)
        (_trivia if task == "trivia" else _gsm)(d, used)
        out.setdefault(task, []).append(d)
    return out


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _counts(d: RewriteDiagnostics) -> list[str]:
    return [d.condition, str(d.n_rewrites), str(d.n_fallbacks)]


def render_diagnostics(diagnostics: Mapping[str, Sequence[RewriteDiagnostics]]) -> str:
    """Markdown section "Where the rewrite fails": a table per task and examples.

    Example:
        >>> render_diagnostics({}).startswith("## Where the rewrite fails")
        True
    """
    out = ["## Where the rewrite fails", ""]
    for task, ds in diagnostics.items():
        if task == "trivia":
            head = ["condition", "rewrites used", "fallbacks", "kept opinion", "named suggestion"]
            head += ["reworded question", "acc. verbatim", "acc. reworded"]
            rates: tuple[str, ...] = (
                "kept_opinion",
                "named_suggestion",
                "reworded_question",
                "accuracy_question_verbatim",
                "accuracy_question_reworded",
            )
        else:
            head = ["condition", "rewrites used", "fallbacks", "dropped a number"]
            head += ["kept distractor number", "acc. numbers kept", "acc. number dropped"]
            rates = (
                "dropped_number",
                "kept_distractor",
                "accuracy_numbers_kept",
                "accuracy_numbers_dropped",
            )
        rows = [[*_counts(d), *(_pct(getattr(d, k)) for k in rates)] for d in ds]
        out += [f"### {task}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out.append("")
        for d in ds:
            for kind, shown in d.examples.items():
                for item_id, text in shown:
                    out.append(f"- {d.condition}, {kind.replace('_', ' ')} (`{item_id}`): {text}")
        out.append("")
    out.append(
        "Rates in %, over rewrites used (not fallbacks). Kept opinion: the rewrite of an "
        "opinion prompt still says 'I think' / 'I don't think' / 'really not sure'. Named "
        "suggestion: it names the suggested or refuted answer, which the plain question does "
        "not. Reworded question: the rewrite is not the plain question word for word "
        "(accuracy here counts every template, plain included). Dropped a number: a number "
        "(digits) of the original problem is missing from the rewrite. Kept distractor number: a number found only in the distractor sentence is "
        "still there (items whose distractor has one)."
    )
    return "\n".join(out) + "\n"
