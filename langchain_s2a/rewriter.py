"""The S2A rewrite step as a LangChain Runnable."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.callbacks.manager import (
    AsyncCallbackManagerForChainRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableSerializable,
    RunnableWithFallbacks,
)
from langchain_core.runnables.base import RunnableBindingBase
from langchain_core.runnables.config import patch_config
from pydantic import ConfigDict, Field, PrivateAttr
from typing_extensions import Unpack

from langchain_s2a._internal.io.calls import CallPolicy, acall_model, call_model, message_of
from langchain_s2a._internal.io.inputs import DEFAULT_MAX_INPUT_CHARS, InputParts, coerce_input
from langchain_s2a._internal.pipeline.attempts import sum_usage
from langchain_s2a._internal.reading.constrained import (
    Sections,
    constrain_extractive,
    constrain_judgement,
    has_structured_output,
    sections_model,
    structured_unsupported,
)
from langchain_s2a._internal.reading.judgements import (
    JudgementPlan,
    judge_model,
    judgement_requests,
    selection_reply,
)
from langchain_s2a._internal.reading.sections import read_rewrite
from langchain_s2a._internal.reading.selection import number_sentences, read_selection
from langchain_s2a._internal.rules.ladder import Candidate, is_truncated, rejection_reason
from langchain_s2a._internal.text.language import detect_language
from langchain_s2a._internal.text.neutral import neutralize, restore_neutralized
from langchain_s2a._internal.text.roles import segment
from langchain_s2a._internal.text.sentences import Sentence
from langchain_s2a.errors import S2ARewriteError
from langchain_s2a.models import ModelLike, resolve_chat_model
from langchain_s2a.options import (
    REWRITE_OPTIONS,
    JudgeSentences,
    Language,
    LanguageOption,
    OnFailure,
    Preset,
    PromptStyle,
    RewriteOptions,
    StructuredOutput,
    Variant,
)
from langchain_s2a.prompts import get_prompts
from langchain_s2a.result import REWRITE_NAME, S2ARewrite

__all__ = ["S2ARewriter", "resolve_rewriter", "without_tools"]


@dataclass(frozen=True)
class _Call:
    """One attempt, built once for the sync and async paths: they differ in the model call."""

    parts: InputParts
    language: Language
    sentences: list[Sentence] | None  # extractive: the input split once per attempt
    messages: list[BaseMessage]
    config: RunnableConfig
    started: float


class _RewriterArgs(RewriteOptions, total=False):
    """What :class:`S2ARewriter` takes: its options, and its fields that are no options."""

    model: ModelLike
    """The model (also the first positional argument)."""
    timeout: float | None
    """Seconds one rewrite call may take."""
    max_attempts: int
    """Attempts per rewrite call for transient errors."""
    name: str | None
    """Run name shown in traces."""


class S2ARewriter(RunnableSerializable[Any, S2ARewrite]):
    """Step 1 of System 2 Attention: regenerate the input without bias or distractors.

    Input: a ``str``, a dict with key ``"input"``, a list of messages or a
    ``PromptValue`` (the last human turn is rewritten). Output: :class:`S2ARewrite`.

    A rewrite that is empty, unparseable, truncated, too long (see
    :func:`~langchain_s2a._internal.rules.ladder.max_rewrite_chars`) or has lost the question never
    reaches the answer step: with ``on_failure="original"`` the original input is
    used and ``fallback=True`` records why; with ``"raise"``,
    :class:`~langchain_s2a.S2ARewriteError` is raised.

    Args:
        model: The chat model that rewrites: a chat model, an ``init_chat_model``
            name such as ``"openai:gpt-4o-mini"``, or ``None`` for the embedded
            local model.
        preset: ``"opinion"`` drops the user's opinions; ``"relevance"`` drops
            sentences unrelated to the question.
        variant: ``"extractive"`` (default: the model picks sentence numbers and
            the rewrite is the input's own sentences, verbatim), ``"split"``
            (the paper's S2A: context + question written by the model) or
            ``"single"`` (S2A-Single).
        language: ``"auto"`` (by the input's script), ``"en"`` or ``"zh"``.
        prompt_style: ``"ours"`` (default) or ``"paper"``: the paper's own
            rewrite prompts (Figs. 2 and 15) and answer instruction, to
            reproduce it; not for the ``extractive`` variant.
        on_failure: ``"original"`` (fall back, default) or ``"raise"``.
        structured_output: ``"auto"`` uses the model's structured output when it
            has one (falling back to text parsing if that fails); ``True`` forces
            it, ``False`` always parses text.
        max_input_chars: Longer input is refused before any model call.
        timeout: Seconds one model call may take.
        max_attempts: Attempts per model call when it fails with a transient
            error (exponential backoff with jitter); other errors fail fast.
        min_number_share: A rewrite keeping less than this share of the
            numbers written in the input (when it has two or more) is rejected
            as ``facts_lost``; ``None`` turns the check off.
        constrained: ``extractive`` only: constrain the reply to the
            ``Keep:`` / ``Question:`` format with existing sentence numbers, by a
            grammar on the embedded llama.cpp model or structured output where
            the model has it (off by default).
        judge_sentences: ``extractive`` only: instead of one reply listing the
            sentences to keep, one short yes/no judgement per sentence over the
            shared text (see :mod:`langchain_s2a._internal.reading.judgements`); more calls, each a few
            tokens. ``"auto"`` (default) judges for the ``relevance`` preset when
            the input has at most
            :data:`~langchain_s2a._internal.reading.judgements.AUTO_MAX_JUDGEMENTS` sentences besides its
            question, and asks for one reply otherwise; ``True`` always judges,
            ``False`` never. A retry (``max_retries``) asks for the one reply.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_s2a import S2ARewriter
        >>> fake = GenericFakeChatModel(messages=iter(["Context: none\\nQuestion: Who wrote Hamlet?"]))
        >>> rewrite = S2ARewriter(fake).invoke("Who wrote Hamlet? I think it was Marlowe.")
        >>> rewrite.question, rewrite.fallback
        ('Who wrote Hamlet?', False)

    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Runnable[LanguageModelInput, BaseMessage]
    """The model that writes the rewrite."""
    preset: Preset = "opinion"
    """Prompt preset."""
    variant: Variant = "extractive"
    """``extractive`` (default), ``split`` or ``single``."""
    language: LanguageOption = "auto"
    """Prompt language, or ``auto``."""
    prompt_style: PromptStyle = "ours"
    """``ours`` or ``paper`` (the paper's own rewrite prompts; ``split``/``single`` only)."""
    on_failure: OnFailure = "original"
    """Fall back to the original input, or raise."""
    structured_output: StructuredOutput = "auto"
    """Whether to ask for structured output (``split`` variant only)."""
    max_input_chars: int = DEFAULT_MAX_INPUT_CHARS
    """Input length limit, in characters."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds one rewrite call may take (``None``: no limit); a timeout is a transient error."""
    max_attempts: int = Field(default=3, ge=1)
    """Attempts per rewrite call for transient errors (timeouts, rate limits, 5xx)."""
    min_number_share: float | None = Field(default=0.5, ge=0.0, le=1.0)
    """Smallest share of the input's numbers a rewrite keeps (``None``: no check)."""
    constrained: bool = False
    """Constrain extractive replies by a grammar / structured output."""
    judge_sentences: JudgeSentences = "auto"
    """Select the extractive rewrite by one yes/no judgement per sentence (see above)."""
    name: str | None = REWRITE_NAME
    """Run name shown in traces."""

    _structured_failed: bool = PrivateAttr(default=False)
    _judge: tuple[object, Runnable[LanguageModelInput, BaseMessage]] | None = PrivateAttr(
        default=None
    )

    def __init__(self, model: ModelLike = None, /, **kwargs: Unpack[_RewriterArgs]) -> None:
        if "model" in kwargs:
            model = kwargs.pop("model")
        if kwargs.get("prompt_style") == "paper" and kwargs.get("variant") == "extractive":
            raise ValueError(
                "prompt_style='paper' has no extractive prompt; use 'split' or 'single'"
            )
        judge = kwargs.get("judge_sentences") is True
        if judge and kwargs.get("variant", "extractive") != "extractive":
            raise ValueError(
                "judge_sentences=True selects sentences: it needs variant='extractive'"
            )
        if judge and kwargs.get("constrained"):
            raise ValueError("judge_sentences=True and constrained=True cannot be combined")
        fields: dict[str, Any] = {**kwargs, "model": resolve_chat_model(model)}
        super().__init__(**fields)

    @property
    def options(self) -> RewriteOptions:
        """This rewriter's options: ``create_s2a_chain(llm, **rewriter.options)`` rewrites alike.

        Example:
            >>> from langchain_core.language_models import GenericFakeChatModel
            >>> S2ARewriter(GenericFakeChatModel(messages=iter([])), preset="relevance").options[
            ...     "preset"]
            'relevance'
        """
        return cast("RewriteOptions", {name: getattr(self, name) for name in REWRITE_OPTIONS})

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Not serialisable: it holds a live model."""
        return False

    # ------------------------------------------------------------------ prompts
    def resolve_language(self, text: str) -> Language:
        """The prompt language for ``text`` under this rewriter's ``language`` option."""
        return detect_language(text) if self.language == "auto" else self.language

    def build_messages(
        self,
        text: str,
        *,
        language: Language,
        previous: S2ARewrite | None = None,
        sentences: list[Sentence] | None = None,
    ) -> list[BaseMessage]:
        """Build the rewrite prompt for ``text``.

        Args:
            text: The user's text (it is neutralised and delimited as data).
            language: Prompt language.
            previous: A rejected earlier attempt; its reply and the reason are
                sent back so a retry can correct itself.
            sentences: ``extractive``: ``text`` already split into sentences
                (split here when omitted).

        Returns:
            The messages to send to the model.

        """
        prompts = get_prompts(self.preset, language, self.prompt_style)
        if self.variant == "extractive":
            sentences = segment(text, language=language) if sentences is None else sentences
            prompt = prompts.extractive.format(text=number_sentences(sentences))
        else:
            template = prompts.split if self.variant == "split" else prompts.single
            prompt = template.format(text=neutralize(text))
        messages: list[BaseMessage] = [SystemMessage(prompts.system)] if prompts.system else []
        messages.append(HumanMessage(prompt))
        if previous is not None and previous.fallback_reason is not None:
            feedback = prompts.retry_feedback.format(reason=previous.fallback_reason)
            messages += [AIMessage(previous.raw), HumanMessage(feedback)]
        return messages

    # ---------------------------------------------------------------- interpret
    def interpret(
        self,
        raw: str,
        parts: InputParts,
        *,
        language: Language,
        sections: Sections | None = None,
        truncated: bool = False,
        sentences: list[Sentence] | None = None,
    ) -> S2ARewrite:
        """Turn a model reply into an :class:`S2ARewrite`, falling back when unusable.

        The reply is read (parsed, or its selection assembled verbatim for
        ``extractive``, whose input ``sentences`` may be passed when already split),
        then judged by :func:`~langchain_s2a._internal.rules.ladder.rejection_reason`.
        """
        if self.variant == "extractive" and sections is None:
            sentences = sentences or segment(parts.text, language=language)
            extract = read_selection(raw, parts.text, sentences, preset=self.preset)
            candidate = Candidate.from_extract(
                extract, raw=raw, original=parts.text, truncated=truncated, language=language
            )
        else:
            context, question, parsed = (
                (sections.context.strip(), sections.question.strip(), True)
                if sections is not None
                else read_rewrite(raw, single=self.variant == "single", original=parts.text)
            )
            candidate = Candidate(
                raw=raw,
                original=parts.text,
                context=restore_neutralized(context),
                question=restore_neutralized(question),
                parsed=parsed,
                truncated=truncated,
            )
        reason = rejection_reason(
            candidate,
            variant=self.variant,
            preset=self.preset,
            min_number_share=self.min_number_share,
        )
        ok = reason is None
        provenance = candidate.extract.provenance() if ok and candidate.extract else {}
        return S2ARewrite(
            original=parts.text,
            context=candidate.context if ok else "",
            question=candidate.question if ok else "",
            variant=self.variant,
            preset=self.preset,
            language=language,
            prompt_style=self.prompt_style,
            fallback=not ok,
            fallback_reason=reason,
            raw=raw,
            attempts=1,
            **provenance,
        )

    @property
    def call_policy(self) -> CallPolicy:
        """Timeout and retry policy of this rewriter's model calls."""
        return CallPolicy(timeout=self.timeout, max_attempts=self.max_attempts)

    def _structured_error(self, exc: Exception) -> None:
        """Raise ``exc``, or take the text path (for good when structured output is unsupported)."""
        if structured_unsupported(exc, forced=self.structured_output is True):
            self._structured_failed = True

    def _use_structured(self) -> bool:
        if self.variant != "split" or self._structured_failed:
            return False
        if self.structured_output == "auto":
            return has_structured_output(self.model)
        return bool(self.structured_output)

    def _from_structured(self, out: dict[str, Any], call: _Call) -> S2ARewrite | None:
        parsed = out.get("parsed")
        if not isinstance(parsed, Sections):
            return None  # this call only: the text path follows
        raw = parsed.model_dump_json()
        rewrite = self.interpret(raw, call.parts, language=call.language, sections=parsed)
        return self._done(rewrite, out.get("raw"), call)

    # --------------------------------------------------------------- one attempt
    def _start(
        self, parts: InputParts, config: RunnableConfig | None, previous: S2ARewrite | None
    ) -> _Call:
        """Build an attempt's request; the extractive input is split here, once."""
        language = self.resolve_language(parts.text)
        extractive = self.variant == "extractive"
        sentences = segment(parts.text, language=language) if extractive else None
        messages = self.build_messages(
            parts.text, language=language, previous=previous, sentences=sentences
        )
        config = patch_config(config, run_name=REWRITE_NAME)
        return _Call(parts, language, sentences, messages, config, time.perf_counter())

    def _structured_args(self, call: _Call) -> tuple[Any, ...]:
        # In "auto" mode a failing structured call is not retried: the text path follows.
        attempts = self.max_attempts if self.structured_output is True else 1
        policy = CallPolicy(timeout=self.timeout, max_attempts=attempts)
        return sections_model(self.model), call.messages, call.config, policy

    def _text_args(self, call: _Call) -> tuple[Any, ...]:
        model = self.model
        if self.constrained and call.sentences is not None:
            model = constrain_extractive(model, len(call.sentences), language=call.language)
        return model, call.messages, call.config, self.call_policy

    def _finish(self, reply: Any, call: _Call) -> S2ARewrite:
        message = message_of(reply)
        text, truncated = message.text, is_truncated(message)
        rewrite = self.interpret(
            text, call.parts, language=call.language, truncated=truncated, sentences=call.sentences
        )
        return self._done(rewrite, message, call)

    def _done(self, rewrite: S2ARewrite, reply: Any, call: _Call) -> S2ARewrite:
        """The rewrite with the reply's token usage and the attempt's wall time."""
        usage = getattr(reply, "usage_metadata", None)
        elapsed = time.perf_counter() - call.started
        update = {"usage": dict(usage) if usage else None, "latency_s": elapsed}
        return rewrite.model_copy(update=update)

    # ------------------------------------------------------ per-sentence judgements
    def _judger(self, language: Language) -> Runnable[LanguageModelInput, BaseMessage]:
        """The judgement model, constrained to the two verdicts of ``language``.

        Its reply length is cut once per model (a copy with another model remakes it).
        """
        if self._judge is None or self._judge[0] is not self.model:
            self._judge = (self.model, judge_model(self.model))
        structured = self.structured_output is not False
        return constrain_judgement(self._judge[1], language=language, structured=structured)

    def _plan(
        self, call: _Call, previous: S2ARewrite | None
    ) -> tuple[JudgementPlan | None, list[list[BaseMessage]]]:
        """The judgement plan and its requests, or ``(None, [])`` for a one-reply attempt."""
        if previous is not None or not call.sentences:
            return None, []  # a retry asks for the one-reply selection
        return judgement_requests(
            self.judge_sentences,
            call.parts.text,
            call.sentences,
            preset=self.preset,
            variant=self.variant,
            constrained=self.constrained,
            language=call.language,
        )

    def _judged(self, call: _Call, plan: JudgementPlan, replies: list[Any]) -> S2ARewrite:
        """The rewrite the judgements select, judged by the same rules as one reply."""
        messages = [message_of(r) for r in replies]
        raw = selection_reply(plan, [m.text for m in messages])
        rewrite = self.interpret(raw, call.parts, language=call.language, sentences=call.sentences)
        elapsed = time.perf_counter() - call.started
        return rewrite.model_copy(update={"usage": sum_usage(messages), "latency_s": elapsed})

    def attempt(
        self,
        parts: InputParts,
        config: RunnableConfig | None = None,
        *,
        previous: S2ARewrite | None = None,
    ) -> S2ARewrite:
        """Make one rewrite call; never raises for an unusable rewrite (see ``fallback``)."""
        call = self._start(parts, config, previous)
        plan, requests = self._plan(call, previous)
        if plan is not None:
            judger, policy = self._judger(call.language), self.call_policy
            replies = [call_model(judger, m, call.config, policy) for m in requests]
            return self._judged(call, plan, replies)
        if self._use_structured():
            try:
                result = self._from_structured(call_model(*self._structured_args(call)), call)
                if result is not None:
                    return result
            except Exception as exc:
                self._structured_error(exc)
        return self._finish(call_model(*self._text_args(call)), call)

    async def aattempt(
        self,
        parts: InputParts,
        config: RunnableConfig | None = None,
        *,
        previous: S2ARewrite | None = None,
    ) -> S2ARewrite:
        """Async twin of :meth:`attempt` (the same halves around an async model call)."""
        call = self._start(parts, config, previous)
        plan, requests = self._plan(call, previous)
        if plan is not None:
            judger, policy = self._judger(call.language), self.call_policy
            replies = await asyncio.gather(
                *(acall_model(judger, m, call.config, policy) for m in requests)
            )
            return self._judged(call, plan, list(replies))
        if self._use_structured():
            try:
                out = await acall_model(*self._structured_args(call))
                result = self._from_structured(out, call)
                if result is not None:
                    return result
            except Exception as exc:
                self._structured_error(exc)
        return self._finish(await acall_model(*self._text_args(call)), call)

    def check(self, rewrite: S2ARewrite) -> S2ARewrite:
        """Apply ``on_failure``: raise :class:`S2ARewriteError` for a fallback if asked to."""
        if rewrite.fallback and self.on_failure == "raise":
            raise S2ARewriteError(
                rewrite.fallback_reason or "unparseable", raw=rewrite.raw, original=rewrite.original
            )
        return rewrite

    # ----------------------------------------------------------------- runnable
    def _invoke(
        self, input: Any, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> S2ARewrite:
        rewrite = self.check(
            self.attempt(coerce_input(input, max_chars=self.max_input_chars), config)
        )
        dispatch_custom_event(REWRITE_NAME, rewrite.model_dump(), config=config)
        return rewrite

    async def _ainvoke(
        self, input: Any, run_manager: AsyncCallbackManagerForChainRun, config: RunnableConfig
    ) -> S2ARewrite:
        parts = coerce_input(input, max_chars=self.max_input_chars)
        rewrite = self.check(await self.aattempt(parts, config))
        await adispatch_custom_event(REWRITE_NAME, rewrite.model_dump(), config=config)
        return rewrite

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> S2ARewrite:
        """Rewrite one input. See the class docstring."""
        return self._call_with_config(self._invoke, input, config, **kwargs)

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> S2ARewrite:
        """Rewrite one input asynchronously (a real async model call)."""
        return await self._acall_with_config(self._ainvoke, input, config, **kwargs)


TOOL_KWARGS = frozenset(
    {
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "parallel_tool_calls",
        "response_format",
        "ls_structured_output_format",
    }
)
"""Call parameters ``bind_tools`` (and an agent's response format) bind on a model."""


def without_tools(
    model: Runnable[LanguageModelInput, BaseMessage],
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` without the tools (and tool choice) bound on it, for the rewrite call.

    ``llm.bind_tools(tools, tool_choice="any")`` is a ``RunnableBinding`` whose
    ``kwargs`` carry the tools; a provider that obeys them answers the rewrite
    prompt with a tool call, and every rewrite would fall back. The bindings (also
    under ``with_retry``, ``with_config`` and fallbacks) keep every other parameter.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> llm = GenericFakeChatModel(messages=iter([]))
        >>> bound = llm.bind(tools=[{"type": "function"}], tool_choice="any", temperature=0)
        >>> dict(without_tools(bound).kwargs)
        {'temperature': 0}
        >>> without_tools(llm) is llm
        True
    """
    if isinstance(model, RunnableBindingBase):
        inner = without_tools(model.bound)
        kwargs = {k: v for k, v in model.kwargs.items() if k not in TOOL_KWARGS}
        if inner is model.bound and len(kwargs) == len(model.kwargs):
            return model
        return model.model_copy(update={"bound": inner, "kwargs": kwargs})
    if isinstance(model, RunnableWithFallbacks):
        runnable = without_tools(model.runnable)
        fallbacks = [without_tools(f) for f in model.fallbacks]
        return model.model_copy(update={"runnable": runnable, "fallbacks": fallbacks})
    return model


def resolve_rewriter(
    rewriter: S2ARewriter | None,
    model: Runnable[LanguageModelInput, BaseMessage],
    *,
    factory: str,
    rewriter_model: ModelLike = None,
    timeout: float | None,
    max_attempts: int,
    options: RewriteOptions,
) -> S2ARewriter:
    """The ready ``rewriter`` as is, or one built from ``options``.

    Args:
        rewriter: A ready rewriter, or ``None`` to build one.
        model: The answer model; without its tools (:func:`without_tools`), the
            rewrite model when no ``rewriter_model`` is given.
        factory: The caller's name, for the error message.
        rewriter_model: A separate rewrite model (built rewriter only).
        timeout: Seconds one rewrite call may take (built rewriter only).
        max_attempts: Attempts per rewrite call (built rewriter only).
        options: The rewriter's options given to the factory; those not given keep
            :class:`S2ARewriter`'s defaults.

    Returns:
        The rewriter to use.

    Raises:
        ValueError: If a ready rewriter comes with ``rewriter_model`` or options that
            differ from the defaults.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> ready = S2ARewriter(GenericFakeChatModel(messages=iter([])), variant="split")
        >>> resolve_rewriter(ready, ready.model, factory="f", timeout=None, max_attempts=3,
        ...                  options={}) is ready
        True
        >>> resolve_rewriter(ready, ready.model, factory="f", timeout=None, max_attempts=3,
        ...                  options={"preset": "relevance"})
        Traceback (most recent call last):
        ...
        ValueError: f got rewriter= and rewriter options ['preset']; set them on the S2ARewriter instead
    """
    if rewriter is not None:
        fields = S2ARewriter.model_fields
        clashes = [k for k, v in options.items() if v != fields[k].default]
        if rewriter_model is not None:
            clashes.append("rewriter_model")
        if clashes:
            raise ValueError(
                f"{factory} got rewriter= and rewriter options {sorted(clashes)}; "
                "set them on the S2ARewriter instead"
            )
        return rewriter
    rewrite_model = without_tools(model) if rewriter_model is None else rewriter_model
    return S2ARewriter(rewrite_model, timeout=timeout, max_attempts=max_attempts, **options)
