"""Results of the S2A chain: the answer, the model message and the rewrite."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.utils import message_chunk_to_message
from pydantic import BaseModel, ConfigDict

from langchain_s2a._types import Mode
from langchain_s2a.rewrite import S2ARewrite

__all__ = ["Mode", "S2AResult", "S2AResultChunk"]


def _as_ai_message(message: BaseMessage) -> AIMessage:
    if isinstance(message, AIMessageChunk):
        converted = message_chunk_to_message(message)
        return converted if isinstance(converted, AIMessage) else AIMessage(converted.content)
    if isinstance(message, AIMessage):
        return message
    return AIMessage(content=message.content, response_metadata=message.response_metadata)


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
            message=_as_ai_message(self.message or AIMessageChunk(content="")),
            rewrite=self.rewrite,
            mode=self.mode,
            answer_latency_s=self.answer_latency_s,
        )
