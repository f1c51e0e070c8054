"""The S2A rewrite step as a LangChain Runnable."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.callbacks.manager import (
    AsyncCallbackManagerForChainRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import patch_config
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from langchain_s2a._calls import CallPolicy, acall_model, call_model, is_unsupported, message_of
from langchain_s2a._constrained import constrain_extractive
from langchain_s2a._inputs import DEFAULT_MAX_INPUT_CHARS, InputParts, coerce_input
from langchain_s2a._types import (
    FallbackReason,
    LanguageOption,
    OnFailure,
    StructuredOutput,
    Variant,
)
from langchain_s2a.errors import S2ARewriteError
from langchain_s2a.extractive import (
    assemble,
    number_sentences,
    parse_selection,
    repair_question,
)
from langchain_s2a.models import ModelLike, resolve_chat_model
from langchain_s2a.parsing import (
    check_numbers_kept,
    check_question_kept,
    clean_single,
    max_rewrite_chars,
    parse_sections,
)
from langchain_s2a.prompts import (
    Language,
    Preset,
    PromptStyle,
    detect_language,
    get_prompts,
    neutralize,
    restore_neutralized,
)
from langchain_s2a.rewrite import S2ARewrite
from langchain_s2a.segmentation import is_opinion, split_sentences

__all__ = ["RewriteVariant", "S2ARewriter"]

RewriteVariant = Variant
"""Alias of :data:`langchain_s2a._types.Variant`, kept for existing imports."""

REWRITE_EVENT = "s2a_rewrite"
"""Name of the custom event dispatched with each finished rewrite."""
REWRITE_RUN_NAME = "s2a_rewrite"
"""Run name of the rewrite's model call."""


class _Sections(BaseModel):
    """Sections of an S2A rewrite (structured-output schema)."""

    context: str = Field(description="The kept context; empty string if none is kept.")
    question: str = Field(description="The user's question, stated completely.")


def _supports_structured_output(model: Runnable[Any, Any]) -> bool:
    if not isinstance(model, BaseChatModel):
        return False
    cls = type(model)
    return (
        cls.bind_tools is not BaseChatModel.bind_tools
        or cls.with_structured_output is not BaseChatModel.with_structured_output
    )


def _is_truncated(message: BaseMessage) -> bool:
    meta = message.response_metadata or {}
    reason = meta.get("finish_reason") or meta.get("stop_reason") or meta.get("done_reason")
    return reason in {"length", "max_tokens"}


class S2ARewriter(RunnableSerializable[Any, S2ARewrite]):
    """Step 1 of System 2 Attention: regenerate the input without bias or distractors.

    Input: a ``str``, a dict with key ``"input"``, a list of messages or a
    ``PromptValue`` (the last human turn is rewritten). Output: :class:`S2ARewrite`.

    A rewrite that is empty, unparseable, truncated, too long (see
    :func:`~langchain_s2a.parsing.max_rewrite_chars`) or has lost the question never
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
    variant: RewriteVariant = "extractive"
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
    min_number_share: float | None = Field(default=0.5, ge=0.0, le=1.0)
    """Attempts per rewrite call for transient errors (timeouts, rate limits, 5xx)."""
    constrained: bool = False
    """Constrain extractive replies by a grammar / structured output."""
    name: str | None = "s2a_rewrite"
    """Run name shown in traces."""

    _structured_failed: bool = PrivateAttr(default=False)

    def __init__(self, model: ModelLike = None, /, **kwargs: Any) -> None:
        if "model" in kwargs:
            model = kwargs.pop("model")
        if kwargs.get("prompt_style") == "paper" and kwargs.get("variant") == "extractive":
            raise ValueError(
                "prompt_style='paper' has no extractive prompt; use 'split' or 'single'"
            )
        kwargs["model"] = resolve_chat_model(model)
        super().__init__(**kwargs)

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Not serialisable: it holds a live model."""
        return False

    # ------------------------------------------------------------------ prompts
    def resolve_language(self, text: str) -> Language:
        """The prompt language for ``text`` under this rewriter's ``language`` option."""
        return detect_language(text) if self.language == "auto" else self.language

    def build_messages(
        self, text: str, *, language: Language, previous: S2ARewrite | None = None
    ) -> list[BaseMessage]:
        """Build the rewrite prompt for ``text``.

        Args:
            text: The user's text (it is neutralised and delimited as data).
            language: Prompt language.
            previous: A rejected earlier attempt; its reply and the reason are
                sent back so a retry can correct itself.

        Returns:
            The messages to send to the model.

        """
        prompts = get_prompts(self.preset, language, self.prompt_style)
        if self.variant == "extractive":
            body = number_sentences(split_sentences(text, language=language))
            prompt = prompts.extractive.format(text=body)
        else:
            template = prompts.split if self.variant == "split" else prompts.single
            prompt = template.format(text=neutralize(text))
        messages: list[BaseMessage] = [SystemMessage(prompts.system)] if prompts.system else []
        messages.append(HumanMessage(prompt))
        if previous is not None and previous.fallback_reason is not None:
            messages.append(AIMessage(previous.raw))
            messages.append(
                HumanMessage(prompts.retry_feedback.format(reason=previous.fallback_reason))
            )
        return messages

    # ---------------------------------------------------------------- interpret
    def interpret(
        self,
        raw: str,
        parts: InputParts,
        *,
        language: Language,
        sections: _Sections | None = None,
        truncated: bool = False,
    ) -> S2ARewrite:
        """Turn a model reply into an :class:`S2ARewrite`, falling back when unusable."""
        if self.variant == "extractive" and sections is None:
            return self._interpret_extractive(raw, parts, language=language, truncated=truncated)
        context, question = "", ""
        reason: FallbackReason | None = None
        if sections is not None:
            context, question = sections.context.strip(), sections.question.strip()
        elif not raw.strip():
            reason = "empty"
        elif self.variant == "single":
            question = clean_single(raw, original=parts.text)
        else:
            parsed = parse_sections(raw, original=parts.text)
            if not (parsed.found_context_label or parsed.found_question_label):
                reason = "unparseable"
            context, question = parsed.context, parsed.question
        context, question = restore_neutralized(context), restore_neutralized(question)
        if reason is None:
            if truncated:
                reason = "truncated"
            elif len(context) + len(question) > max_rewrite_chars(parts.text):
                reason = "too_long"
            elif not question:
                reason = "empty" if self.variant == "single" else "missing_question"
            elif not check_question_kept(question, parts.text, context=context):
                reason = "question_lost"
            elif not self._numbers_kept(f"{context}\n{question}", parts.text):
                reason = "facts_lost"
        return S2ARewrite(
            original=parts.text,
            context="" if reason else context,
            question="" if reason else question,
            variant=self.variant,
            preset=self.preset,
            language=language,
            prompt_style=self.prompt_style,
            fallback=reason is not None,
            fallback_reason=reason,
            raw=raw,
            attempts=1,
        )

    def _numbers_kept(self, rewrite: str, original: str) -> bool:
        if self.min_number_share is None:
            return True
        return check_numbers_kept(rewrite, original, min_share=self.min_number_share)

    def _interpret_extractive(
        self, raw: str, parts: InputParts, *, language: Language, truncated: bool
    ) -> S2ARewrite:
        sentences = split_sentences(parts.text, language=language)
        selection = parse_selection(raw)
        opinion = is_opinion if self.preset == "opinion" else None
        if selection.keep is not None or selection.question_id is not None:
            selection = repair_question(sentences, selection, is_opinion=opinion)
        if opinion is not None and selection.keep:
            # The opinion preset never keeps the user's own opinion sentences.
            by_id = {s.id: s for s in sentences}
            keep = [i for i in selection.keep if i not in by_id or not opinion(by_id[i].text)]
            selection = replace(selection, keep=keep)
        context, question, kept, spans, question_id = assemble(parts.text, sentences, selection)
        if question_id is None:  # the model wrote the question out instead of a number
            question = restore_neutralized(question)
        reason: FallbackReason | None = None
        if not raw.strip():
            reason = "empty"
        elif selection.keep is None and selection.question_id is None and not question:
            reason = "unparseable"
        elif truncated:
            reason = "truncated"
        elif len(context) + len(question) > max_rewrite_chars(parts.text):
            reason = "too_long"
        elif not question:
            reason = "missing_question"
        elif not check_question_kept(question, parts.text, context=context, language=language) or (
            # The chosen "question" sentence asks nothing while another sentence does.
            question_id is not None
            and not question.rstrip().endswith(("?", "？"))
            and any(s.text.rstrip().endswith(("?", "？")) for s in sentences)
        ):
            reason = "question_lost"
        elif not self._numbers_kept(f"{context}\n{question}", parts.text) or (
            # Relevance preset: the opening sentence of a problem sets it up (who, how
            # many); a selection that drops it lost the problem, not a distractor.
            # Tune split (68 GSM-IC items): it caught all 11 selections that dropped a
            # needed sentence and none of the 28 that removed exactly the distractor.
            self.preset == "relevance" and len(sentences) > 2 and question_id != 1 and 1 not in kept
        ):
            reason = "facts_lost"
        ok = reason is None
        return S2ARewrite(
            original=parts.text,
            context=context if ok else "",
            question=question if ok else "",
            variant="extractive",
            preset=self.preset,
            language=language,
            prompt_style=self.prompt_style,
            fallback=not ok,
            fallback_reason=reason,
            raw=raw,
            attempts=1,
            kept_ids=kept if ok else None,
            kept_spans=spans if ok else None,
            question_id=question_id if ok else None,
            question_span=(
                (sentences[question_id - 1].start, sentences[question_id - 1].end)
                if ok and question_id is not None
                else None
            ),
        )

    @property
    def call_policy(self) -> CallPolicy:
        """Timeout and retry policy of this rewriter's model calls."""
        return CallPolicy(timeout=self.timeout, max_attempts=self.max_attempts)

    @property
    def _structured_policy(self) -> CallPolicy:
        # In "auto" mode a failing structured call is not retried: the text path follows.
        attempts = self.max_attempts if self.structured_output is True else 1
        return CallPolicy(timeout=self.timeout, max_attempts=attempts)

    def _structured_error(self, exc: Exception) -> None:
        """Decide what a failed structured-output call means.

        With ``structured_output=True`` it is raised. In ``"auto"`` mode timeouts,
        lost connections and rate limits are raised, since a text call would fail
        the same way; a definite "not supported" answer (:func:`is_unsupported`)
        switches this rewriter to the text path for good; any other error (a 5xx,
        a parser error) sends only this call down the text path.
        """
        if self.structured_output is True or isinstance(exc, TimeoutError | ConnectionError):
            raise exc
        if any(name in type(exc).__name__ for name in ("APIConnection", "APITimeout", "RateLimit")):
            raise exc
        if is_unsupported(exc):
            self._structured_failed = True

    def _use_structured(self) -> bool:
        if self.variant != "split" or self._structured_failed:
            return False
        if self.structured_output == "auto":
            return _supports_structured_output(self.model)
        return bool(self.structured_output)

    def _structured_model(self) -> Runnable[LanguageModelInput, dict[str, Any]]:
        model = cast("BaseChatModel", self.model)
        return cast(
            "Runnable[LanguageModelInput, dict[str, Any]]",
            model.with_structured_output(_Sections, include_raw=True),
        )

    def _from_structured(
        self, out: dict[str, Any], parts: InputParts, language: Language
    ) -> S2ARewrite | None:
        parsed = out.get("parsed")
        raw_msg = out.get("raw")
        if not isinstance(parsed, _Sections):
            return None  # this call only: the text path follows
        raw = parsed.model_dump_json()
        rewrite = self.interpret(raw, parts, language=language, sections=parsed)
        usage = getattr(raw_msg, "usage_metadata", None)
        return rewrite.model_copy(update={"usage": dict(usage) if usage else None})

    # --------------------------------------------------------------- one attempt
    def attempt(
        self,
        parts: InputParts,
        config: RunnableConfig | None = None,
        *,
        previous: S2ARewrite | None = None,
    ) -> S2ARewrite:
        """Make one rewrite call; never raises for an unusable rewrite (see ``fallback``)."""
        language = self.resolve_language(parts.text)
        messages = self.build_messages(parts.text, language=language, previous=previous)
        config = patch_config(config, run_name=REWRITE_RUN_NAME)
        started = time.perf_counter()
        result: S2ARewrite | None = None
        if self._use_structured():
            try:
                out = call_model(
                    self._structured_model(), messages, config, self._structured_policy
                )
                result = self._from_structured(out, parts, language)
            except Exception as exc:
                self._structured_error(exc)
        if result is None:
            model = self._reply_model(parts.text, language)
            message = message_of(call_model(model, messages, config, self.call_policy))
            result = self._finish(message, parts, language)
        return result.model_copy(update={"latency_s": time.perf_counter() - started})

    async def aattempt(
        self,
        parts: InputParts,
        config: RunnableConfig | None = None,
        *,
        previous: S2ARewrite | None = None,
    ) -> S2ARewrite:
        """Async twin of :meth:`attempt`."""
        language = self.resolve_language(parts.text)
        messages = self.build_messages(parts.text, language=language, previous=previous)
        config = patch_config(config, run_name=REWRITE_RUN_NAME)
        started = time.perf_counter()
        result: S2ARewrite | None = None
        if self._use_structured():
            try:
                out = await acall_model(
                    self._structured_model(), messages, config, self._structured_policy
                )
                result = self._from_structured(out, parts, language)
            except Exception as exc:
                self._structured_error(exc)
        if result is None:
            model = self._reply_model(parts.text, language)
            message = message_of(await acall_model(model, messages, config, self.call_policy))
            result = self._finish(message, parts, language)
        return result.model_copy(update={"latency_s": time.perf_counter() - started})

    def _reply_model(
        self, text: str, language: Language
    ) -> Runnable[LanguageModelInput, BaseMessage]:
        if not (self.constrained and self.variant == "extractive"):
            return self.model
        n = len(split_sentences(text, language=language))
        return constrain_extractive(self.model, n, language=language)

    def _finish(self, message: BaseMessage, parts: InputParts, language: Language) -> S2ARewrite:
        rewrite = self.interpret(
            message.text, parts, language=language, truncated=_is_truncated(message)
        )
        usage = getattr(message, "usage_metadata", None)
        return rewrite.model_copy(update={"usage": dict(usage) if usage else None})

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
        parts = coerce_input(input, max_chars=self.max_input_chars)
        rewrite = self.check(self.attempt(parts, config))
        dispatch_custom_event(REWRITE_EVENT, rewrite.model_dump(), config=config)
        return rewrite

    async def _ainvoke(
        self, input: Any, run_manager: AsyncCallbackManagerForChainRun, config: RunnableConfig
    ) -> S2ARewrite:
        parts = coerce_input(input, max_chars=self.max_input_chars)
        rewrite = self.check(await self.aattempt(parts, config))
        await adispatch_custom_event(REWRITE_EVENT, rewrite.model_dump(), config=config)
        return rewrite

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> S2ARewrite:
        """Rewrite one input. See the class docstring."""
        return self._call_with_config(self._invoke, input, config, **kwargs)

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> S2ARewrite:
        """Rewrite one input asynchronously (a real async model call)."""
        return await self._acall_with_config(self._ainvoke, input, config, **kwargs)
