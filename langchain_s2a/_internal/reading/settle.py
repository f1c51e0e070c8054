"""Settle an extractive selection: what the model chose, held to the sentence roles.

The model proposes which sentences to keep (one reply, or one judgement per
sentence); the rules of :mod:`langchain_s2a._internal.text.roles` decide what may actually go:

* every question of the turn is kept (the model's pick among them is the main one);
* an opinion about the answer and a confident instruction always go;
* under the ``opinion`` preset nothing else goes but what the rules leave to the
  model (an imperative to the assistant, a sentence without content) — a fact the
  model left out is **restored**;
* under the ``relevance`` preset a sentence the model left out goes, unless it is a
  fact about the user (**restored**).

Every sentence that goes is recorded with why (``dropped``), and every one the model
left out but the rules kept (``restored``), so nothing leaves the text unaccounted.

Example:
    >>> from langchain_s2a._internal.reading.selection import Selection
    >>> from langchain_s2a._internal.text.sentences import split_sentences
    >>> s = split_sentences("I think I broke my wrist. Should I go to the ER? I think I should.")
    >>> out = settle(s, Selection(keep=[], question_id=2, question_text=""), preset="opinion")
    >>> out.keep, out.question_id, out.dropped, out.restored
    ([1], 2, {3: 'opinion'}, {1: 'self_report'})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from langchain_s2a._internal.text.roles import Role, sentence_roles
from langchain_s2a._internal.text.sentences import Sentence
from langchain_s2a.options import Preset

if TYPE_CHECKING:
    from langchain_s2a._internal.reading.selection import Selection

__all__ = ["Settled", "main_question", "settle"]


@dataclass(frozen=True)
class Settled:
    """The sentences a rewrite keeps, and the account of those it does not."""

    keep: list[int]
    """Numbers of the kept sentences other than the main question, in order."""
    question_id: int | None
    """Number of the main question sentence (``None``: none could be named)."""
    dropped: dict[int, str] = field(default_factory=dict)
    """Sentences left out, each with why: ``opinion``, ``instruction`` (the rules),
    ``left_out`` (the model, where the rules let it decide), ``irrelevant``
    (the model, relevance preset)."""
    restored: dict[int, str] = field(default_factory=dict)
    """Sentences the model left out that the rules kept, each with the role that kept
    it (``asks``, ``self_report``, ``new_content``)."""
    roles: tuple[Role, ...] = ()
    """The role of every sentence, in order."""

    @property
    def justified(self) -> set[int]:
        """Sentences left out by the rules themselves (opinions and instructions)."""
        return {i for i, why in self.dropped.items() if why in ("opinion", "instruction")}


def main_question(
    sentences: Sequence[Sentence], roles: Sequence[Role], named: int | None
) -> int | None:
    """The number of the turn's main question.

    The sentence the model named when it asks; else the last sentence that asks; with
    no sentence asking, the named sentence when the rules do not drop it; when the
    model named one they drop, the last sentence they do not ("… each line has 8
    words, calculate the total number of words. I think the answer is 1600." with
    ``Question: 2``: the request is among the sentences kept, and the last keeps
    their order); else the only sentence they do not drop ("Name the largest ocean.
    I think it's the Atlantic."); else ``None`` (a question the model wrote out is
    then read and checked instead).

    Example:
        >>> from langchain_s2a._internal.text.sentences import split_sentences
        >>> s = split_sentences("Can I take ibuprofen? How long should I ice it?")
        >>> main_question(s, sentence_roles(s), None), main_question(s, sentence_roles(s), 1)
        (2, 1)
    """
    by_id = {s.id: r for s, r in zip(sentences, roles, strict=True)}
    questions = [i for i, r in by_id.items() if r.kind == "question"]
    if questions:
        return named if named in questions else questions[-1]
    if named in by_id and not by_id[named].droppable:
        return named
    pool = [i for i, r in by_id.items() if not r.droppable]
    if named in by_id and pool:
        return pool[-1]
    return pool[0] if len(pool) == 1 else None


def settle(
    sentences: Sequence[Sentence],
    selection: Selection,
    *,
    preset: Preset,
    roles: Sequence[Role] | None = None,
) -> Settled:
    """The kept sentences for ``selection`` under ``preset``, with the account of the rest.

    Args:
        sentences: The input's sentences, as numbered for the model.
        selection: What the model chose (sentence numbers out of range are ignored
            here; the rules reject such a reply).
        preset: ``"opinion"`` or ``"relevance"`` (see the module docstring).
        roles: The sentences' roles when already read (read here otherwise).

    Returns:
        The settled selection.
    """
    roles = tuple(roles if roles is not None else sentence_roles(sentences))
    chosen = set(selection.keep or [])
    question_id = main_question(sentences, roles, selection.question_id)
    keep: list[int] = []
    dropped: dict[int, str] = {}
    restored: dict[int, str] = {}
    for sentence, role in zip(sentences, roles, strict=True):
        i = sentence.id
        if i == question_id:
            continue
        if role.droppable:
            dropped[i] = role.kind
        elif i in chosen:
            keep.append(i)
        elif role.kind == "question" or role.protected or (preset == "opinion" and role.confident):
            keep.append(i)
            restored[i] = role.why
        else:
            dropped[i] = "left_out" if preset == "opinion" else "irrelevant"
    return Settled(keep, question_id, dropped, restored, roles)
