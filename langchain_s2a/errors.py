"""Every error type langchain-s2a raises on purpose, in one place."""

from __future__ import annotations

__all__ = [
    "CLIError",
    "ContextWindowExceededError",
    "LocalModelNotInstalledError",
    "ModelIntegrityError",
    "S2AError",
    "S2AInputError",
    "S2ARewriteError",
]


class S2AError(Exception):
    """Base class of every error this package raises on purpose."""


class S2AInputError(S2AError, ValueError):
    """The input given to an S2A component is empty, oversized or malformed.

    It subclasses :class:`ValueError`, so ``except ValueError`` keeps working.
    """


class S2ARewriteError(S2AError):
    """The model's rewrite could not be used and ``on_failure="raise"`` was chosen.

    Attributes:
        reason: A short machine-readable reason (``"empty"``, ``"unparseable"``,
            ``"missing_question"``, ``"question_lost"``, ``"facts_lost"``,
            ``"truncated"``, ``"too_long"``).
        raw: The model's raw output, for debugging.
        original: The input text that was being rewritten.

    """

    def __init__(self, reason: str, *, raw: str = "", original: str = "") -> None:
        self.reason = reason
        """Machine-readable reason the rewrite was rejected."""
        self.raw = raw
        """The model's raw output."""
        self.original = original
        """The text that was being rewritten."""
        preview = raw.strip().replace("\n", " ")[:120]
        super().__init__(f"S2A rewrite rejected ({reason}); model output was: {preview!r}")


class ContextWindowExceededError(S2AInputError):
    """Prompt tokens plus ``max_tokens`` do not fit in the model's context window."""


class LocalModelNotInstalledError(S2AError, RuntimeError):
    """The packages needed for the embedded local model are not installed."""


class ModelIntegrityError(S2AError, RuntimeError):
    """An assembled or shipped model file does not have the expected size or hash."""


class CLIError(Exception):
    """A one-line error for the user of the ``s2a`` command."""
