"""Validate and normalise what callers pass to S2A components."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages
from langchain_core.prompt_values import PromptValue

from langchain_s2a.errors import S2AInputError

DEFAULT_MAX_INPUT_CHARS = 100_000
"""Inputs longer than this are refused before any model call (see ``max_input_chars``)."""

_EXPECTED = (
    "S2A input must be a str, a dict with an 'input' key, a list of messages or a PromptValue"
)


@dataclass(frozen=True)
class InputParts:
    """The text S2A rewrites and, for chat input, the conversation around it."""

    text: str
    messages: tuple[BaseMessage, ...] | None = None
    human_index: int | None = None

    def with_text(self, text: str) -> list[BaseMessage]:
        """The conversation with the last human turn replaced by ``text``."""
        if self.messages is None or self.human_index is None:
            return [HumanMessage(text)]
        msgs = list(self.messages)
        msgs[self.human_index] = HumanMessage(text)
        return msgs


def message_text(
    message: BaseMessage,
    *,
    who: str = "S2A rewrites",
    error: type[Exception] = TypeError,
) -> str:
    """Join a message's text content; other content blocks raise ``error``."""
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, Mapping) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        else:
            kind = block.get("type") if isinstance(block, Mapping) else type(block).__name__
            raise error(
                f"{who} text only; got a {kind!r} content block in a {type(message).__name__}"
            )
    return "".join(parts)


def _from_messages(messages: Sequence[Any]) -> InputParts:
    try:
        msgs = convert_to_messages(messages)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise TypeError(f"{_EXPECTED}; could not read the message list: {exc}") from None
    for index in range(len(msgs) - 1, -1, -1):
        if msgs[index].type == "human":
            return InputParts(message_text(msgs[index]), tuple(msgs), index)
    raise S2AInputError("S2A input messages contain no human message to rewrite")


def coerce_input(value: object, *, max_chars: int = DEFAULT_MAX_INPUT_CHARS) -> InputParts:
    """Turn any accepted input into :class:`InputParts`, or fail with a clear error.

    Args:
        value: A ``str``, a dict with key ``"input"``, a sequence of messages, or a
            ``PromptValue``.
        max_chars: Longest text accepted; longer input raises before any model call.

    Returns:
        The text to rewrite and its conversation.

    Raises:
        TypeError: For values of the wrong type.
        S2AInputError: For empty or oversized text.

    """
    if isinstance(value, PromptValue):
        parts = _from_messages(value.to_messages())
    elif isinstance(value, str):
        parts = InputParts(value)
    elif isinstance(value, Mapping):
        if "input" not in value:
            keys = ", ".join(repr(k) for k in list(value)[:5])
            raise TypeError(f"{_EXPECTED}; the dict has no 'input' key (keys: {keys})")
        inner = value["input"]
        if isinstance(inner, Mapping):
            raise TypeError(f"{_EXPECTED}; 'input' holds a dict")
        return coerce_input(inner, max_chars=max_chars)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if not value:
            raise S2AInputError("S2A input is an empty message list")
        parts = _from_messages(value)
    else:
        raise TypeError(f"{_EXPECTED}; got {type(value).__name__}")
    if not parts.text.strip():
        raise S2AInputError("S2A input text is empty; there is nothing to rewrite")
    if len(parts.text) > max_chars:
        raise S2AInputError(
            f"S2A input is {len(parts.text):,} characters, over max_input_chars={max_chars:,}; "
            "split the text or raise the limit (it is never truncated silently)"
        )
    return parts
