"""Result records of an evaluation: what the chain produced, and its score per item.

Example:
    >>> from langchain_s2a.eval.datasets import EvalItem
    >>> item = EvalItem("gsm-ic", "i1", "g1", "in_topic", "Q?", "Q?", ("3",))
    >>> ItemResult(item, "baseline", Generation(answer="3"), correct=True).to_dict()["correct"]
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from langchain_s2a.eval.datasets import EvalItem

__all__ = ["CLEAN_SUFFIX", "Generation", "ItemResult"]

CLEAN_SUFFIX = "@clean"
"""Suffix of a derived condition: the named condition run on the clean (oracle) prompt."""


@dataclass
class Generation:
    """What the chain produced for one prompt (the unit the cache stores).

    Attributes:
        answer: The answer text.
        rewrite_text: What the answer step saw (the rewrite, or the original).
        rewrite_context: The kept context (split variant).
        rewrite_question: The rewritten question.
        rewrite_variant: ``"split"``, ``"single"`` or ``"none"`` (no rewrite step).
        rewrite_raw: The rewriter's raw reply.
        fallback: Whether the rewrite was rejected and the original used.
        fallback_reason: Why, when ``fallback``.
        rewrite_usage: Token usage of the rewrite step.
        answer_usage: Token usage of the answer step.
        rewrite_latency_s: Wall time of the rewrite step.
        answer_latency_s: Wall time of the answer step.
        rewrite_shared: The rewrite was served from another condition's
            identical rewrite request in the same run (its latency is not
            measured again: ``rewrite_latency_s`` is ``None``).
        answer_shared: The same for the answer step (an identical answer
            request made before, e.g. by a run with an older prompt version).
        engine: The engine that produced it, where outputs depend on it (llama.cpp:
            its version and thread count; ``None`` otherwise or when not recorded).
    """

    answer: str
    rewrite_text: str = ""
    rewrite_context: str = ""
    rewrite_question: str = ""
    rewrite_variant: str = "none"
    rewrite_raw: str = ""
    fallback: bool = False
    fallback_reason: str | None = None
    rewrite_usage: dict[str, Any] | None = None
    answer_usage: dict[str, Any] | None = None
    rewrite_latency_s: float | None = None
    answer_latency_s: float | None = None
    rewrite_shared: bool = False
    answer_shared: bool = False
    engine: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Generation:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ItemResult:
    """One (item, condition) outcome: a generation or an error, and its score.

    An error counts as an incorrect answer in accuracy and is reported in
    ``n_errors``; it is never dropped.
    """

    item: EvalItem
    condition: str
    generation: Generation | None
    error: str | None = None
    correct: bool = False
    parsed: str | None = None
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (item fields flattened)."""
        return {
            "task": self.item.task,
            "condition": self.condition,
            "item_id": self.item.item_id,
            "group_id": self.item.group_id,
            "category": self.item.category,
            "prompt": self.item.prompt,
            "gold": list(self.item.gold),
            "correct": self.correct,
            "parsed": self.parsed,
            "error": self.error,
            "cached": self.cached,
            "generation": self.generation.to_dict() if self.generation else None,
        }
