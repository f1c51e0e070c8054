"""The S2A rewrite step as a LangChain Runnable, and what builds one for the shells.

:class:`S2ARewriter` holds the rewrite model, its options and what it learns about the
model across calls; the steps of an attempt are functions of
:mod:`langchain_s2a._internal.pipeline.rewrite`. :func:`resolve_rewriter` builds one for
a shell from its ``**options`` (or takes a ready one), rewriting with the answer model
stripped of its tools (:func:`without_tools`).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.callbacks.manager import (
    AsyncCallbackManagerForChainRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableSerializable,
    RunnableWithFallbacks,
)
from langchain_core.runnables.base import RunnableBindingBase
from pydantic import ConfigDict, Field, PrivateAttr
from typing_extensions import Unpack

from langchain_s2a._internal.io.calls import CallPolicy, acall_model, call_model
from langchain_s2a._internal.io.inputs import DEFAULT_MAX_INPUT_CHARS, InputParts, coerce_input
from langchain_s2a._internal.pipeline import rewrite as steps
from langchain_s2a._internal.reading.constrained import (
    Sections,
    constrain_judgement,
    has_structured_output,
    sections_model,
    structured_unsupported,
)
from langchain_s2a._internal.reading.judgements import judge_model
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
from langchain_s2a.result import REWRITE_NAME, S2ARewrite

__all__ = ["S2ARewriter", "resolve_rewriter", "without_tools"]

_Model = Runnable[LanguageModelInput, BaseMessage]


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

    A thin Runnable around the steps of :mod:`langchain_s2a._internal.pipeline.rewrite`
    (split, plan, call, read, check, record). A rewrite that is empty, unparseable,
    truncated, too long (see :func:`~langchain_s2a._internal.rules.ladder.max_rewrite_chars`)
    or has lost the question never reaches the answer step: with ``on_failure="original"`` the original input is
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
            shared text (see :mod:`langchain_s2a._internal.reading.judgements`); more
            calls, each a few tokens. ``"auto"`` (default) judges for the
            ``relevance`` preset when the input has at most
            :data:`~langchain_s2a._internal.reading.judgements.AUTO_MAX_JUDGEMENTS`
            sentences besides its question, and asks for one reply otherwise; ``True`` always judges,
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

    # ------------------------------------------------------------ the steps, one by one
    def resolve_language(self, text: str) -> Language:
        """The prompt language for ``text`` under this rewriter's ``language`` option."""
        return steps.resolve_language(text, self.language)

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
        return steps.prompt(
            text, self.options, language=language, sentences=sentences, previous=previous
        )

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
        then judged by :func:`~langchain_s2a._internal.rules.ladder.rejection_reason`
        (:func:`~langchain_s2a._internal.pipeline.rewrite.interpret`).
        """
        return steps.interpret(
            raw,
            parts.text,
            self.options,
            language=language,
            sentences=sentences,
            sections=sections,
            truncated=truncated,
        )

    @property
    def call_policy(self) -> CallPolicy:
        """Timeout and retry policy of this rewriter's model calls."""
        return CallPolicy(timeout=self.timeout, max_attempts=self.max_attempts)

    def check(self, rewrite: S2ARewrite) -> S2ARewrite:
        """Apply ``on_failure``: raise :class:`S2ARewriteError` for a fallback if asked to."""
        if rewrite.fallback and self.on_failure == "raise":
            raise S2ARewriteError(
                rewrite.fallback_reason or "unparseable", raw=rewrite.raw, original=rewrite.original
            )
        return rewrite

    # ----------------------------------------------- what it learns about its model
    def _use_structured(self) -> bool:
        """Whether to try structured output (``split``): asked for, and not found unsupported."""
        if self.variant != "split" or self._structured_failed:
            return False
        if self.structured_output == "auto":
            return has_structured_output(self.model)
        return bool(self.structured_output)

    def _structured_call(self) -> tuple[Runnable[LanguageModelInput, dict[str, Any]], CallPolicy]:
        # In "auto" mode a failing structured call is not retried: the text path follows.
        attempts = self.max_attempts if self.structured_output is True else 1
        return sections_model(self.model), CallPolicy(timeout=self.timeout, max_attempts=attempts)

    def _structured_error(self, exc: Exception) -> None:
        """Raise ``exc``, or take the text path (for good when structured output is unsupported)."""
        if structured_unsupported(exc, forced=self.structured_output is True):
            self._structured_failed = True

    def _judger(self, language: Language) -> _Model:
        """The judgement model, constrained to the two verdicts of ``language``.

        Its reply length is cut once per model (a copy with another model remakes it).
        """
        if self._judge is None or self._judge[0] is not self.model:
            self._judge = (self.model, judge_model(self.model))
        structured = self.structured_output is not False
        return constrain_judgement(self._judge[1], language=language, structured=structured)

    # ------------------------------------------------------------------ one attempt
    def attempt(
        self,
        parts: InputParts,
        config: RunnableConfig | None = None,
        *,
        previous: S2ARewrite | None = None,
    ) -> S2ARewrite:
        """Make one rewrite attempt; never raises for an unusable rewrite (see ``fallback``).

        Start, plan, call, then read, check and record the reply
        (:mod:`langchain_s2a._internal.pipeline.rewrite`).
        """
        request = steps.start(parts, self.options, config, previous)
        plan = steps.plan(request, structured=self._use_structured())
        if plan.route == "judgements":
            judge, policy = self._judger(request.language), self.call_policy
            replies = [call_model(judge, m, request.config, policy) for m in plan.requests]
            return steps.from_judgements(request, plan, replies)
        if plan.route == "structured":
            try:  # binding the schema may fail too: the text path follows
                structured, policy = self._structured_call()
                out = call_model(structured, request.messages, request.config, policy)
                if (rewrite := steps.from_structured(request, out)) is not None:
                    return rewrite
            except Exception as exc:
                self._structured_error(exc)
        model = steps.reply_model(self.model, request)
        reply = call_model(model, request.messages, request.config, self.call_policy)
        return steps.from_reply(request, reply)

    async def aattempt(
        self,
        parts: InputParts,
        config: RunnableConfig | None = None,
        *,
        previous: S2ARewrite | None = None,
    ) -> S2ARewrite:
        """Async twin of :meth:`attempt` (the same steps around async model calls)."""
        request = steps.start(parts, self.options, config, previous)
        plan = steps.plan(request, structured=self._use_structured())
        if plan.route == "judgements":
            judge, policy = self._judger(request.language), self.call_policy
            replies = await asyncio.gather(
                *(acall_model(judge, m, request.config, policy) for m in plan.requests)
            )
            return steps.from_judgements(request, plan, replies)
        if plan.route == "structured":
            try:  # binding the schema may fail too: the text path follows
                structured, policy = self._structured_call()
                out = await acall_model(structured, request.messages, request.config, policy)
                if (rewrite := steps.from_structured(request, out)) is not None:
                    return rewrite
            except Exception as exc:
                self._structured_error(exc)
        model = steps.reply_model(self.model, request)
        reply = await acall_model(model, request.messages, request.config, self.call_policy)
        return steps.from_reply(request, reply)

    # --------------------------------------------------------------------- runnable
    def _invoke(
        self, input: Any, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> S2ARewrite:
        parts = coerce_input(input, max_chars=self.max_input_chars)
        rewrite = self.check(self.attempt(parts, config))
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
