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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from langchain_s2a._internal.reading.settle import settle
from langchain_s2a._internal.text.neutral import neutralize, restore_neutralized
from langchain_s2a._internal.text.sentences import Sentence
from langchain_s2a.options import Preset

if TYPE_CHECKING:
    from langchain_s2a._internal.text.roles import Role

__all__ = [
    "Extract",
    "Selection",
    "assemble",
    "number_sentences",
    "parse_selection",
    "read_selection",
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
    invalid: bool = False
    """Whether the reply named a number no sentence can have: below 1 (``Keep: -1``,
    ``Question: 0``) or of more than six digits."""


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


# A number no sentence has: "-1" (a minus not joining a range such as "1 - 3"), "0", or a
# number too long to be a sentence number.
_INVALID = re.compile(r"(?:^|[,:：(\[]|(?<![\d\s])\s)\s*-\s*\d|(?:^|[\s,:：(\[])0+(?!\d)|\d{7,}")


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
    invalid = False
    if keep_match:
        value = keep_match.group("v").strip().strip("*_ ")
        keep = [] if _NONE.match(value) else _numbers(value)
        invalid = not _NONE.match(value) and bool(_INVALID.search(value))
    question_id: int | None = None
    question_text = ""
    if question_match:
        value = question_match.group("v").strip().strip("*_ ")
        number = _NUMBER_ONLY.match(value) or _NUMBER_PREFIX.match(value)
        if number:
            question_id = int(number.group(1))
        elif re.match(r"^\s*(?:sentence\s*)?\[?(?:-\s*\d|0+\]?\s*$|\d{7,})", value, re.I):
            invalid = True
        elif not _NONE.match(value):
            question_text = value
    return Selection(
        keep=keep, question_id=question_id, question_text=question_text, invalid=invalid
    )


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
    """The kept sentences other than the main question, joined as :func:`assemble` joins them."""
    question: str
    """The question sentence, or the question the model wrote out; empty if none."""
    kept_ids: list[int]
    """Numbers of the kept sentences (the main question's excluded)."""
    kept_spans: list[tuple[int, int]]
    """Character spans of the kept sentences."""
    question_id: int | None
    """Number of the main question sentence, when there is one."""
    question_span: tuple[int, int] | None
    """Character span of the question sentence."""
    parsed: bool
    """Whether the reply had a ``Keep:`` or ``Question:`` line (or a written question)."""
    sentences: list[Sentence]
    """The input's sentences, as numbered for the model."""
    out_of_range: bool = False
    """Whether the reply named a sentence number the input does not have (or one below 1)."""
    dropped: dict[int, str] = field(default_factory=dict)
    """Sentences left out, with why (see :class:`~langchain_s2a._internal.reading.settle.Settled`)."""
    restored: dict[int, str] = field(default_factory=dict)
    """Sentences the model left out that the rules kept, with why."""

    @property
    def needed_text(self) -> str:
        """The input without the sentences the rules drop (opinions, instructions).

        The ``facts_lost`` rule counts the numbers of this text: a number inside the
        user's guess ("I think it was 1944 or 1946") is not a fact to keep.
        """
        justified = {i for i, why in self.dropped.items() if why in ("opinion", "instruction")}
        return "\n".join(s.text for s in self.sentences if s.id not in justified)

    def provenance(self) -> dict[str, Any]:
        """The :class:`~langchain_s2a.S2ARewrite` fields recording what was kept."""
        return {
            "kept_ids": self.kept_ids,
            "kept_spans": self.kept_spans,
            "question_id": self.question_id,
            "question_span": self.question_span,
            "dropped": self.dropped,
            "restored": self.restored,
        }


def read_selection(
    raw: str,
    original: str,
    sentences: list[Sentence],
    *,
    preset: Preset,
    roles: Sequence[Role] | None = None,
) -> Extract:
    """Read an extractive reply into the verbatim rewrite it selects.

    The reply is parsed (:func:`parse_selection`) and the selection settled against
    the sentence roles (:func:`~langchain_s2a._internal.reading.settle.settle`: every question kept,
    opinions about the answer and instructions left out, a fact the model left out
    restored where the preset protects it); then the rewrite is assembled
    (:func:`assemble`).

    Args:
        raw: The model's reply.
        original: The input text.
        sentences: Its sentences, as numbered for the model.
        preset: ``"opinion"`` or ``"relevance"``.
        roles: The sentences' roles when already read.

    Returns:
        The selected rewrite.

    Example:
        >>> text = "Who wrote Hamlet? I think it was Marlowe."
        >>> s = [Sentence(1, "Who wrote Hamlet?", 0, 17), Sentence(2, "I think it was Marlowe.", 18, 41)]
        >>> out = read_selection("Keep: 2\\nQuestion: 1", text, s, preset="opinion")
        >>> out.question_span, out.kept_ids, out.dropped
        ((0, 17), [], {2: 'opinion'})
    """
    selection = parse_selection(raw)
    named_question = [] if selection.question_id is None else [selection.question_id]
    named = [*(selection.keep or []), *named_question]
    out_of_range = selection.invalid or any(not 1 <= i <= len(sentences) for i in named)
    settled = settle(sentences, selection, preset=preset, roles=roles)
    final = replace(selection, keep=settled.keep, question_id=settled.question_id)
    context, question, kept, spans, question_id = assemble(original, sentences, final)
    if question_id is None:  # the model wrote the question out instead of a number
        question = restore_neutralized(question)
    chosen = sentences[question_id - 1] if question_id is not None else None
    parsed = selection.keep is not None or selection.question_id is not None
    return Extract(
        context=context,
        question=question,
        kept_ids=kept,
        kept_spans=spans,
        question_id=question_id,
        question_span=(chosen.start, chosen.end) if chosen is not None else None,
        parsed=parsed or bool(selection.question_text),
        sentences=sentences,
        out_of_range=out_of_range,
        dropped=settled.dropped,
        restored=settled.restored,
    )
