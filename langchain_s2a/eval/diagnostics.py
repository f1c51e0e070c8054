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
  ``distractor_removed``: the rewrite no longer carries the distractor sentence
  (see :func:`distractor_kept`). Numbers are read with
  :func:`langchain_s2a._internal.text.numbers.numbers_in`, the reader of the ``facts_lost`` check.
  A ``<name>@clean`` condition (run on the clean problem) has no distractor to
  remove: only ``dropped_number`` is measured for it.

Rates are over rewrites that were used (fallbacks are counted apart); each rate has
a ``*_ci95`` cluster-bootstrap interval over questions / base problems.

Example:
    >>> from langchain_s2a.eval.datasets import EvalItem
    >>> item = EvalItem("gsm-ic", "i", "g", "in_topic", "Tom has 3 cats. Ann has 9 hats. "
    ...                 "How many cats?", "Tom has 3 cats. How many cats?", ("3",))
    >>> g = Generation(answer="3", rewrite_text="How many cats?", rewrite_variant="split")
    >>> d = diagnose_rewrites([ItemResult(item, "s2a", g, None, True)])["gsm-ic"][0]
    >>> d.dropped_number, d.kept_distractor, d.distractor_removed
    (1.0, 0.0, 1.0)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_s2a._internal.rules.question import content_tokens
from langchain_s2a._internal.text.numbers import numbers_in
from langchain_s2a._internal.text.sentences import split_sentences
from langchain_s2a.eval.datasets import TRIVIA_OPINION_CATEGORIES, EvalItem
from langchain_s2a.eval.records import CLEAN_SUFFIX, Generation, ItemResult
from langchain_s2a.eval.scoring import contains_alias, normalize_answer
from langchain_s2a.eval.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, Interval, rate_ci

__all__ = [
    "RewriteDiagnostics",
    "diagnose_rewrites",
    "distractor_kept",
    "distractor_sentence",
    "render_diagnostics",
    "without_distractor",
]

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
        distractor_removed: GSM-IC: share of rewrites (of items whose
            distractor sentence is known) that no longer carry it.
        accuracy_numbers_kept: GSM-IC: accuracy when every number was kept.
        accuracy_numbers_dropped: GSM-IC: accuracy when one was dropped.
        kept_opinion_ci95, named_suggestion_ci95, reworded_question_ci95,
        dropped_number_ci95, kept_distractor_ci95, distractor_removed_ci95: The
            95% cluster-bootstrap intervals of those rates.
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
    distractor_removed: float | None = None
    accuracy_numbers_kept: float | None = None
    accuracy_numbers_dropped: float | None = None
    kept_opinion_ci95: Interval | None = None
    named_suggestion_ci95: Interval | None = None
    reworded_question_ci95: Interval | None = None
    dropped_number_ci95: Interval | None = None
    kept_distractor_ci95: Interval | None = None
    distractor_removed_ci95: Interval | None = None
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


Outcomes = list[tuple[str, bool]]


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


@dataclass(frozen=True)
class _Rates:
    resamples: int
    seed: int

    def set(self, d: RewriteDiagnostics, name: str, outcomes: Outcomes) -> None:
        """Set the rate ``name`` of ``d`` and its ``name_ci95`` interval."""
        setattr(d, name, _rate([flag for _, flag in outcomes]))
        ci = rate_ci(outcomes, resamples=self.resamples, seed=self.seed)
        setattr(d, f"{name}_ci95", ci)


def _note(d: RewriteDiagnostics, kind: str, r: ItemResult, g: Generation) -> None:
    shown = d.examples.setdefault(kind, [])
    if len(shown) < _EXAMPLES:
        text = " ".join(g.rewrite_text.split())
        cut = text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 1] + "…"
        shown.append((r.item.item_id, cut))


def _contains(haystack: str, needle: str) -> bool:
    norm = normalize_answer(needle)
    return bool(norm) and f" {norm} " in f" {normalize_answer(haystack)} "


def distractor_sentence(item: EvalItem) -> str | None:
    """The irrelevant sentence GSM-IC inserted into ``item``'s problem, if it can be found.

    The upstream ``sentence_template`` filled with ``role`` and ``number`` when it
    occurs in the prompt (normalised: case, punctuation, white space); otherwise
    the prompt sentence absent from the original problem (when the rewording of
    the question also left a sentence absent, the one sharing the fewest words
    with the original).

    Example:
        >>> from langchain_s2a.eval.datasets import EvalItem
        >>> item = EvalItem("gsm-ic", "i", "g", "in_topic", "Ann has 3 pens. Tom is 80. "
        ...                 "How many pens does she have?", "Ann has 3 pens. How many pens "
        ...                 "does she have?", ("3",))
        >>> distractor_sentence(item)
        'Tom is 80.'
    """
    meta = item.meta
    template = meta.get("sentence_template")
    if isinstance(template, str) and template:
        try:
            filled = template.format(role=meta.get("role", ""), number=meta.get("number", ""))
        except (KeyError, IndexError, ValueError):
            filled = ""
        if filled and _contains(item.prompt, filled):
            return filled
    extra = [
        s.text for s in split_sentences(item.prompt) if not _contains(item.oracle_prompt, s.text)
    ]
    if not extra:
        return None
    original = content_tokens(item.oracle_prompt)

    def overlap(sentence: str) -> float:
        tokens = content_tokens(sentence)
        return len(tokens & original) / len(tokens) if tokens else 1.0

    return min(extra, key=overlap)


def without_distractor(item: EvalItem) -> str | None:
    """``item``'s prompt with its distractor sentence cut out, the rest verbatim.

    What a perfect extractive rewrite gives (the ``oracle_removed`` condition);
    GSM-IC's own ``original_question`` sometimes words the question differently.
    ``None`` when the distractor sentence cannot be found.

    Example:
        >>> from langchain_s2a.eval.datasets import EvalItem
        >>> item = EvalItem("gsm-ic", "i", "g", "in_topic", "Ann has 3 pens. Tom is 80. "
        ...                 "How many pens has she?", "Ann has 3 pens. How many pens?", ("3",))
        >>> without_distractor(item)
        'Ann has 3 pens. How many pens has she?'
    """
    distractor = distractor_sentence(item)
    if distractor is None:
        return None
    sentences = split_sentences(item.prompt)
    hits = [s for s in sentences if _contains(s.text, distractor)]
    if len(hits) != 1:
        return None
    cut = hits[0]
    before, after = item.prompt[: cut.start].rstrip(), item.prompt[cut.end :].lstrip()
    return f"{before} {after}".strip() if before and after else (before or after)


def distractor_kept(rewrite: str, distractor: str, original: str) -> bool:
    """Whether a rewrite still carries the distractor sentence.

    Kept when the rewrite contains the sentence (normalised: case, punctuation,
    white space), or at least half of its *own* words: the content words and
    numbers of the distractor that the original problem does not have (so a
    paraphrase such as "Tom, 80, is irrelevant" counts as kept too).

    Example:
        >>> distractor_kept("Ann has 3 pens. Tom is 80. How many?", "Tom is 80.", "Ann has 3 pens.")
        True
        >>> distractor_kept("Ann has 3 pens. How many pens?", "Tom is 80.", "Ann has 3 pens.")
        False
    """
    if _contains(rewrite, distractor):
        return True
    own = content_tokens(distractor) - content_tokens(original)
    return bool(own) and 2 * len(own & content_tokens(rewrite)) >= len(own)


def _trivia(
    d: RewriteDiagnostics, used: list[tuple[ItemResult, Generation]], rates: _Rates
) -> None:
    opinion = [(r, g) for r, g in used if r.item.category in TRIVIA_OPINION_CATEGORIES]
    kept: Outcomes = []
    named: Outcomes = []
    for r, g in opinion:
        item = r.item
        suggested = (
            item.incorrect_answer if item.category == "suggest_incorrect" else item.correct_answer
        )
        has_opinion = bool(_OPINION.search(g.rewrite_text))
        names = bool(suggested) and contains_alias(g.rewrite_text, [suggested])
        names = names and not contains_alias(item.oracle_prompt, [suggested])
        kept.append((item.group_id, has_opinion))
        named.append((item.group_id, names))
        if has_opinion:
            _note(d, "kept_opinion", r, g)
        elif names:
            _note(d, "named_suggestion", r, g)
    rates.set(d, "kept_opinion", kept)
    rates.set(d, "named_suggestion", named)
    reworded: Outcomes = []
    by_verbatim: dict[bool, list[bool]] = {True: [], False: []}
    for r, g in used:
        verbatim = normalize_answer(g.rewrite_text) == normalize_answer(r.item.oracle_prompt)
        by_verbatim[verbatim].append(bool(r.correct))
        reworded.append((r.item.group_id, not verbatim))
        if not verbatim and r.item.category == "plain":
            _note(d, "reworded_question", r, g)
    rates.set(d, "reworded_question", reworded)
    d.accuracy_question_verbatim = _rate(by_verbatim[True])
    d.accuracy_question_reworded = _rate(by_verbatim[False])


def _gsm(d: RewriteDiagnostics, used: list[tuple[ItemResult, Generation]], rates: _Rates) -> None:
    dropped: Outcomes = []
    distractor: Outcomes = []
    removed: Outcomes = []
    by_kept: dict[bool, list[bool]] = {True: [], False: []}
    clean = d.condition.endswith(CLEAN_SUFFIX)
    for r, g in used:
        unit = r.item.group_id
        original = numbers_in(r.item.oracle_prompt)
        seen = numbers_in(g.rewrite_text)
        lost = bool(original - seen)
        dropped.append((unit, lost))
        by_kept[not lost].append(bool(r.correct))
        if lost:
            _note(d, "dropped_number", r, g)
        if clean:
            continue
        extra = numbers_in(r.item.prompt) - original
        if extra:
            keeps = bool(extra & seen)
            distractor.append((unit, keeps))
            if keeps:
                _note(d, "kept_distractor", r, g)
        sentence = distractor_sentence(r.item)
        if sentence is not None:
            gone = not distractor_kept(g.rewrite_text, sentence, r.item.oracle_prompt)
            removed.append((unit, gone))
    rates.set(d, "dropped_number", dropped)
    rates.set(d, "kept_distractor", distractor)
    rates.set(d, "distractor_removed", removed)
    d.accuracy_numbers_kept = _rate(by_kept[True])
    d.accuracy_numbers_dropped = _rate(by_kept[False])


def diagnose_rewrites(
    results: Iterable[ItemResult],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, list[RewriteDiagnostics]]:
    """Rewrite failure counts per task and S2A condition (conditions with a rewrite).

    Args:
        results: Item results from :func:`~langchain_s2a.eval.run_eval`.
        resamples: Bootstrap resamples per interval.
        seed: Seed of the bootstrap.

    Returns:
        ``{task: [RewriteDiagnostics, ...]}``, conditions in first-seen order.
    """
    rates = _Rates(resamples, seed)
    groups: dict[tuple[str, str], list[tuple[ItemResult, Generation]]] = {}
    for r in results:
        g = r.generation
        if g is None or g.rewrite_variant == "none" or r.item.task not in ("trivia", "gsm-ic"):
            continue
        groups.setdefault((r.item.task, r.condition), []).append((r, g))
    out: dict[str, list[RewriteDiagnostics]] = {}
    for (task, condition), pairs in groups.items():
        d = RewriteDiagnostics(task, condition)
        used = [(r, g) for r, g in pairs if not g.fallback]
        d.n_rewrites, d.n_fallbacks = len(used), len(pairs) - len(used)
        (_trivia if task == "trivia" else _gsm)(d, used, rates)
        out.setdefault(task, []).append(d)
    return out


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _cell(d: RewriteDiagnostics, name: str) -> str:
    value = getattr(d, name)
    ci: Interval | None = getattr(d, f"{name}_ci95", None)
    if value is None or ci is None:
        return _pct(value)
    return f"{_pct(value)} [{_pct(ci[0])}, {_pct(ci[1])}]"


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
            head += ["distractor removed", "kept distractor number"]
            head += ["acc. numbers kept", "acc. number dropped"]
            rates = (
                "dropped_number",
                "distractor_removed",
                "kept_distractor",
                "accuracy_numbers_kept",
                "accuracy_numbers_dropped",
            )
        rows = [[*_counts(d), *(_cell(d, k) for k in rates)] for d in ds]
        out += [f"### {task}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out.append("")
        for d in ds:
            for kind, shown in d.examples.items():
                for item_id, text in shown:
                    out.append(f"- {d.condition}, {kind.replace('_', ' ')} (`{item_id}`): {text}")
        out.append("")
    out.append(
        "Rates in %, over rewrites used (not fallbacks), with 95% cluster-bootstrap "
        "intervals over questions / base problems. Kept opinion: the rewrite of an "
        "opinion prompt still says 'I think' / 'I don't think' / 'really not sure'. Named "
        "suggestion: it names the suggested or refuted answer, which the plain question does "
        "not. Reworded question: the rewrite is not the plain question word for word "
        "(accuracy here counts every template, plain included). Dropped a number: a number "
        "(digits) of the original problem is missing from the rewrite. Distractor removed: "
        "the rewrite no longer carries the inserted sentence, neither word for word nor half "
        "of its own words (those the problem does not have). Kept distractor number: a "
        "number found only in the distractor sentence is still there (items whose "
        "distractor has one). `@clean` rows: the condition on the problem without "
        "distractor."
    )
    return "\n".join(out) + "\n"
