"""The extractive (pointer) S2A variant: the model picks sentence numbers, not text.

The rewrite is assembled verbatim from the input's own sentences, so a weak model
cannot rewrite facts, and the output is a handful of tokens whatever the context
length. The result records which sentences and character spans were kept.

Example:
    >>> sel = parse_selection("Keep: 1, 3-4\\nQuestion: 5")
    >>> sel.keep, sel.question_id
    ([1, 3, 4], 5)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from langchain_s2a.prompts import neutralize, restore_neutralized
from langchain_s2a.segmentation import Sentence

__all__ = [
    "Extract",
    "Selection",
    "assemble",
    "number_sentences",
    "parse_selection",
    "read_selection",
    "repair_question",
]

_LEAD = r"^[ \t]*(?:[>#*_\-•]+[ \t]*)*(?:\*\*|__)?"
_KEEP_RE = re.compile(
    _LEAD
    + r"(?:keep|kept|sentences?\s+to\s+keep|保留)(?:\*\*|__)?[ \t]*[:：][ \t]*(?:\*\*|__)?(?P<v>[^\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_QUESTION_RE = re.compile(
    _LEAD
    + r"(?:question|问题)(?:\s+sentence)?(?:\*\*|__)?[ \t]*[:：][ \t]*(?:\*\*|__)?(?P<v>[^\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_NONE = re.compile(r"^\s*(?:none|n/a|nothing|无|没有|-)?\s*[.。]?\s*$", re.IGNORECASE)
_NUMBER_ONLY = re.compile(
    r"^\s*(?:sentence\s*|第)?\[?(\d{1,6})\]?(?:\s*句)?\s*[.。]?\s*$", re.IGNORECASE
)
_NUMBER_PREFIX = re.compile(r"^\s*\[(\d{1,6})\]")


@dataclass(frozen=True)
class Selection:
    """What the model selected."""

    keep: list[int] | None
    """Sentence numbers to keep (``None`` when no ``Keep:`` line was found)."""
    question_id: int | None
    """Number of the question sentence, when given as a number."""
    question_text: str
    """The question, when given as text instead of a number."""


def number_sentences(sentences: list[Sentence]) -> str:
    """Render sentences as ``[n] text`` lines (each neutralised as data).

    Example:
        >>> number_sentences([Sentence(1, "Hi.", 0, 3)])
        '[1] Hi.'
    """
    return "\n".join(f"[{s.id}] {neutralize(s.text)}" for s in sentences)


def _numbers(value: str) -> list[int]:
    found: list[int] = []
    for a, b in re.findall(r"(?<!\d)(\d{1,6})(?:\s*[-–~至到]\s*(\d{1,6}))?(?!\d)", value):
        lo = int(a)
        hi = int(b) if b else lo
        if hi < lo or hi - lo > 1000:
            hi = lo
        found.extend(range(lo, hi + 1))
    return list(dict.fromkeys(found))


def parse_selection(text: str) -> Selection:
    """Read the ``Keep:`` and ``Question:`` lines of an extractive reply.

    Args:
        text: The model's reply.

    Returns:
        The selection; missing parts are ``None`` / empty.
    """
    keep_match = _KEEP_RE.search(text)
    question_match = None
    for match in _QUESTION_RE.finditer(text):
        question_match = match
    keep: list[int] | None = None
    if keep_match:
        value = keep_match.group("v").strip().strip("*_ ")
        keep = [] if _NONE.match(value) else _numbers(value)
    question_id: int | None = None
    question_text = ""
    if question_match:
        value = question_match.group("v").strip().strip("*_ ")
        number = _NUMBER_ONLY.match(value) or _NUMBER_PREFIX.match(value)
        if number:
            question_id = int(number.group(1))
        elif not _NONE.match(value):
            question_text = value
    return Selection(keep=keep, question_id=question_id, question_text=question_text)


def _asks(sentence: Sentence) -> bool:
    return sentence.text.rstrip().rstrip("\"'”’」』）)]").rstrip().endswith(("?", "？"))


def repair_question(
    sentences: list[Sentence],
    selection: Selection,
    *,
    is_opinion: Callable[[str], bool] | None = None,
) -> Selection:
    """Point the question at the input's only question sentence when the model missed it.

    Small models often name a sentence that asks nothing (the user's opinion) or a
    number that does not exist. When exactly one input sentence is a question (or
    the input is one sentence), that sentence is taken, verbatim; otherwise the
    selection is returned unchanged and validation decides.

    With ``is_opinion`` (the opinion preset), an opinion sentence is never the
    question, and when no sentence has a question mark the only sentence that is
    not an opinion is taken ("Name the largest ocean" + "I think it's X.").

    Example:
        >>> s = [Sentence(1, "Who wrote Hamlet?", 0, 17), Sentence(2, "I think Marlowe.", 18, 34)]
        >>> repair_question(s, Selection(keep=[1, 2], question_id=2, question_text="")).question_id
        1
    """
    if selection.question_text:
        return selection
    by_id = {s.id: s for s in sentences}
    chosen = by_id.get(selection.question_id) if selection.question_id is not None else None
    if chosen is not None and _asks(chosen) and not (is_opinion and is_opinion(chosen.text)):
        return selection
    pool = [s for s in sentences if not (is_opinion and is_opinion(s.text))] or sentences
    candidates = pool if len(pool) == 1 else [s for s in pool if _asks(s)]
    if len(candidates) != 1:
        return selection
    return Selection(keep=selection.keep, question_id=candidates[0].id, question_text="")


def assemble(
    original: str, sentences: list[Sentence], selection: Selection
) -> tuple[str, str, list[int], list[tuple[int, int]], int | None]:
    """Build the verbatim context and question from a selection.

    Sentence numbers out of range are ignored; the question sentence is never
    repeated in the context. Kept sentences are joined with the white space
    that separated them in the input when adjacent, else with one space (none
    between Chinese sentences).

    Args:
        original: The input text.
        sentences: Its sentences.
        selection: The model's selection.

    Returns:
        ``(context, question, kept_ids, kept_spans, question_id)``; ``question``
        is empty when the selection names no valid question.
    """
    by_id = {s.id: s for s in sentences}
    question_id = selection.question_id if selection.question_id in by_id else None
    kept = sorted(i for i in (selection.keep or []) if i in by_id and i != question_id)
    parts: list[str] = []
    previous: Sentence | None = None
    for i in kept:
        sentence = by_id[i]
        if previous is not None:
            gap = original[previous.end : sentence.start]
            adjacent = previous.id + 1 == sentence.id
            cjk = bool(re.match(r"[\u3400-\u9fff]", sentence.text))
            parts.append(gap if adjacent else ("" if cjk else " "))
        parts.append(sentence.text)
        previous = sentence
    question = by_id[question_id].text if question_id else selection.question_text
    spans = [(by_id[i].start, by_id[i].end) for i in kept]
    return "".join(parts), question, kept, spans, question_id


@dataclass(frozen=True)
class Extract:
    """The verbatim rewrite an extractive reply yields (before the rules judge it)."""

    context: str
    """The kept sentences, joined as :func:`assemble` joins them."""
    question: str
    """The question sentence, or the question the model wrote out; empty if none."""
    kept_ids: list[int]
    """Numbers of the kept sentences (the question's excluded)."""
    kept_spans: list[tuple[int, int]]
    """Character spans of the kept sentences."""
    question_id: int | None
    """Number of the question sentence, when a valid one was named."""
    question_span: tuple[int, int] | None
    """Character span of the question sentence."""
    parsed: bool
    """Whether the reply had a ``Keep:`` or ``Question:`` line (or a written question)."""
    sentences: list[Sentence]
    """The input's sentences, as numbered for the model."""

    def provenance(self) -> dict[str, Any]:
        """The :class:`~langchain_s2a.S2ARewrite` fields recording what was kept."""
        return {
            "kept_ids": self.kept_ids,
            "kept_spans": self.kept_spans,
            "question_id": self.question_id,
            "question_span": self.question_span,
        }


def read_selection(
    raw: str,
    original: str,
    sentences: list[Sentence],
    *,
    is_opinion: Callable[[str], bool] | None = None,
) -> Extract:
    """Read an extractive reply into the verbatim rewrite it selects.

    The reply is parsed (:func:`parse_selection`), its question repaired
    (:func:`repair_question`), and with ``is_opinion`` (the opinion preset) the
    user's opinion sentences are never kept; then the rewrite is assembled
    (:func:`assemble`).

    Args:
        raw: The model's reply.
        original: The input text.
        sentences: Its sentences, as numbered for the model.
        is_opinion: Tells an opinion sentence (the opinion preset), or ``None``.

    Returns:
        The selected rewrite.

    Example:
        >>> s = [Sentence(1, "Who wrote Hamlet?", 0, 17), Sentence(2, "I think Marlowe.", 18, 34)]
        >>> read_selection("Keep: 2\\nQuestion: 1", "Who wrote Hamlet? I think Marlowe.", s,
        ...                is_opinion=lambda text: text.startswith("I think")).question_span
        (0, 17)
    """
    selection = parse_selection(raw)
    if selection.keep is not None or selection.question_id is not None:
        selection = repair_question(sentences, selection, is_opinion=is_opinion)
    if is_opinion is not None and selection.keep:
        by_id = {s.id: s for s in sentences}
        keep = [i for i in selection.keep if i not in by_id or not is_opinion(by_id[i].text)]
        selection = replace(selection, keep=keep)
    context, question, kept, spans, question_id = assemble(original, sentences, selection)
    if question_id is None:  # the model wrote the question out instead of a number
        question = restore_neutralized(question)
    chosen = sentences[question_id - 1] if question_id is not None else None
    return Extract(
        context=context,
        question=question,
        kept_ids=kept,
        kept_spans=spans,
        question_id=question_id,
        question_span=(chosen.start, chosen.end) if chosen is not None else None,
        parsed=selection.keep is not None or selection.question_id is not None or bool(question),
        sentences=sentences,
    )
