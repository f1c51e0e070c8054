"""Every rule that accepts or rejects a model's reply, and the version of those rules.

One rejection ladder, :func:`rejection_reason`, judges every rewrite (``split``,
``single`` and ``extractive``): the first rule a rewrite breaks names its
:data:`~langchain_s2a.options.FallbackReason`. The RAG compressor's selection
replies go through the same first rungs (:func:`reply_problem`), then their own
range check (:func:`selection_problem`). Numbers are read with
:mod:`~langchain_s2a._internal.text.numbers`; the ``question_lost`` rule's details are in
:mod:`~langchain_s2a._internal.rules.question`.

Example:
    >>> rejection_reason(
    ...     Candidate(raw="Question: Who?", original="Who wrote Hamlet?", question="Who?"),
    ...     variant="split", preset="opinion")
    'question_lost'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage

from langchain_s2a._internal.reading.selection import Extract
from langchain_s2a._internal.rules.question import check_question_kept
from langchain_s2a._internal.text.numbers import numbers_in
from langchain_s2a._internal.text.sentences import asks
from langchain_s2a.options import FallbackReason, Language, Preset, Variant

__all__ = [
    "REWRITE_RULES_VERSION",
    "Candidate",
    "check_numbers_kept",
    "is_truncated",
    "max_rewrite_chars",
    "rejection_reason",
    "reply_problem",
    "selection_problem",
]

REWRITE_RULES_VERSION = 13
"""Changes whenever the rules accepting or rejecting a rewrite change (2: ``facts_lost``;
3: ``facts_lost`` reads numbers with ``find_numbers``, e.g. next to Chinese text;
4: extractive, opinion preset: an opinion sentence is never the question nor kept, and a
question mark inside closing quotes counts; 5: ``question_lost`` also rejects a question
that brings in a name or number absent from the input, or keeps under half of the input
question's content, while a question sentence of the input taken verbatim always passes
(an extractive "What is it?" used to fail); ``too_long`` rejects a rewrite over
``max(4 × input, input + 2,000)`` characters; labels copied from the user's text no
longer garble the parse; the ``single`` variant drops ``Context:``/``Question:`` labels
the model added; 6: extractive, relevance preset: a selection that drops the opening
sentence of a problem of three or more sentences is ``facts_lost``; 7: withdrawn (a
repair keeping a sentence the model named as the question; on the tune split it kept the
distractor in 25 of the 28 items whose distractor was removed); 8: the opening-sentence
rule covers two-sentence problems, where dropping the opening sentence leaves the
question alone; 9: extractive: the sentence roles settle the selection — every question of
the turn is kept, an opinion about the answer and an instruction to the assistant always go,
a fact the model left out is restored (any fact under the opinion preset, a fact about the
user under the relevance preset); a reply naming a sentence the input does not have, or one
below 1, is ``out_of_range``; ``facts_lost`` does not count the numbers of the sentences
the rules drop ("I think it was 1944 or 1946"); 10: a question's own words are not
"the question's words" when its role is read (a hedged fact said with a question mark was
taken for an echo of itself); a bare trailing stance ("…at 1pm, I think.") stays with its
clause; "my guess is X" / "my answer is X" is a guess wherever it stands; a lay person's
claim on the matter ("my coworker says you always need a visa", 我婆婆说…不能…) is an
opinion, news of the user's own case passed on (a number, or about the user) a fact; a
stance ending the sentence or set off by commas never starts a clause; "!" and "?" end a
sentence even before a lower-case word; a short value said with a question mark beside the
real question ("around 5:10?") is a guess; 我觉得是X guesses only a short X; 11: an
extractive input of one sentence is its own rewrite, without a model call — a reply naming
a second sentence used to make a plain question fall back as ``out_of_range``; 12: the user
speaking of themselves is read in any case — "My sister is 12." at the start of a sentence
was not a fact about the user, so the relevance preset could drop it; 13: with no
sentence that asks, a reply naming as its question a sentence the rules drop (the opinion
after "…, calculate the total number of words.") takes the last sentence they keep as the
question instead of falling back as ``missing_question``).

Evaluation caches key S2A conditions on it too; conditions without a rewrite step
(baseline, instructed) do not depend on it."""


def is_truncated(message: BaseMessage) -> bool:
    """Whether the model stopped at its token limit (``finish_reason`` and its aliases).

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> is_truncated(AIMessage("Keep: 1", response_metadata={"finish_reason": "length"}))
        True
    """
    meta = message.response_metadata or {}
    reason = meta.get("finish_reason") or meta.get("stop_reason") or meta.get("done_reason")
    return reason in {"length", "max_tokens"}


def max_rewrite_chars(original: str) -> int:
    """The longest rewrite accepted for ``original``: ``max(4 × len, len + 2,000)`` characters.

    A rewrite only removes from its input, so one much longer than it is a model
    gone astray (a loop, an essay); it is rejected as ``too_long``.

    Args:
        original: The user's text.

    Returns:
        The limit, in characters, on the kept context and question together.

    Example:
        >>> max_rewrite_chars("Who wrote Hamlet?"), max_rewrite_chars("x" * 1000)
        (2017, 4000)

    """
    return max(4 * len(original), len(original) + 2000)


def check_numbers_kept(rewrite: str, original: str, *, min_share: float = 0.5) -> bool:
    """Tell whether a rewrite kept enough of the numbers written in the original.

    A small rewriter sometimes drops the facts of a word problem ("Context: None")
    or keeps only the irrelevant sentence. Inputs with fewer than two distinct
    numbers (digits) always pass; otherwise at least ``min_share`` of them must
    still appear in the rewrite (a relevance rewrite may drop a distractor's).

    Args:
        rewrite: The kept context and question, as the answer step will see them.
        original: The user's original text.
        min_share: Smallest share of the original's numbers to keep.

    Returns:
        ``True`` when enough numbers were kept.

    Example:
        >>> text = "Ann has 3 pens and buys 4 more. Tom is 80. How many pens?"
        >>> check_numbers_kept("Ann has 3 pens and buys 4 more. How many pens?", text)
        True
        >>> check_numbers_kept("How many pens does Ann have?", text)
        False
    """
    wanted = numbers_in(original)
    if len(wanted) < 2:
        return True
    return len(wanted & numbers_in(rewrite)) >= min_share * len(wanted)


@dataclass(frozen=True)
class Candidate:
    """A rewrite as read from the model's reply, before the rules judge it."""

    raw: str
    """The model's raw reply."""
    original: str
    """The user's text."""
    context: str = ""
    """The kept context, as read from the reply."""
    question: str = ""
    """The question (the whole rewrite for ``single``), as read from the reply."""
    parsed: bool = True
    """Whether the reply had the expected form (labels, or a ``Keep:`` line)."""
    truncated: bool = False
    """Whether the model stopped at its token limit (:func:`is_truncated`)."""
    language: Language | None = None
    """How ``question_lost`` splits ``original`` into sentences (by script when ``None``)."""
    extract: Extract | None = None
    """``extractive`` only: the selection read from the reply, with the input's sentences."""

    @classmethod
    def from_extract(
        cls, extract: Extract, *, raw: str, original: str, truncated: bool, language: Language
    ) -> Candidate:
        """The candidate an extractive reply makes (its sentences split for ``language``)."""
        return cls(
            raw=raw,
            original=original,
            context=extract.context,
            question=extract.question,
            parsed=extract.parsed,
            truncated=truncated,
            language=language,
            extract=extract,
        )


def reply_problem(raw: str, *, parsed: bool, truncated: bool) -> FallbackReason | None:
    """The first rungs of every ladder: an empty, unparseable or truncated reply.

    Example:
        >>> reply_problem(" ", parsed=False, truncated=True), reply_problem("x", parsed=True, truncated=True)
        ('empty', 'truncated')
    """
    if not raw.strip():
        return "empty"
    if not parsed:
        return "unparseable"
    if truncated:
        return "truncated"
    return None


def _asks_nothing(candidate: Candidate) -> bool:
    """The chosen "question" sentence asks nothing while another sentence does (extractive)."""
    extract = candidate.extract
    return (
        extract is not None
        and extract.question_id is not None
        and not asks(candidate.question)
        and any(asks(s.text) for s in extract.sentences)
    )


def _opening_dropped(candidate: Candidate, preset: Preset) -> bool:
    """Relevance preset, extractive: a selection without the problem's opening sentence.

    The opening sentence of a problem sets it up (who, how many); a selection that
    drops it lost the problem, not a distractor. Tune split (68 GSM-IC items): it
    caught all 11 selections that dropped a needed sentence and none of the 28 that
    removed exactly the distractor. Since rules 8 a two-sentence problem counts too:
    its opening sentence is its only fact, and the selection that drops it is the
    question alone ("Keep: 2 / Question: 1", repaired to sentence 2).
    """
    extract = candidate.extract
    if preset != "relevance" or extract is None or 1 in extract.kept_ids:
        return False
    if extract.dropped.get(1) in ("opinion", "instruction"):
        return False  # the rules dropped it: an injected instruction is no fact of the problem
    if len(extract.sentences) == 2:  # the question alone, taken as sentence 2
        return extract.question_id == 2
    return len(extract.sentences) > 2 and extract.question_id != 1


def rejection_reason(
    candidate: Candidate,
    *,
    variant: Variant,
    preset: Preset,
    min_number_share: float | None = 0.5,
) -> FallbackReason | None:
    """Why a rewrite must not reach the answer step, or ``None`` when it may.

    The rules, in order: ``empty``, ``unparseable``, ``truncated`` (see
    :func:`reply_problem`), ``out_of_range`` (extractive: a sentence number the input
    does not have), ``too_long`` (:func:`max_rewrite_chars`), no question
    (``empty`` for ``single``, else ``missing_question``), ``question_lost``
    (:func:`check_question_kept`; for ``extractive`` also a question sentence that
    asks nothing while another sentence asks) and ``facts_lost``
    (:func:`check_numbers_kept`; for ``extractive`` with the relevance preset also
    a selection dropping the opening sentence of two or more).

    Args:
        candidate: The rewrite as read from the reply.
        variant: The rewrite variant.
        preset: The prompt preset.
        min_number_share: See :func:`check_numbers_kept`; ``None`` turns that check off.

    Returns:
        The first rule broken, or ``None``.

    Example:
        >>> text = "Ann has 3 pens and buys 4 more. How many pens?"
        >>> rejection_reason(Candidate(raw="…", original=text, question="How many pens?"),
        ...                  variant="single", preset="relevance")
        'facts_lost'
    """
    c = candidate
    reason = reply_problem(c.raw, parsed=c.parsed, truncated=c.truncated)
    if reason is not None:
        return reason
    if c.extract is not None and c.extract.out_of_range:
        return "out_of_range"  # it points at sentences that were never shown
    if len(c.context) + len(c.question) > max_rewrite_chars(c.original):
        return "too_long"
    if not c.question:
        return "empty" if variant == "single" else "missing_question"
    split = [s.text for s in c.extract.sentences] if c.extract else None
    kept = check_question_kept(
        c.question, c.original, context=c.context, language=c.language, sentences=split
    )
    if not kept or _asks_nothing(c):
        return "question_lost"
    needed = c.extract.needed_text if c.extract is not None else c.original
    numbers_kept = min_number_share is None or check_numbers_kept(
        f"{c.context}\n{c.question}", needed, min_share=min_number_share
    )
    if not numbers_kept or _opening_dropped(c, preset):
        return "facts_lost"
    return None


def selection_problem(
    raw: str, keep: Sequence[int] | None, n_sentences: int, *, truncated: bool
) -> str | None:
    """Why a RAG selection reply (``Keep: …``) is unusable, or ``None``.

    The rungs of :func:`reply_problem` (``keep`` is ``None`` when the reply had
    no ``Keep:`` line), then ``"out_of_range"``: a number no shown sentence has.

    Example:
        >>> selection_problem("Keep: 4", [4], 3, truncated=False)
        'out_of_range'
    """
    reason = reply_problem(raw, parsed=keep is not None, truncated=truncated)
    if reason is not None:
        return reason
    if any(not 1 <= n <= n_sentences for n in keep or []):
        return "out_of_range"  # it points at sentences that were never shown
    return None
