"""One rewrite attempt, in one direction: split → plan → call → read → check → record.

:class:`~langchain_s2a.S2ARewriter` is a thin Runnable around these steps. Its
``invoke`` coerces the input (:func:`~langchain_s2a._internal.io.inputs.coerce_input`),
then makes one attempt:

1. :func:`start` — the prompt language, the input split into sentences once
   (``extractive``) and the prompt (:func:`prompt`), as a :class:`Request`.
2. :func:`plan` — how the reply is asked for: one yes/no judgement per sentence, the
   ``split`` variant's structured output, or one reply (a :class:`Plan`).
3. the model call(s), through :mod:`~langchain_s2a._internal.io.calls` (the rewriter
   holds the model, so it makes them, sync or async).
4. :func:`read` — the reply read into a :class:`~langchain_s2a._internal.rules.ladder.Candidate`.
5. :func:`check` — the one rejection ladder.
6. :func:`record` — the :class:`~langchain_s2a.S2ARewrite`, with usage and time
   (:func:`from_reply`, :func:`from_structured` and :func:`from_judgements` run 4-6).

The rewriter then applies ``on_failure`` and dispatches the ``s2a_rewrite`` event. Every
step takes the rewriter's options as a :class:`~langchain_s2a.options.RewriteOptions`
and calls only the layers below this one.

Example:
    >>> from langchain_s2a._internal.io.inputs import InputParts
    >>> options: RewriteOptions = {"preset": "opinion", "variant": "extractive",
    ...     "language": "auto", "prompt_style": "ours", "min_number_share": 0.5,
    ...     "judge_sentences": "auto", "constrained": False}
    >>> request = start(InputParts("Who wrote Hamlet? I think Marlowe."), options, None, None)
    >>> [s.text for s in request.sentences], plan(request, structured=False).route
    (['Who wrote Hamlet?', 'I think Marlowe.'], 'reply')
    >>> interpret("Keep: none\\nQuestion: 1", request.parts.text, options, language="en",
    ...           sentences=request.sentences).text
    'Who wrote Hamlet?'
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import patch_config

from langchain_s2a._internal.io.calls import message_of
from langchain_s2a._internal.io.inputs import InputParts
from langchain_s2a._internal.pipeline.attempts import sum_usage
from langchain_s2a._internal.reading.constrained import Sections, constrain_extractive
from langchain_s2a._internal.reading.judgements import (
    JudgementPlan,
    judgement_requests,
    plan_judgements,
    selection_reply,
)
from langchain_s2a._internal.reading.sections import read_rewrite
from langchain_s2a._internal.reading.selection import number_sentences, read_selection
from langchain_s2a._internal.rules.ladder import Candidate, is_truncated, rejection_reason
from langchain_s2a._internal.text.language import detect_language
from langchain_s2a._internal.text.neutral import neutralize, restore_neutralized
from langchain_s2a._internal.text.roles import segment
from langchain_s2a._internal.text.sentences import Sentence
from langchain_s2a.options import FallbackReason, Language, LanguageOption, RewriteOptions
from langchain_s2a.prompts import get_prompts
from langchain_s2a.result import REWRITE_NAME, S2ARewrite

__all__ = [
    "Plan",
    "Request",
    "check",
    "from_judgements",
    "from_reply",
    "from_structured",
    "interpret",
    "plan",
    "prompt",
    "read",
    "record",
    "reply_model",
    "resolve_language",
    "split",
    "start",
]

_Model = Runnable[LanguageModelInput, BaseMessage]


@dataclass(frozen=True)
class Request:
    """One attempt, built once for the sync and async paths: they differ in the model call."""

    parts: InputParts
    """The input: the text to rewrite and the chat around it."""
    options: RewriteOptions
    """The rewriter's options (every key set)."""
    language: Language
    """The prompt language."""
    sentences: list[Sentence] | None
    """``extractive``: the input split into sentences, once for the whole attempt."""
    messages: list[BaseMessage]
    """The rewrite prompt."""
    config: RunnableConfig
    """The config of the model call (its run is named ``s2a_rewrite``)."""
    previous: S2ARewrite | None
    """The rejected attempt this one retries, if any."""
    started: float
    """When the attempt started (``time.perf_counter``)."""


@dataclass(frozen=True)
class Plan:
    """How one attempt asks for its reply."""

    route: Literal["judgements", "structured", "reply"]
    """One judgement per sentence, the ``split`` variant's structured output (the text
    reply follows if it fails), or one text reply."""
    judgements: JudgementPlan | None = None
    """``judgements``: which sentences are judged, and the question."""
    requests: list[list[BaseMessage]] = field(default_factory=list)
    """``judgements``: the messages of each judgement, in order."""


# ------------------------------------------------------------------------ 1. start
def resolve_language(text: str, option: LanguageOption) -> Language:
    """The prompt language for ``text`` under the ``language`` option."""
    return detect_language(text) if option == "auto" else option


def split(text: str, options: RewriteOptions, *, language: Language) -> list[Sentence] | None:
    """``extractive``: ``text``'s sentences as the rewrite numbers them; else ``None``."""
    return segment(text, language=language) if options["variant"] == "extractive" else None


def prompt(
    text: str,
    options: RewriteOptions,
    *,
    language: Language,
    sentences: list[Sentence] | None = None,
    previous: S2ARewrite | None = None,
) -> list[BaseMessage]:
    """The rewrite prompt for ``text`` (neutralised and delimited as data).

    ``sentences`` is ``text`` already split (``extractive``; split here when omitted);
    a rejected ``previous`` attempt is sent back with its reason, so a retry can
    correct itself.
    """
    prompts = get_prompts(options["preset"], language, options["prompt_style"])
    if options["variant"] == "extractive":
        sentences = segment(text, language=language) if sentences is None else sentences
        body = prompts.extractive.format(text=number_sentences(sentences))
    else:
        template = prompts.split if options["variant"] == "split" else prompts.single
        body = template.format(text=neutralize(text))
    messages: list[BaseMessage] = [SystemMessage(prompts.system)] if prompts.system else []
    messages.append(HumanMessage(body))
    if previous is not None and previous.fallback_reason is not None:
        feedback = prompts.retry_feedback.format(reason=previous.fallback_reason)
        messages += [AIMessage(previous.raw), HumanMessage(feedback)]
    return messages


def start(
    parts: InputParts,
    options: RewriteOptions,
    config: RunnableConfig | None,
    previous: S2ARewrite | None,
) -> Request:
    """Step 1: the attempt's request; the extractive input is split here, once."""
    language = resolve_language(parts.text, options["language"])
    sentences = split(parts.text, options, language=language)
    messages = prompt(
        parts.text, options, language=language, sentences=sentences, previous=previous
    )
    config = patch_config(config, run_name=REWRITE_NAME)
    return Request(
        parts, options, language, sentences, messages, config, previous, time.perf_counter()
    )


# ------------------------------------------------------------------------- 2. plan
def plan(request: Request, *, structured: bool) -> Plan:
    """Step 2: judgements (when wanted, never on a retry), structured output, or one reply.

    An extractive input of one sentence needs no call: its plan judges nothing.

    Args:
        request: The attempt.
        structured: Whether the model's structured output is to be tried (the
            rewriter's choice: ``structured_output``, and what it learnt of the model).
    """
    options = request.options
    if options["variant"] == "extractive" and request.sentences and len(request.sentences) == 1:
        # One sentence: it is the question and the whole rewrite; there is nothing to
        # select, so no model call (a reply could only be the same, or be rejected).
        return Plan("judgements", plan_judgements(request.sentences, preset=options["preset"]))
    if request.previous is None and request.sentences:
        judged, requests = judgement_requests(
            options["judge_sentences"],
            request.parts.text,
            request.sentences,
            preset=options["preset"],
            variant=options["variant"],
            constrained=options["constrained"],
            language=request.language,
        )
        if judged is not None:
            return Plan("judgements", judged, requests)
    if structured and options["variant"] == "split":
        return Plan("structured")
    return Plan("reply")


def reply_model(model: _Model, request: Request) -> _Model:
    """The model for a one-reply attempt: constrained to the reply format where asked."""
    if request.options["constrained"] and request.sentences is not None:
        return constrain_extractive(model, len(request.sentences), language=request.language)
    return model


# -------------------------------------------------------------- 4-6. read, check, record
def read(
    raw: str,
    text: str,
    options: RewriteOptions,
    *,
    language: Language,
    sentences: list[Sentence] | None = None,
    sections: Sections | None = None,
    truncated: bool = False,
) -> Candidate:
    """Step 4: the reply read into a candidate rewrite (nothing judged yet).

    An extractive reply's selection is settled against the sentence roles and
    assembled verbatim from ``sentences`` (split here when omitted); a ``split`` or
    ``single`` reply is parsed, or taken from its structured ``sections``.
    """
    if options["variant"] == "extractive" and sections is None:
        sentences = sentences or segment(text, language=language)
        extract = read_selection(raw, text, sentences, preset=options["preset"])
        return Candidate.from_extract(
            extract, raw=raw, original=text, truncated=truncated, language=language
        )
    context, question, parsed = (
        (sections.context.strip(), sections.question.strip(), True)
        if sections is not None
        else read_rewrite(raw, single=options["variant"] == "single", original=text)
    )
    return Candidate(
        raw=raw,
        original=text,
        context=restore_neutralized(context),
        question=restore_neutralized(question),
        parsed=parsed,
        truncated=truncated,
    )


def check(candidate: Candidate, options: RewriteOptions) -> FallbackReason | None:
    """Step 5: why the candidate must not reach the answer step, or ``None``."""
    return rejection_reason(
        candidate,
        variant=options["variant"],
        preset=options["preset"],
        min_number_share=options["min_number_share"],
    )


def record(
    candidate: Candidate,
    reason: FallbackReason | None,
    options: RewriteOptions,
    *,
    language: Language,
) -> S2ARewrite:
    """Step 6: the rewrite record (a fallback to the original when ``reason`` is set)."""
    ok = reason is None
    provenance = candidate.extract.provenance() if ok and candidate.extract else {}
    return S2ARewrite(
        original=candidate.original,
        context=candidate.context if ok else "",
        question=candidate.question if ok else "",
        variant=options["variant"],
        preset=options["preset"],
        language=language,
        prompt_style=options["prompt_style"],
        fallback=not ok,
        fallback_reason=reason,
        raw=candidate.raw,
        attempts=1,
        **provenance,
    )


def interpret(
    raw: str,
    text: str,
    options: RewriteOptions,
    *,
    language: Language,
    sentences: list[Sentence] | None = None,
    sections: Sections | None = None,
    truncated: bool = False,
) -> S2ARewrite:
    """Steps 4-6 on a reply: read it, check it, record it (no usage or time)."""
    candidate = read(
        raw,
        text,
        options,
        language=language,
        sentences=sentences,
        sections=sections,
        truncated=truncated,
    )
    return record(candidate, check(candidate, options), options, language=language)


def _costed(request: Request, rewrite: S2ARewrite, replies: Sequence[Any]) -> S2ARewrite:
    """The rewrite with its replies' token usage and the attempt's wall time."""
    elapsed = time.perf_counter() - request.started
    return rewrite.model_copy(update={"usage": sum_usage(replies), "latency_s": elapsed})


def _interpret(request: Request, raw: str, **kwargs: Any) -> S2ARewrite:
    return interpret(
        raw,
        request.parts.text,
        request.options,
        language=request.language,
        sentences=request.sentences,
        **kwargs,
    )


def from_reply(request: Request, reply: Any) -> S2ARewrite:
    """Steps 4-6 for a one-reply attempt (a text reply, or a constrained one)."""
    message = message_of(reply)
    rewrite = _interpret(request, message.text, truncated=is_truncated(message))
    return _costed(request, rewrite, [message])


def from_structured(request: Request, out: dict[str, Any]) -> S2ARewrite | None:
    """Steps 4-6 for a structured reply; ``None`` when it did not parse (the text path follows)."""
    parsed = out.get("parsed")
    if not isinstance(parsed, Sections):
        return None  # this call only: the text path follows
    rewrite = _interpret(request, parsed.model_dump_json(), sections=parsed)
    return _costed(request, rewrite, [out.get("raw")])


def from_judgements(request: Request, plan: Plan, replies: Sequence[Any]) -> S2ARewrite:
    """Steps 4-6 for the judgements: written as one extractive reply, judged by the same rules."""
    assert plan.judgements is not None  # a judgements plan carries them
    messages = [message_of(reply) for reply in replies]
    raw = selection_reply(plan.judgements, [m.text for m in messages])
    return _costed(request, _interpret(request, raw), messages)
