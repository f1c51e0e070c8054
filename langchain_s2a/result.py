"""Every record an S2A step returns: the rewrite, the answer, the streamed chunks."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from pydantic import BaseModel, ConfigDict, Field

from langchain_s2a._internal.io.calls import as_ai_message
from langchain_s2a.options import FallbackReason, Language, Mode, Preset, PromptStyle, RecordVariant
from langchain_s2a.prompts import get_prompts

__all__ = ["METADATA_KEY", "REWRITE_NAME", "S2AResult", "S2AResultChunk", "S2ARewrite"]

REWRITE_NAME = "s2a_rewrite"
"""The rewrite step's name wherever it shows: the run name of :class:`~langchain_s2a.S2ARewriter`
(and of its model call), the custom event dispatched with each finished rewrite, the tag
on the rewrite's runs, and the key of the rewrite on the graph's and the agent
middleware's custom stream."""

METADATA_KEY = "s2a"
"""Key of an S2A record in metadata: a turn's rewrite (the fields of :class:`S2ARewrite`)
in the ``response_metadata`` of the answer that follows the turn, and a document's
provenance in its ``metadata`` (:class:`~langchain_s2a.S2ADocumentCompressor`)."""

_CJK = re.compile(r"[\u3400-\u9fff]")


class S2ARewrite(BaseModel):
    """What the rewriter produced, and what the answer step will see.

    When the rewrite is unusable and the rewriter falls back, ``fallback`` is
    ``True``, ``fallback_reason`` says why, and :attr:`text` is the original input
    byte for byte, so nothing is lost.

    Example:
        >>> r = S2ARewrite(original="Who wrote Hamlet? I think Marlowe.", question="Who wrote Hamlet?")
        >>> r.text
        'Who wrote Hamlet?'
        >>> print(S2ARewrite(original="Q?", context="Some fact.", question="Q?").text)
        Context: Some fact.
        <BLANKLINE>
        Question: Q?

    """

    model_config = ConfigDict(frozen=True)

    original: str
    """The user's text that was rewritten (the last human turn for chat input)."""
    context: str = ""
    """The kept context; empty when none was kept or for the ``single`` variant."""
    question: str = ""
    """The question; for the ``single`` variant, the whole rewritten text."""
    variant: RecordVariant = "split"
    """How the rewrite was made; ``"none"`` when no rewrite step ran (baseline modes)."""
    preset: Preset = "opinion"
    """The prompt preset used."""
    language: Language = "en"
    """The prompt language used."""
    prompt_style: PromptStyle = "ours"
    """The prompt wording used (``paper``: the paper's own prompts)."""
    fallback: bool = False
    """Whether the original input is used because the rewrite was unusable."""
    fallback_reason: FallbackReason | None = None
    """Why the rewrite was rejected, when ``fallback`` is set."""
    raw: str = ""
    """The model's raw reply (for debugging and evaluation)."""
    kept_ids: list[int] | None = None
    """``extractive`` only: numbers (from 1) of the input sentences kept as context."""
    kept_spans: list[tuple[int, int]] | None = None
    """``extractive`` only: ``(start, end)`` character spans of the kept sentences."""
    question_id: int | None = None
    """``extractive`` only: number of the input sentence used as the question."""
    question_span: tuple[int, int] | None = None
    """``extractive`` only: ``(start, end)`` character span of the question sentence."""
    dropped: dict[int, str] | None = None
    """``extractive`` only: the sentences left out, each with why: ``opinion`` (about the
    answer) or ``instruction`` (to the assistant), by the rules; ``left_out`` or
    ``irrelevant``, by the model where the rules let it decide."""
    restored: dict[int, str] | None = None
    """``extractive`` only: sentences the model left out that the rules kept, each with
    the reason (``asks``: a question; ``self_report``: a fact about the user;
    ``new_content``: a fact the opinion preset keeps)."""
    attempts: int = 0
    """How many rewrite calls were made (0 when no rewrite step ran)."""
    usage: dict[str, Any] | None = Field(default=None)
    """Token usage of the rewrite call(s), when the model reports it."""
    latency_s: float | None = None
    """Wall time of the rewrite step in seconds."""

    @property
    def text(self) -> str:
        """The text the answer step sees (without any answer instruction)."""
        return self.render()

    def render(self) -> str:
        """Render the rewrite as the answer step's input.

        Returns:
            The original input on fallback or when no rewrite ran; for
            ``extractive``, the kept sentences and the question exactly as they
            stand in the input, in input order (so a rewrite that keeps every
            sentence is the input itself, and the answer step sees what a plain
            call would); the rewritten text for ``single``; otherwise the
            labelled context (when any) and the question.

        """
        if self.fallback or self.variant == "none":
            return self.original
        if self.variant == "extractive" and self.question_span is not None:
            return self.verbatim()
        if self.variant == "single" or not self.context:
            return self.question
        labels = get_prompts(self.preset, self.language)
        return f"{labels.context_label}: {self.context}\n\n{labels.question_label}: {self.question}"

    def verbatim(self) -> str:
        """The kept sentences and the question, verbatim and in input order (``extractive``).

        Adjacent sentences keep the white space between them in the input; others
        are joined with one space (none between Chinese sentences).

        Example:
            >>> text = "Who wrote Hamlet? I think Marlowe."
            >>> S2ARewrite(original=text, variant="extractive", question="Who wrote Hamlet?",
            ...            kept_spans=[], question_span=(0, 17)).verbatim()
            'Who wrote Hamlet?'
        """
        spans = sorted(
            {*(self.kept_spans or []), *([self.question_span] if self.question_span else [])}
        )
        out: list[str] = []
        previous_end: int | None = None
        for start, end in spans:
            piece = self.original[start:end]
            if previous_end is not None:
                gap = self.original[previous_end:start]
                if gap.strip():
                    gap = "" if _CJK.match(piece) else " "
                out.append(gap)
            out.append(piece)
            previous_end = end
        return "".join(out)


class S2AResult(BaseModel):
    """The outcome of one S2A run.

    Example:
        >>> r = S2AResult(answer="Paris", message=AIMessage("Paris"),
        ...               rewrite=S2ARewrite(original="Capital of France?", question="Capital of France?"))
        >>> r.answer, r.rewrite.fallback
        ('Paris', False)

    """

    model_config = ConfigDict(frozen=True)

    answer: str
    """The answer text."""
    message: AIMessage
    """The answer model's full message (usage metadata, response metadata)."""
    rewrite: S2ARewrite
    """The rewrite the answer was based on (``variant == "none"`` outside S2A mode)."""
    mode: Mode = "s2a"
    """How the answer was produced."""
    answer_latency_s: float | None = None
    """Wall time of the answer step in seconds."""

    @property
    def usage(self) -> dict[str, dict[str, Any] | None]:
        """Token usage per stage (``rewrite``, ``answer``), ``None`` where not reported."""
        answer_usage = self.message.usage_metadata
        return {
            "rewrite": self.rewrite.usage,
            "answer": dict(answer_usage) if answer_usage else None,
        }

    @classmethod
    def from_graph_output(cls, output: dict[str, Any]) -> S2AResult:
        """The result of an S2A graph run (``build_s2a_graph(...).invoke(...)``).

        Args:
            output: The graph's output (``answer``, ``message``, ``rewrite`` as a
                dict, ``mode``, ``answer_latency_s``).

        Returns:
            The same result the S2A chain gives for that run.

        Example:
            >>> out = {"answer": "Paris", "message": AIMessage("Paris"), "mode": "baseline",
            ...        "rewrite": {"original": "Capital?", "question": "Capital?", "variant": "none"}}
            >>> r = S2AResult.from_graph_output(out)
            >>> r.answer, r.mode, r.rewrite.variant
            ('Paris', 'baseline', 'none')

        """
        return cls(
            answer=output["answer"],
            message=output["message"],
            rewrite=S2ARewrite(**output["rewrite"]),
            mode=output.get("mode", "s2a"),
            answer_latency_s=output.get("answer_latency_s"),
        )


class S2AResultChunk(BaseModel):
    """A piece of a streamed S2A run; chunks add up (``+``) to the whole result.

    The first chunk carries the rewrite; the following ones carry answer tokens.

    Example:
        >>> a = S2AResultChunk(answer="Pa", message=AIMessageChunk("Pa"))
        >>> (a + S2AResultChunk(answer="ris", message=AIMessageChunk("ris"))).answer
        'Paris'

    """

    model_config = ConfigDict(frozen=True)

    answer: str = ""
    """Answer text of this chunk."""
    message: AIMessageChunk | None = None
    """The model's message chunk."""
    rewrite: S2ARewrite | None = None
    """The rewrite (first chunk only)."""
    mode: Mode = "s2a"
    """How the answer is produced."""
    answer_latency_s: float | None = None
    """Set on the last chunk: wall time of the answer step."""

    def __add__(self, other: object) -> S2AResultChunk:
        if not isinstance(other, S2AResultChunk):
            return NotImplemented
        if self.message is None:
            message = other.message
        elif other.message is None:
            message = self.message
        else:
            message = self.message + other.message
        return S2AResultChunk(
            answer=self.answer + other.answer,
            message=message,
            rewrite=self.rewrite or other.rewrite,
            mode=self.mode,
            answer_latency_s=other.answer_latency_s or self.answer_latency_s,
        )

    def to_result(self) -> S2AResult:
        """Turn accumulated chunks into an :class:`S2AResult`.

        Raises:
            ValueError: If no chunk carried the rewrite.

        """
        if self.rewrite is None:
            raise ValueError("the stream carried no rewrite chunk")
        return S2AResult(
            answer=self.answer,
            message=as_ai_message(self.message or AIMessageChunk(content="")),
            rewrite=self.rewrite,
            mode=self.mode,
            answer_latency_s=self.answer_latency_s,
        )
