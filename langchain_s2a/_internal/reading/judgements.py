"""Per-sentence judgements: the extractive selection made one yes/no at a time.

The extractive variant asks the model once for the numbers of the sentences to
keep; a small model often lists every sentence, distractor included. With
``S2ARewriter(..., judge_sentences=True)`` the model is instead asked about each
sentence on its own ("Is the sentence needed to answer the question? yes / no"),
with the whole text shown first as data, so a model with prefix reuse reads the
text once per input. The sentences judged needed and the question sentence then
form the same verbatim rewrite an extractive reply naming them would give, and
the same rules judge it (:func:`~langchain_s2a._internal.rules.ladder.rejection_reason`).

The plan is made without a model call, from the sentence roles
(:mod:`langchain_s2a._internal.text.roles`): every question is kept and the main one is the last
that asks; opinions about the answer and instructions the rules settle are left
out unasked; facts about the user are kept unasked; with the relevance preset the
opening sentence is kept without asking (a small model often calls it unneeded, and
the rules reject a selection without it), and with the opinion preset only what the
rules leave to the model is asked about (an imperative to the assistant, a sentence
without content) — so an opinion-preset input the rules settle costs no call at all.
A judgement is constrained to yes or no where the model allows it
(:func:`~langchain_s2a._internal.reading.constrained.constrain_judgement`); a reply that is neither
keeps its sentence, unless the sentence is an instruction to the assistant (its
judge was steered by it).

Example:
    >>> from langchain_s2a._internal.text.sentences import split_sentences
    >>> sentences = split_sentences("Ann has 3 pens. Bo has 2 cats. How many pens has Ann?")
    >>> plan = plan_judgements(sentences, preset="relevance")
    >>> plan.question_id, [s.id for s in plan.kept], [s.id for s in plan.judged]
    (3, [1], [2])
    >>> print(selection_reply(plan, ["no"]))
    [1] kept
    [2] no
    Keep: 1
    Question: 3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable

from langchain_s2a._internal.reading.settle import main_question
from langchain_s2a._internal.text.roles import Role, sentence_roles
from langchain_s2a._internal.text.sentences import Sentence
from langchain_s2a.options import JudgeSentences, Language, Preset, Variant
from langchain_s2a.prompts._judge import judge_prompt, read_verdict

__all__ = [
    "AUTO_MAX_JUDGEMENTS",
    "JUDGE_MAX_TOKENS",
    "JudgementPlan",
    "judge_messages",
    "judge_model",
    "judgement_requests",
    "plan_judgements",
    "selection_reply",
    "wants_judgements",
]

JUDGE_MAX_TOKENS = 3
"""Reply length of one judgement, where the model has a ``max_tokens`` field."""
AUTO_MAX_JUDGEMENTS = 12
"""``judge_sentences="auto"`` judges an input of at most this many sentences besides its
question (one call each); a longer one gets the one-reply selection."""


@dataclass(frozen=True)
class JudgementPlan:
    """Which sentences of an input are judged, and which one is its question."""

    sentences: list[Sentence]
    """The input's sentences, numbered from 1."""
    question_id: int
    """Number of the main question sentence (never judged: it is always kept)."""
    judged: list[Sentence]
    """The sentences asked about, in order."""
    kept: list[Sentence] = field(default_factory=list)
    """Sentences kept without asking (other questions, facts about the user, the
    relevance preset's opening sentence, the opinion preset's facts)."""
    roles: tuple[Role, ...] = ()
    """The role of every sentence, in order."""

    @property
    def question(self) -> Sentence:
        """The question sentence."""
        return self.sentences[self.question_id - 1]


def wants_judgements(
    option: JudgeSentences,
    *,
    preset: Preset,
    variant: Variant,
    constrained: bool = False,
    n_sentences: int,
) -> bool:
    """Whether an input of ``n_sentences`` sentences is selected by judgements.

    ``True`` judges every extractive input, ``False`` none; ``"auto"`` judges for the
    ``relevance`` preset (where one-reply selection keeps the distractor) when the
    input has at most :data:`AUTO_MAX_JUDGEMENTS` sentences besides its question,
    and never with ``constrained`` (a grammar shapes the one reply).

    Example:
        >>> wants_judgements("auto", preset="relevance", variant="extractive", n_sentences=5)
        True
        >>> wants_judgements("auto", preset="opinion", variant="extractive", n_sentences=5)
        False
    """
    if variant != "extractive" or option is False:
        return False
    if option is True:
        return True
    return preset == "relevance" and not constrained and n_sentences - 1 <= AUTO_MAX_JUDGEMENTS


def plan_judgements(
    sentences: Sequence[Sentence], *, preset: Preset, roles: Sequence[Role] | None = None
) -> JudgementPlan:
    """Choose the question sentence and the sentences to judge.

    Args:
        sentences: The input's sentences (at least one).
        preset: ``"opinion"`` (only what the rules leave to the model is judged) or
            ``"relevance"`` (every third-person fact is judged but the opening
            sentence, kept without asking: it states what the problem is about, and
            the rules reject a selection without it, see
            :func:`~langchain_s2a._internal.rules.ladder.rejection_reason`).
        roles: The sentences' roles when already read.

    Returns:
        The plan.

    Raises:
        ValueError: If ``sentences`` is empty.

    Example:
        >>> from langchain_s2a._internal.text.sentences import split_sentences
        >>> s = split_sentences("Who wrote Hamlet? I think it was Marlowe.")
        >>> plan = plan_judgements(s, preset="opinion")
        >>> plan.question.text, plan.judged, plan.kept
        ('Who wrote Hamlet?', [], [])
    """
    if not sentences:
        raise ValueError("there is no sentence to judge")
    roles = tuple(roles if roles is not None else sentence_roles(sentences))
    question_id = main_question(sentences, roles, None)
    if question_id is None:
        open_ = [s.id for s, r in zip(sentences, roles, strict=True) if not r.droppable]
        question_id = (open_ or [sentences[-1].id])[-1]
    judged: list[Sentence] = []
    kept: list[Sentence] = []
    for sentence, role in zip(sentences, roles, strict=True):
        if sentence.id == question_id or role.droppable:
            continue
        opening = preset == "relevance" and sentence.id == 1
        settled = preset == "opinion" and role.confident
        if role.kind == "question" or role.protected or opening or settled:
            kept.append(sentence)
        else:
            judged.append(sentence)
    return JudgementPlan(list(sentences), question_id, judged, kept, roles)


def judge_messages(
    text: str, plan: JudgementPlan, *, preset: Preset, language: Language
) -> list[list[BaseMessage]]:
    """The messages of each judgement of ``plan``, in order (the text is their shared prefix)."""
    out: list[list[BaseMessage]] = []
    for sentence in plan.judged:
        system, human = judge_prompt(
            text, plan.question.text, sentence.text, preset=preset, language=language
        )
        out.append([SystemMessage(system), HumanMessage(human)])
    return out


def judgement_requests(
    option: JudgeSentences,
    text: str,
    sentences: Sequence[Sentence],
    *,
    preset: Preset,
    variant: Variant,
    constrained: bool,
    language: Language,
) -> tuple[JudgementPlan | None, list[list[BaseMessage]]]:
    """The plan and the messages of each judgement, or ``(None, [])`` for one reply.

    See :func:`wants_judgements` for when an input is judged.
    """
    wanted = wants_judgements(
        option, preset=preset, variant=variant, constrained=constrained, n_sentences=len(sentences)
    )
    if not wanted or not sentences:
        return None, []
    plan = plan_judgements(sentences, preset=preset)
    return plan, judge_messages(text, plan, preset=preset, language=language)


def selection_reply(plan: JudgementPlan, replies: Sequence[str]) -> str:
    """The judgements written as an extractive reply (``Keep:`` / ``Question:`` lines).

    Each judged sentence gets a ``[n] yes`` / ``[n] no`` line first (``[n] kept``
    for a sentence kept without asking, ``[n] <role>`` for one the rules leave out),
    so the rewrite's ``raw`` records every verdict. A reply that is neither yes nor
    no keeps its sentence, unless the rules read the sentence as an instruction to
    the assistant.

    Raises:
        ValueError: If there is not one reply per judged sentence.
    """
    if len(replies) != len(plan.judged):
        raise ValueError(f"{len(replies)} judgements for {len(plan.judged)} sentences")
    role = {s.id: r for s, r in zip(plan.sentences, plan.roles, strict=False)}
    verdict = {s.id: "kept" for s in plan.kept}
    for sentence, reply in zip(plan.judged, replies, strict=True):
        needed = read_verdict(reply)
        if needed is None:
            instruction = sentence.id in role and role[sentence.id].kind == "instruction"
            needed = not instruction
        verdict[sentence.id] = "yes" if needed else "no"
    for i, r in role.items():
        if r.droppable and i != plan.question_id:
            verdict[i] = r.kind
    lines = [f"[{i}] {v}" for i, v in sorted(verdict.items())]
    kept = [str(i) for i, v in sorted(verdict.items()) if v in ("kept", "yes")]
    lines += [f"Keep: {', '.join(kept) or 'none'}", f"Question: {plan.question_id}"]
    return "\n".join(lines)


def judge_model(
    model: Runnable[LanguageModelInput, BaseMessage],
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` with its reply cut to :data:`JUDGE_MAX_TOKENS`, where it has ``max_tokens``.

    A model without such a field (a fake, a binding) is used as it is; the reply
    is read by its first word anyway.
    """
    fields = getattr(type(model), "model_fields", {})
    if "max_tokens" in fields and hasattr(model, "model_copy"):
        copy: Runnable[LanguageModelInput, BaseMessage] = model.model_copy(
            update={"max_tokens": JUDGE_MAX_TOKENS}
        )
        return copy
    return model
