"""Validate and normalise what callers pass to S2A components."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard, TypeVar

from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages
from langchain_core.prompt_values import PromptValue

from langchain_s2a.errors import S2AInputError

DEFAULT_MAX_INPUT_CHARS = 100_000
"""Inputs longer than this are refused before any model call (see ``max_input_chars``)."""

OtherBlocks = Literal["raise", "skip"]
"""What to do with non-text content blocks: refuse them, or leave them out of the text."""

_M = TypeVar("_M", bound=BaseMessage)

_EXPECTED = (
    "S2A input must be a str, a dict with an 'input' key, a list of messages, a list of "
    "content blocks or a PromptValue"
)


@dataclass(frozen=True)
class InputParts:
    """The text S2A rewrites and, for chat input, the conversation around it."""

    text: str
    messages: tuple[BaseMessage, ...] | None = None
    human_index: int | None = None

    def with_text(self, text: str) -> list[BaseMessage]:
        """The conversation with the last human turn's text replaced by ``text``.

        The turn keeps its other content blocks (images, audio, files) in place and
        its ``name``, ``id`` and ``additional_kwargs`` (see :func:`replace_text`).
        """
        if self.messages is None or self.human_index is None:
            return [HumanMessage(text)]
        msgs = list(self.messages)
        msgs[self.human_index] = replace_text(msgs[self.human_index], text)
        return msgs


def _is_text_block(block: object) -> bool:
    return isinstance(block, str) or (isinstance(block, Mapping) and block.get("type") == "text")


def message_text(
    message: BaseMessage,
    *,
    who: str = "S2A rewrites",
    error: type[Exception] = TypeError,
    other_blocks: OtherBlocks = "raise",
) -> str:
    """Join a message's text content.

    Args:
        message: The message.
        who: Start of the error message (``"<who> text only; ..."``).
        error: Exception type raised for a non-text block.
        other_blocks: ``"raise"`` refuses image, audio, file and other non-text
            blocks; ``"skip"`` leaves them out of the text.

    Returns:
        The text of the message's text blocks, joined by a line break where neither
        side has white space (a block's end is a sentence boundary: "…Sydney." and
        "What is…" in two blocks are two sentences, not "Sydney.What").

    Example:
        >>> m = HumanMessage([{"type": "text", "text": "What is this?"},
        ...                   {"type": "image_url", "image_url": {"url": "https://x/cat.png"}}])
        >>> message_text(m, other_blocks="skip")
        'What is this?'

    """
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif _is_text_block(block):
            parts.append(str(block.get("text", "")))
        elif other_blocks == "raise":
            kind = block.get("type") if isinstance(block, Mapping) else type(block).__name__
            raise error(
                f"{who} text only; got a {kind!r} content block in a {type(message).__name__}"
            )
    return _join_blocks(parts)


def _join_blocks(parts: list[str]) -> str:
    """Join text blocks, keeping each block's end a boundary (a line break where needed).

    Example:
        >>> print(_join_blocks(["I think it's Sydney.", "What is the capital?", " Thanks."]))
        I think it's Sydney.
        What is the capital? Thanks.
    """
    out = ""
    for part in parts:
        if out and part and not out[-1].isspace() and not part[0].isspace():
            out += "\n"
        out += part
    return out


def replace_text(message: _M, text: str) -> _M:
    """A copy of ``message`` whose text is ``text``; every other part of it stays.

    For string content the content becomes ``text``. For a list of content blocks
    the first text block takes ``text`` (keeping its other keys), later text blocks
    are dropped, and every other block (image, audio, file, ...) stays in its
    place; with no text block, one is put first. ``name``, ``id``,
    ``additional_kwargs`` and every other field are kept.

    Args:
        message: The message to copy.
        text: The new text.

    Returns:
        A message of the same type.

    Example:
        >>> m = HumanMessage([{"type": "text", "text": "What is this? I think a dog."},
        ...                   {"type": "image_url", "image_url": {"url": "https://x/cat.png"}}],
        ...                  name="ann", id="m1")
        >>> new = replace_text(m, "What is this?")
        >>> new.content[0], new.content[1]["type"], new.name, new.id
        ({'type': 'text', 'text': 'What is this?'}, 'image_url', 'ann', 'm1')

    """
    content = message.content
    if isinstance(content, str):
        return message.model_copy(update={"content": text})
    blocks: list[str | dict[Any, Any]] = []
    placed = False
    for block in content:
        if not _is_text_block(block):
            blocks.append(block)
        elif not placed:
            blocks.append({**block, "text": text} if isinstance(block, Mapping) else text)
            placed = True
    if not placed:
        blocks.insert(0, {"type": "text", "text": text})
    return message.model_copy(update={"content": blocks})


def is_content_blocks(value: object) -> TypeGuard[Sequence[Mapping[str, Any]]]:
    """Whether ``value`` is a list of content blocks (one human turn), not of messages.

    A content block is a dict with a ``"type"`` and neither ``"role"`` nor
    ``"content"`` (those make a dict a message).

    Example:
        >>> is_content_blocks([{"type": "text", "text": "Hi"},
        ...                    {"type": "image_url", "image_url": {"url": "https://x/a.png"}}])
        True
        >>> is_content_blocks([{"role": "user", "content": "Hi"}])
        False

    """
    if not isinstance(value, Sequence) or isinstance(value, str | bytes | bytearray) or not value:
        return False
    return all(
        isinstance(item, Mapping)
        and isinstance(item.get("type"), str)
        and "role" not in item
        and "content" not in item
        for item in value
    )


def _from_messages(messages: Sequence[Any], other_blocks: OtherBlocks = "raise") -> InputParts:
    try:
        msgs = convert_to_messages(messages)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise TypeError(f"{_EXPECTED}; could not read the message list: {exc}") from None
    for index in range(len(msgs) - 1, -1, -1):
        if msgs[index].type == "human":
            text = message_text(msgs[index], other_blocks=other_blocks)
            return InputParts(text, tuple(msgs), index)
    raise S2AInputError("S2A input messages contain no human message to rewrite")


def chat_parts(
    messages: Sequence[BaseMessage], *, max_chars: int = DEFAULT_MAX_INPUT_CHARS
) -> InputParts | None:
    """The last human turn's text (its text blocks) and the conversation around it.

    Unlike :func:`coerce_input`, any content block is accepted (only text blocks
    are read), and a conversation with nothing to rewrite gives ``None``.

    Args:
        messages: A chat model's input messages.
        max_chars: Longest text accepted.

    Returns:
        The parts, or ``None`` when there is no human turn or its text is blank.

    Raises:
        S2AInputError: For text longer than ``max_chars``.

    Example:
        >>> from langchain_core.messages import SystemMessage
        >>> chat_parts([SystemMessage("Be brief."), HumanMessage("Hi? I think hello.")]).text
        'Hi? I think hello.'
        >>> chat_parts([SystemMessage("Be brief.")]) is None
        True

    """
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].type == "human":
            text = message_text(messages[index], other_blocks="skip")
            if not text.strip():
                return None
            _check_length(text, max_chars)
            return InputParts(text, tuple(messages), index)
    return None


def _check_length(text: str, max_chars: int) -> None:
    if len(text) > max_chars:
        raise S2AInputError(
            f"S2A input is {len(text):,} characters, over max_input_chars={max_chars:,}; "
            "split the text or raise the limit (it is never truncated silently)"
        )


def coerce_input(
    value: object,
    *,
    max_chars: int = DEFAULT_MAX_INPUT_CHARS,
    other_blocks: OtherBlocks = "raise",
) -> InputParts:
    """Turn any accepted input into :class:`InputParts`, or fail with a clear error.

    Args:
        value: A ``str``, a dict with key ``"input"``, a sequence of messages, a
            list of content blocks (one human turn, see :func:`is_content_blocks`)
            or a ``PromptValue``.
        max_chars: Longest text accepted; longer input raises before any model call.
        other_blocks: ``"raise"`` refuses non-text content blocks in the human turn;
            ``"skip"`` reads only its text blocks (the others stay in ``messages``).

    Returns:
        The text to rewrite and its conversation.

    Raises:
        TypeError: For values of the wrong type.
        S2AInputError: For empty or oversized text.

    """
    if isinstance(value, PromptValue):
        parts = _from_messages(value.to_messages(), other_blocks)
    elif isinstance(value, str):
        parts = InputParts(value)
    elif isinstance(value, Mapping):
        if "input" not in value:
            keys = ", ".join(repr(k) for k in list(value)[:5])
            raise TypeError(f"{_EXPECTED}; the dict has no 'input' key (keys: {keys})")
        inner = value["input"]
        if isinstance(inner, Mapping):
            raise TypeError(f"{_EXPECTED}; 'input' holds a dict")
        return coerce_input(inner, max_chars=max_chars, other_blocks=other_blocks)
    elif is_content_blocks(value):
        turn = HumanMessage(content=[dict(block) for block in value])
        parts = _from_messages([turn], other_blocks)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if not value:
            raise S2AInputError("S2A input is an empty message list")
        parts = _from_messages(value, other_blocks)
    else:
        raise TypeError(f"{_EXPECTED}; got {type(value).__name__}")
    if not parts.text.strip():
        raise S2AInputError("S2A input text is empty; there is nothing to rewrite")
    _check_length(parts.text, max_chars)
    return parts
